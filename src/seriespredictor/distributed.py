"""Training across processes and machines with ``torchrun``: set up, wrap, shard - nothing else.

The training step is the single-process one; under ``torchrun`` (detected from ``RANK``) the
network is wrapped in DistributedDataParallel, each rank takes its share of every batch (see
``windows.EpochSampler``), rank 0 alone logs and writes files, and the others wait for it (``agree``).
An exception on any rank stops every rank with the same message, so no rank is left waiting in a
collective until the timeout: where all ranks meet (reading the data, saving) ``agree`` gathers
the error; anywhere else (a training step) ``failing_together`` posts it to the rendezvous store
and the rank exits, which breaks the collective the others wait in, and they raise what was posted.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import json
import os
import random
import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TypeVar

import torch
import torch.distributed as dist

from . import errors

T = TypeVar("T")
_store: dist.Store | None = None  # this attempt's keys in torchrun's store: where a failing rank says why
_ERROR_KEY = "error"


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
    rank, world, address, port = _torchrun_env()
    timeout = timedelta(seconds=timeout_s)
    # torchrun keeps one key-value store across restarts; keys of our own per attempt keep a
    # restarted worker from reading the addresses of the workers that died.
    hosted_by_agent = os.environ.get("TORCHELASTIC_USE_AGENT_STORE", "False") == "True"
    store = dist.TCPStore(address, port, world,
                          is_master=rank == 0 and not hosted_by_agent, timeout=timeout)
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    store = dist.PrefixStore(f"seriespredictor/attempt-{attempt}", store)
    dist.init_process_group(backend=backend, store=store, rank=rank, world_size=world, timeout=timeout)
    global _store
    _store = store
    return True


def _torchrun_env() -> tuple[int, int, str, int]:
    """``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``, checked before any connection:
    a rank outside the world or an address that does not resolve would wait out the store's
    timeout (300 s) and end in a C++ stack."""
    def integer(name: str, low: int, high: int) -> int:
        text = os.environ.get(name)
        if text is None or not text.strip().lstrip("-").isdigit() or not low <= int(text) <= high:
            raise errors.SeriesValidationError(f"the torchrun environment has {name}={text!r}; it must be an integer from {low} to "
                                               f"{high}: start the command with torchrun, which sets it")
        return int(text)

    world = integer("WORLD_SIZE", 1, 2**31 - 1)
    rank = integer("RANK", 0, world - 1)
    port = integer("MASTER_PORT", 1, 65535)
    address = os.environ.get("MASTER_ADDR", "")
    try:
        socket.getaddrinfo(address, port)
    except (OSError, UnicodeError):
        raise errors.SeriesValidationError(f"the torchrun environment has MASTER_ADDR={address!r}, which does not resolve to an "
                                           "address; give the host of rank 0 (torchrun --master-addr)") from None
    return rank, world, address, port


def rank_and_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main() -> bool:
    return rank_and_world()[0] == 0


def local_processes() -> int:
    """Processes sharing this machine (for the thread budget)."""
    return int(os.environ.get("LOCAL_WORLD_SIZE", "1"))


def _describe(error: BaseException) -> str:
    return json.dumps([type(error).__name__, errors.message(error)])


def _rebuild(description: str) -> Exception:
    """Another rank's error as this rank's: the same type (ours or a built-in OSError) and message."""
    name, message = json.loads(description)
    cls = getattr(errors, name, None) or getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, (ValueError, OSError, RuntimeError)):
        return cls(message)
    return RuntimeError(f"another process failed with {name}: {message}")


def shared_seed() -> int:
    """A fresh random seed, rank 0's on every rank (one shared order of training windows)."""
    seed = random.SystemRandom().randrange(2**31 - 1)
    if rank_and_world()[1] == 1:
        return seed
    box = [seed]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def agree(fn: Callable[[], T]) -> T:
    """Run ``fn`` on every rank; if it raised on any rank, raise that error on all of them."""
    if rank_and_world()[1] == 1:
        return fn()
    result, error = None, None
    try:
        result = fn()
    except Exception as e:
        error = e
    described: list = [None] * dist.get_world_size()
    dist.all_gather_object(described, None if error is None else _describe(error))
    first = next((d for d in described if d is not None), None)
    if first is None:
        return result
    if error is not None and _describe(error) == first:
        raise error  # this rank's own, with its traceback
    raise _rebuild(first)


@contextlib.contextmanager
def failing_together() -> Iterator[None]:
    """An exception raised on one rank inside the block is raised on every rank.

    The first rank to fail posts its error in the store and raises it; leaving the process
    closes its connections, so the collective each other rank waits in fails at once, and
    they raise the posted error instead of the broken connection's.
    """
    try:
        yield
    except Exception as e:
        if _store is None or rank_and_world()[1] == 1:
            raise
        mine = _describe(e)
        first = _store.compare_set(_ERROR_KEY, "", mine).decode()
        if first == mine:
            raise
        raise _rebuild(first) from None


def wrap(net: torch.nn.Module) -> torch.nn.Module:
    """DistributedDataParallel around ``net`` when several processes train; ``net`` otherwise."""
    if rank_and_world()[1] == 1:
        return net
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [net.lstm.weight_ih_l0.device.index] if next(net.parameters()).is_cuda else None
    return DistributedDataParallel(net, device_ids=device_ids)


def shutdown() -> None:
    """Destroy the process group once nothing holds it.

    A DistributedDataParallel wrapper sits in a reference cycle, so it (and the gloo group its
    reducer holds) outlives ``fit`` until the collector happens to run. Left to interpreter
    exit, the group's threads are torn down joinable: "terminate called without an active
    exception", SIGABRT, and torchrun reports the whole run failed (2 of 20 launches).
    """
    global _store
    if dist.is_available() and dist.is_initialized():
        gc.collect()
        dist.destroy_process_group()
    _store = None
