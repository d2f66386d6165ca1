"""One training loop for every estimator: Adam steps on sampled batches, clipping, a finite
loss guard, optional validation with early stopping, and a thread policy.

The caller supplies ``sample(step) -> batch`` (index arithmetic over tensors already built)
and ``loss(net, batch) -> scalar``; the loop does nothing else per step, so its time is the
kernels' time.
"""

from __future__ import annotations

import contextlib
import copy
import glob
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .errors import SeriesValidationError, TrainingDivergedError
from .model import LSTMConfig


@dataclass
class TrainResult:
    losses: list[tuple[int, float]] = field(default_factory=list)  # (step, training loss)
    val_losses: list[tuple[int, float]] = field(default_factory=list)  # (step, validation loss)
    best_step: int | None = None
    steps_run: int = 0
    seconds: float = 0.0  # wall time of the loop, validation included
    resumed_from: int | None = None  # the checkpoint step this run continued from


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


# Bytes that torch's CPU LSTM keeps from forward for backward, per window, time step, hidden
# unit and layer (fp32, oneDNN kernel; measured with torch.profiler on torch 2.13).
LSTM_BUFFER_BYTES = 66


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
    return "avx512_bf16" in flags or "amx_bf16" in flags


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


@contextlib.contextmanager
def num_threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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


def _clip_grad_norm(params: list[torch.Tensor], max_norm: float) -> None:
    """Scale the gradients so their global L2 norm is at most ``max_norm``.

    ``torch.nn.utils.clip_grad_norm_`` does the same with checks and grouping that take half
    its time on small models; every parameter here lives on one device with one dtype.
    """
    grads = [p.grad for p in params if p.grad is not None]
    # One scalar read, like the loss's: tensor arithmetic on the scale instead is five tiny ops.
    scale = max_norm / (float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))) + 1e-6)
    if not scale >= 1.0:  # a NaN norm scales by NaN, as torch does, and the loss guard stops the run
        torch._foreach_mul_(grads, scale)


def _loop_state(net, opt, gen, step: int, best: float, best_state, bad_evals: int, result: TrainResult,
                done: bool) -> tuple[dict[str, torch.Tensor], dict]:
    """Everything needed to continue training exactly: tensors for safetensors, the rest as JSON."""
    tensors = {f"net.{k}": v for k, v in net.state_dict().items()}
    if best_state is not None:
        tensors.update({f"best.{k}": v for k, v in best_state.items()})
    opt_state = opt.state_dict()
    for i, per_param in opt_state["state"].items():
        tensors.update({f"opt.{i}.{k}": torch.as_tensor(v) for k, v in per_param.items()})
    tensors["rng.torch"] = torch.get_rng_state()
    if gen is not None:
        tensors["rng.sampler"] = gen.get_state()
    meta = {
        "step": step, "done": done, "best": best if best != float("inf") else None, "bad_evals": bad_evals,
        "param_groups": opt_state["param_groups"],
        "result": {"losses": list(result.losses), "val_losses": list(result.val_losses), "best_step": result.best_step,
                   "steps_run": result.steps_run, "seconds": result.seconds},
    }
    return tensors, meta


def _restore_loop_state(tensors, meta, net, opt, gen):
    net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
    best_state = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")} or None
    state: dict = {}
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, i, name = k.split(".", 2)
            state.setdefault(int(i), {})[name] = v
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    torch.set_rng_state(tensors["rng.torch"])
    if gen is not None and "rng.sampler" in tensors:
        gen.set_state(tensors["rng.sampler"])
    r = meta["result"]
    result = TrainResult([tuple(x) for x in r["losses"]], [tuple(x) for x in r["val_losses"]], r["best_step"],
                         r["steps_run"], r["seconds"])
    best = meta["best"] if meta["best"] is not None else float("inf")
    return meta["step"], best, best_state, meta["bad_evals"], result


def _agreed(flag: bool) -> bool:
    """True on every process when it is True on any: under torchrun all ranks stop at the same
    step (one that stopped alone would leave the others waiting in the gradient all-reduce)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return flag
    t = torch.tensor([float(flag)])
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
    return bool(t.item())


def fit_network(
    net: nn.Module,
    sample: Callable[[int], tuple],
    loss_fn: Callable[[nn.Module, tuple], torch.Tensor],
    *,
    steps: int,
    lr: float,
    grad_clip: float | None = 1.0,
    log_every: int = 100,
    log: Callable[[int, float], None] | None = None,
    validate: Callable[[nn.Module], float] | None = None,
    eval_every: int = 50,
    patience: int | None = None,
    progress: bool = False,
    schedule: str = "constant",
    generator: torch.Generator | None = None,
    resume_from: tuple[dict, dict] | None = None,
    checkpoint: Callable[[dict, dict], None] | None = None,
    checkpoint_every: int = 0,
    micro_batches: int = 1,
    schedule_steps: int | None = None,
    time_limit: float | None = None,
) -> TrainResult:
    """Train ``net`` in place for ``steps`` Adam steps.

    With ``micro_batches`` > 1, each batch (one tensor) is split along its first dimension
    into that many equal parts, each taken forward and backward in turn before the one
    update: the same step, in less memory (see :func:`choose_micro_batch`).

    With ``validate``, the validation loss is computed every ``eval_every`` steps and at the
    end; the weights with the lowest one are restored, and training stops after ``patience``
    evaluations without improvement. ``schedule="cosine"`` decays the learning rate to a tenth
    of ``lr`` over ``schedule_steps`` (default ``steps``) along a half cosine: a run stopped at the
    best step of a longer one follows its learning rates exactly. ``time_limit`` (seconds) ends
    training after the first step that reaches it, validated as a last step.

    With ``checkpoint``, every ``checkpoint_every`` steps and at the end it is called with
    ``(tensors, meta)``: the weights, the optimizer, the step, the best weights so
    far, and the states of torch's RNG and of ``generator`` (the sampler's). Passing such a
    pair back as ``resume_from`` continues the run where it stopped, bit for bit on a CPU.
    """
    module = getattr(net, "module", net)  # under DDP: forward/backward through the wrapper, state from the module
    # The fused kernel updates all parameters in one call instead of a dozen small ops each.
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr, fused=True)
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"schedule={schedule!r} is not 'constant' or 'cosine'")
    result = TrainResult()
    best, best_state, bad_evals, first = float("inf"), None, 0, 0
    if resume_from is not None:
        first, best, best_state, bad_evals, result = _restore_loop_state(*resume_from, module, opt, generator)
        result.resumed_from = first
        if resume_from[1]["done"]:  # finished (or stopped early) before: nothing left to run
            first = steps
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, initial=first, desc="training", unit="step", disable=not sys.stderr.isatty(), leave=True)
    net.train()
    started = time.perf_counter() - result.seconds
    deadline = math.inf if time_limit is None else time.perf_counter() + time_limit
    horizon = schedule_steps or steps
    stopped_early = False
    for step in range(first, steps):
        if schedule == "cosine":  # a function of the step alone, so a resumed run continues it exactly
            opt.param_groups[0]["lr"] = lr * (0.55 + 0.45 * math.cos(math.pi * step / horizon))
        opt.zero_grad(set_to_none=True)
        batch = sample(step)
        parts = batch.chunk(micro_batches) if micro_batches > 1 else (batch,)
        value = 0.0
        for i, part in enumerate(parts):
            # Under DDP the gradients are averaged across processes once, after the last part.
            with net.no_sync() if i < len(parts) - 1 and hasattr(net, "no_sync") else contextlib.nullcontext():
                loss = loss_fn(net, part)
                if len(parts) > 1:
                    loss = loss / len(parts)  # the parts' gradients add up to the whole batch's
                value += loss.item()  # a scalar read: cheap on CPU, and NaN is caught before any update
                if not math.isfinite(value):
                    raise TrainingDivergedError(
                        f"training loss became {value} at step {step}: the learning rate (lr={lr}) may be "
                        "too high or the data may hold extreme values; lower lr or check the data"
                    )
                loss.backward()
        if grad_clip is not None:
            _clip_grad_norm(params, grad_clip)
        opt.step()
        out_of_time = _agreed(time.perf_counter() >= deadline) if time_limit is not None else False
        last = step == steps - 1 or out_of_time
        if step % log_every == 0 or last:
            result.losses.append((step, value))
            if log is not None:
                log(step, value)
        if bar is not None:
            bar.update(1)
        result.steps_run = step + 1
        if validate is not None and ((step + 1) % eval_every == 0 or last):
            net.eval()
            with torch.no_grad():
                v = float(validate(module))
            net.train()
            result.val_losses.append((step + 1, v))
            if v < best:
                best, best_state, bad_evals = v, copy.deepcopy(module.state_dict()), 0
                result.best_step = step + 1
            else:
                bad_evals += 1
                stopped_early = patience is not None and bad_evals >= patience
        if checkpoint is not None and checkpoint_every and (step + 1) % checkpoint_every == 0 and not last and not stopped_early:
            result.seconds = time.perf_counter() - started
            checkpoint(*_loop_state(module, opt, generator, step + 1, best, best_state, bad_evals, result, False))
        if stopped_early or out_of_time:
            break
    result.seconds = time.perf_counter() - started
    if checkpoint is not None and first < steps:
        checkpoint(*_loop_state(module, opt, generator, result.steps_run, best, best_state, bad_evals, result, True))
    if bar is not None:
        bar.close()
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    return result
