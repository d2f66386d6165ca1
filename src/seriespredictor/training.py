"""One training loop for every estimator: Adam steps on sampled batches, clipping, a finite
loss guard, optional validation with early stopping, and a thread policy.

The caller supplies ``sample(step) -> batch`` (index arithmetic over tensors already built)
and ``loss(net, batch) -> scalar``; the loop does nothing else per step, so its time is the
kernels' time.
"""

from __future__ import annotations

import contextlib
import copy
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from torch import nn

from .errors import TrainingDivergedError


@dataclass
class TrainResult:
    losses: list[tuple[int, float]] = field(default_factory=list)  # (step, training loss)
    val_losses: list[tuple[int, float]] = field(default_factory=list)  # (step, validation loss)
    best_step: int | None = None
    steps_run: int = 0
    seconds: float = 0.0  # wall time of the loop, validation included


def choose_threads(batch: int, hidden_dim: int, requested: int | None = None) -> int:
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
    work = batch * hidden_dim * hidden_dim  # multiply-adds per step of the recurrent matmul / 4
    return 1 if work < 256 * 64 * 64 else max(1, min(cores, 4))


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
) -> TrainResult:
    """Train ``net`` in place for ``steps`` Adam steps.

    With ``validate``, the validation loss is computed every ``eval_every`` steps and at the
    end; the weights with the lowest one are restored, and training stops after ``patience``
    evaluations without improvement. ``schedule="cosine"`` decays the learning rate to a tenth
    of ``lr`` over ``steps`` along a half cosine.
    """
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"schedule={schedule!r} is not 'constant' or 'cosine'")
    decay = (
        torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr / 10) if schedule == "cosine" else None
    )
    result = TrainResult()
    best, best_state, bad_evals = float("inf"), None, 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc="training", unit="step", disable=not sys.stderr.isatty(), leave=False)
    net.train()
    started = time.perf_counter()
    for step in range(steps):
        loss = loss_fn(net, sample(step))
        value = loss.item()  # one scalar read per step: cheap on CPU, and NaN is caught at once
        if value != value or value in (float("inf"), float("-inf")):
            raise TrainingDivergedError(
                f"training loss became {value} at step {step}: the learning rate (lr={lr}) may be "
                "too high or the data may hold extreme values; lower lr or check the data"
            )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(net.parameters(), grad_clip)
        opt.step()
        if decay is not None:
            decay.step()
        last = step == steps - 1
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
                v = float(validate(net))
            net.train()
            result.val_losses.append((step + 1, v))
            if v < best:
                best, best_state, bad_evals = v, copy.deepcopy(net.state_dict()), 0
                result.best_step = step + 1
            else:
                bad_evals += 1
                if patience is not None and bad_evals >= patience:
                    break
    result.seconds = time.perf_counter() - started
    if bar is not None:
        bar.close()
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return result
