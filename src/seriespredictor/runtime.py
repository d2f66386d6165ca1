"""Runtime policy: how training and forecasting use this machine.

Intra-op threads, the CPU's last-level cache and the micro-batches chosen from it, native
bfloat16, a memory check before allocating networks, glibc's mmap threshold while reading, and
seeded RNG state that leaves the caller's untouched. Measurements behind each rule are in
benchmarks/README.md.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
from collections.abc import Iterator
from pathlib import Path

import torch

from .errors import SeriesValidationError
from .model import LSTMConfig


def choose_threads(batch: int, hidden_dim: int, requested: int | None = None, *, processes: int = 1) -> int:
    """Intra-op threads for training.

    A second thread only pays when each LSTM step's matrix work is large; on small models it
    costs more in synchronisation than it gains, and when another process holds a core it
    can make training many times slower. Measured on a 2-core machine (benchmarks/README.md).
    """
    if requested is not None:
        if requested < 1:
            raise ValueError(f"threads={requested} must be a positive integer or None (automatic)")
        return requested
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    cores = max(1, cores // processes)  # processes training side by side share the cores
    work = batch * hidden_dim * hidden_dim  # multiply-adds per step of the recurrent matmul / 4
    return 1 if work < 256 * 64 * 64 else max(1, min(cores, 4))


@contextlib.contextmanager
def num_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` intra-op threads, then give the caller's setting back."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def no_denormals() -> Iterator[None]:
    """Run the block with denormal floats flushed to zero on the CPU, then give them back.

    Saturated LSTM gates make values below float32's normal range; the CPU computes those
    through a slow path: a covariate model's training step on electricity prices ran 12x slower
    (78 ms instead of 6.6 ms for its backward pass) until they were flushed.
    """
    flushed = torch.set_flush_denormal(True)  # False where the CPU cannot (no SSE3): nothing changes
    try:
        yield
    finally:
        if flushed:
            torch.set_flush_denormal(False)


def cache_bytes(root: str = "/sys/devices/system/cpu/cpu0/cache") -> int:
    """The CPU's last-level cache (level 3 or above), from Linux sysfs; 32 MiB where none is
    listed. Without this floor, a machine that lists only its per-core caches would be given
    passes of a few windows, which are slower than the whole batch."""
    sizes = []
    for folder in glob.glob(f"{root}/index*"):
        try:
            level = int(Path(folder, "level").read_text())
            text = Path(folder, "size").read_text().strip()  # e.g. "32768K"
        except (OSError, ValueError):
            continue
        unit = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
        digits = text[:-1] if unit != 1 else text
        if level >= 3 and digits.isdigit():
            sizes.append(int(digits) * unit)
    return max(sizes, default=32 * 2**20)


# Bytes that torch's CPU LSTM keeps from forward for backward, per window, time step, hidden
# unit and layer (fp32, oneDNN kernel; measured with torch.profiler on torch 2.13).
LSTM_BUFFER_BYTES = 66


def choose_micro_batch(batch: int, steps: int, hidden_dim: int, num_layers: int = 1, *, cache: int | None = None) -> int:
    """Windows per forward/backward pass on a CPU: the largest ``batch / 2**k`` (but at
    least 8) whose LSTM buffers fit in 80% of the CPU's last-level cache.

    The backward pass reads back everything the forward pass kept; when that spills from the
    cache to main memory, a step of several smaller passes, whose gradients add up to the
    same, ran 1.5 to 2.6 times faster, in less memory (benchmarks/README.md).
    """
    budget = 0.8 * (cache or cache_bytes())
    size = batch
    while size % 2 == 0 and size // 2 >= 8 and LSTM_BUFFER_BYTES * size * steps * hidden_dim * num_layers > budget:
        size //= 2
    return size


def native_bf16(device: torch.device, cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether ``device`` computes bfloat16 natively: a GPU that supports it, or a CPU with
    AVX512-BF16 or AMX (read from Linux's cpuinfo; False where it cannot be read)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        with open(cpuinfo) as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return ("avx512_bf16" in flags or "amx_bf16" in flags) and bf16_lstm_runs(device)


@functools.cache
def bf16_lstm_runs(device: torch.device) -> bool:
    """Whether torch's LSTM runs under bfloat16 autocast on ``device``: on a CPU without AVX-512,
    oneDNN has no bfloat16 LSTM kernel and the forward pass fails (seen on an AVX2-only EPYC)."""
    try:
        lstm = torch.nn.LSTM(1, 2, batch_first=True).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16):
            lstm(torch.zeros(1, 2, 1, device=device))
    except RuntimeError:
        return False
    return True


def training_precision(precision: str, device: torch.device) -> str:
    """The precision a saved model continues training in here (``update``): "bf16" falls back to
    "fp32" where this device cannot run the LSTM in bf16 (a model fitted on another machine)."""
    return "fp32" if precision == "bf16" and not bf16_lstm_runs(device) else precision


def check_network_memory(config: LSTMConfig, networks: int = 1) -> None:
    """Refuse, before allocating, networks whose weights would not fit in half this machine's
    memory: ``networks`` kept, plus the gradient and Adam's two moments of the one training."""
    need = 4 * config.parameter_count() * (networks + 3)
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume 16 GiB
        memory = 16 * 2**30
    if need > memory // 2:
        raise SeriesValidationError(
            f"hidden_dim={config.hidden_dim}, num_layers={config.num_layers}"
            f"{f' and ensemble={networks}' if networks > 1 else ''} need {need / 2**30:.1f} GiB for the weights and "
            f"optimizer state, more than half this machine's {memory / 2**30:.1f} GiB; use a smaller hidden_dim, num_layers or ensemble"
        )


def set_mmap_threshold(size: int) -> None:
    """Have glibc serve every buffer of ``size`` bytes or more from mmap (a no-op elsewhere).

    By default glibc raises that threshold each time a large buffer is freed, after which such
    buffers come from the heap, which fragments and holds on to freed memory: reading 100M
    points from Parquet took 1.5 GB of RSS instead of the 0.8 GB of the values. A low threshold
    is for reading only: while training it halved the speed on M4-sized batches (every
    mid-sized tensor became a fresh mapping).
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, size)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[torch.Generator]:
    """Seed torch's CPU RNG inside ``fork_rng`` so the caller's global state is untouched."""
    with torch.random.fork_rng(devices=[]):
        gen = torch.Generator()
        if seed is not None:
            torch.manual_seed(seed)
            gen.manual_seed(seed)
        else:
            gen.seed()
        yield gen
