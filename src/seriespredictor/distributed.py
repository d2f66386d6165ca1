"""Training across processes and machines with ``torchrun``: set up, wrap, shard - nothing else.

The training step is the single-process one; under ``torchrun`` (detected from ``RANK``) the
network is wrapped in DistributedDataParallel, each rank takes its share of every batch (see
``windows.EpochSampler``), rank 0 alone logs and writes files, and the others wait at a barrier.
Errors found in the data on any rank are raised on every rank with the same message, so no rank
is left waiting in a collective.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import torch
import torch.distributed as dist

from .errors import SeriesValidationError

T = TypeVar("T")


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def init_from_env(timeout_s: float = 300.0) -> bool:
    """Join the process group that ``torchrun`` describes in the environment; False if none.

    gloo on CPU, NCCL when a GPU is used. The timeout turns a lost peer into an error instead
    of a hang.
    """
    if not launched_by_torchrun() or dist.is_initialized():
        return dist.is_initialized()
    backend = "nccl" if torch.cuda.is_available() and os.environ.get("SERIESPREDICTOR_DEVICE", "cpu").startswith("cuda") else "gloo"
    if backend == "gloo" and os.environ.get("LOCAL_WORLD_SIZE") == os.environ["WORLD_SIZE"]:
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # one machine: talk over loopback
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    timeout = timedelta(seconds=timeout_s)
    # torchrun keeps one key-value store across restarts; keys of our own per attempt keep a
    # restarted worker from reading the addresses of the workers that died.
    hosted_by_agent = os.environ.get("TORCHELASTIC_USE_AGENT_STORE", "False") == "True"
    store = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), world,
                          is_master=rank == 0 and not hosted_by_agent, timeout=timeout)
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    store = dist.PrefixStore(f"seriespredictor/attempt-{attempt}", store)
    dist.init_process_group(backend=backend, store=store, rank=rank, world_size=world, timeout=timeout)
    return True


def rank_and_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main() -> bool:
    return rank_and_world()[0] == 0


def barrier() -> None:
    if rank_and_world()[1] > 1:
        dist.barrier()


def local_processes() -> int:
    """Processes sharing this machine (for the thread budget)."""
    return int(os.environ.get("LOCAL_WORLD_SIZE", "1"))


def agree(fn: Callable[[], T]) -> T:
    """Run ``fn`` on every rank; if it raised a data error on any rank, raise it on all of them."""
    if rank_and_world()[1] == 1:
        return fn()
    result, error = None, None
    try:
        result = fn()
    except SeriesValidationError as e:
        error = str(e)
    errors: list = [None] * dist.get_world_size()
    dist.all_gather_object(errors, error)
    first = next((e for e in errors if e is not None), None)
    if first is not None:
        raise SeriesValidationError(first)
    return result


def wrap(net: torch.nn.Module) -> torch.nn.Module:
    """DistributedDataParallel around ``net`` when several processes train; ``net`` otherwise."""
    if rank_and_world()[1] == 1:
        return net
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [net.lstm.weight_ih_l0.device.index] if next(net.parameters()).is_cuda else None
    return DistributedDataParallel(net, device_ids=device_ids)


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
