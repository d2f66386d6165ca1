import gc
import os

import pytest
import torch

from seriespredictor import runtime
from seriespredictor.errors import SeriesValidationError
from seriespredictor.model import LSTMConfig
from seriespredictor.runtime import (cache_bytes, check_network_memory, choose_micro_batch, choose_threads, native_bf16,
                                     num_threads, seeded)


def test_thread_policy(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert choose_threads(256, 64) == 4  # 256 x 64^2 is where a second thread starts to pay; four at most
    assert choose_threads(255, 64) == choose_threads(256, 63) == choose_threads(3, 10) == 1
    assert choose_threads(256, 64, processes=4) == 2  # four processes share the eight cores
    assert choose_threads(256, 64, processes=16) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert choose_threads(1024, 256) == 2  # never more threads than cores
    assert choose_threads(3, 10, requested=3) == 3  # an explicit setting wins
    with pytest.raises(ValueError, match="threads=0 must be a positive integer"):
        choose_threads(3, 10, requested=0)


def test_num_threads_gives_the_callers_setting_back():
    before = torch.get_num_threads()
    with pytest.raises(KeyboardInterrupt), num_threads(before + 1):
        assert torch.get_num_threads() == before + 1
        raise KeyboardInterrupt
    assert torch.get_num_threads() == before


def test_micro_batch_policy(monkeypatch):
    mib = 2**20
    assert choose_micro_batch(256, 96, 64, cache=32 * mib) == 64  # 99 MB of buffers in one pass: four of 25 MB
    assert choose_micro_batch(256, 96, 64, 2, cache=32 * mib) == 32  # two layers keep twice as much
    assert choose_micro_batch(256, 7, 128, cache=32 * mib) == 256  # M4 Hourly's 14 MB fit: one pass
    assert choose_micro_batch(100, 96, 256, cache=32 * mib) == 25  # halved only while it divides the batch
    assert choose_micro_batch(256, 5000, 512, cache=32 * mib) == 8  # never below 8 windows
    monkeypatch.setattr(runtime, "cache_bytes", lambda: 8 * mib)  # without cache=, this machine's cache
    assert choose_micro_batch(256, 96, 64) == 16  # 6.5 MB passes fit 80% of 8 MiB


def _cpu(root, *caches):
    for i, (level, size) in enumerate(caches):
        (root / f"index{i}").mkdir(parents=True)
        (root / f"index{i}" / "level").write_text(f"{level}\n")
        (root / f"index{i}" / "size").write_text(f"{size}\n")
    return str(root)


def test_cache_size_is_the_level_3_cache_or_32_mib(tmp_path):
    assert cache_bytes(_cpu(tmp_path / "a", (1, "48K"), (2, "1024K"), (3, "8192K"))) == 8 * 2**20
    assert cache_bytes(_cpu(tmp_path / "b", (1, "48K"), (2, "2M"))) == 32 * 2**20  # no shared cache listed: not the per-core one
    assert cache_bytes(_cpu(tmp_path / "c", (3, "garbled"))) == 32 * 2**20


@pytest.mark.filterwarnings("error")  # an unclosed file warns when collected: that fails the test
def test_the_cache_probe_closes_its_files(tmp_path):
    assert cache_bytes(_cpu(tmp_path, (3, "4096K"))) == 4 * 2**20
    gc.collect()


def test_native_bf16_reads_the_cpu_flags(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "bf16_lstm_runs", lambda device: True)  # what this CPU's oneDNN runs: tests/test_recipe.py
    with_bf16, with_amx, without = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    with_bf16.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16\n")
    with_amx.write_text("processor\t: 0\nflags\t\t: fpu sse2 amx_bf16 amx_tile\n")
    without.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2\n")
    cpu = torch.device("cpu")
    assert native_bf16(cpu, str(with_bf16)) and native_bf16(cpu, str(with_amx))
    assert not native_bf16(cpu, str(without))
    assert not native_bf16(cpu, str(tmp_path / "missing"))


def test_networks_too_large_for_this_machine_are_refused_before_allocating():
    check_network_memory(LSTMConfig(1, 64), networks=5)
    with pytest.raises(SeriesValidationError, match=r"hidden_dim=4096, num_layers=64 and ensemble=5 need \d+\.\d GiB"):
        check_network_memory(LSTMConfig(1, 4096, num_layers=64), networks=5)


def test_seeded_repeats_and_leaves_the_callers_rng_alone():
    torch.manual_seed(1)
    before = torch.get_rng_state()
    with seeded(7) as a:
        first = (torch.rand(3), torch.rand(3, generator=a))
    with seeded(7) as b:
        second = (torch.rand(3), torch.rand(3, generator=b))
    assert all(torch.equal(x, y) for x, y in zip(first, second))
    assert torch.equal(torch.get_rng_state(), before)
