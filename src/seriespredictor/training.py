"""One training loop for every estimator: Adam steps on sampled batches, clipping, a finite
loss guard, optional validation with early stopping, a time limit and exact resumption.

The caller supplies ``sample(step) -> batch`` (index arithmetic over tensors already built)
and ``loss(net, batch) -> scalar``; the loop does nothing else per step, so its time is the
kernels' time. Its settings are a :class:`TrainConfig`; what it carries from step to step is a
:class:`LoopState`, which checkpoints save and a resume restores.
"""

from __future__ import annotations

import contextlib
import copy
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .errors import TrainingDivergedError


@dataclass(frozen=True)
class TrainConfig:
    """The settings of one training run."""

    steps: int  # Adam steps, at most
    lr: float
    schedule: str = "constant"  # or "cosine": down to a tenth of lr over schedule_steps, along a half cosine
    schedule_steps: int | None = None  # the cosine's length (default: steps); a refit for the best step of a
    # longer run sets that run's steps, and so follows its learning rates exactly
    grad_clip: float | None = 1.0  # the gradients' global L2 norm at most; None: no clipping
    micro_batches: int = 1  # forward/backward passes per step (see runtime.choose_micro_batch)
    eval_every: int = 50  # steps between validations, when the loop is given validate=
    score_start: bool = False  # validate the starting weights too (as step 0): a run that improves on nothing keeps them
    patience: int | None = None  # validations without improvement before stopping; None: never stop early
    time_limit: float | None = None  # seconds; the step that reaches it is the last, and validated
    checkpoint_every: int = 0  # steps between checkpoints, when the loop is given checkpoint=; 0: at the end only
    log_every: int = 100  # steps between recorded training losses (the last step is always recorded)
    progress: bool = False  # a progress bar on a terminal

    def __post_init__(self):
        if self.schedule not in ("constant", "cosine"):
            raise ValueError(f"schedule={self.schedule!r} is not 'constant' or 'cosine'")

    def lr_at(self, step: int) -> float:
        """The learning rate of ``step``: a function of the step alone, so a resumed run continues it exactly."""
        if self.schedule == "constant":
            return self.lr
        return self.lr * (0.55 + 0.45 * math.cos(math.pi * step / (self.schedule_steps or self.steps)))


@dataclass
class TrainResult:
    """What a run did: saved with the model (``Forecaster.history_``) and in checkpoints."""

    losses: list[tuple[int, float]] = field(default_factory=list)  # (step, training loss)
    val_losses: list[tuple[int, float]] = field(default_factory=list)  # (step, validation loss)
    best_step: int | None = None
    steps_run: int = 0
    seconds: float = 0.0  # wall time of the loop, validation included
    resumed_from: int | None = None  # the checkpoint step this run continued from


@dataclass
class LoopState:
    """What the loop carries from step to step: a checkpoint saves it, a resume restores it."""

    best: float = math.inf  # the lowest validation loss so far
    best_state: dict[str, torch.Tensor] | None = None  # the weights that scored it
    bad_evals: int = 0  # validations since then, none of them better
    done: bool = False  # the run ended: every step taken, stopped early or out of time
    result: TrainResult = field(default_factory=TrainResult)

    @property
    def step(self) -> int:
        """Steps taken so far, which is the next step to take."""
        return self.result.steps_run

    def record_validation(self, loss: float, module: nn.Module, patience: int | None) -> bool:
        """Record ``loss``, the validation loss after :attr:`step` steps, keeping the weights of the
        best; True once ``patience`` validations in a row did not improve on it."""
        self.result.val_losses.append((self.step, loss))
        if loss < self.best:
            self.best, self.best_state, self.bad_evals = loss, copy.deepcopy(module.state_dict()), 0
            self.result.best_step = self.step
            return False
        self.bad_evals += 1
        return patience is not None and self.bad_evals >= patience

    def save(self, net: nn.Module, opt: torch.optim.Optimizer, generator: torch.Generator | None) -> tuple[dict, dict]:
        """Everything needed to continue training exactly: tensors for safetensors, the rest as JSON
        (the fields ``checkpoints.Checkpoints`` checks on load)."""
        tensors = {f"net.{k}": v for k, v in net.state_dict().items()}
        if self.best_state is not None:
            tensors.update({f"best.{k}": v for k, v in self.best_state.items()})
        opt_tensors, param_groups = optimizer_tensors(opt.state_dict())
        tensors.update(opt_tensors)
        tensors["rng.torch"] = torch.get_rng_state()
        if generator is not None:
            tensors["rng.sampler"] = generator.get_state()
        r = self.result
        meta = {
            "step": self.step, "done": self.done, "best": self.best if self.best != math.inf else None,
            "bad_evals": self.bad_evals, "param_groups": param_groups,
            "result": {"losses": list(r.losses), "val_losses": list(r.val_losses), "best_step": r.best_step,
                       "steps_run": r.steps_run, "seconds": r.seconds},
        }
        return tensors, meta

    @classmethod
    def restore(cls, tensors: dict, meta: dict, net: nn.Module, opt: torch.optim.Optimizer,
                generator: torch.Generator | None) -> LoopState:
        """Load a pair written by :meth:`save` into ``net``, ``opt``, torch's RNG and ``generator``."""
        net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
        opt.load_state_dict(optimizer_state(tensors, meta["param_groups"]))
        torch.set_rng_state(tensors["rng.torch"])
        if generator is not None and "rng.sampler" in tensors:
            generator.set_state(tensors["rng.sampler"])
        r = meta["result"]
        result = TrainResult([tuple(x) for x in r["losses"]], [tuple(x) for x in r["val_losses"]], r["best_step"],
                             r["steps_run"], r["seconds"], resumed_from=meta["step"])
        return cls(best=math.inf if meta["best"] is None else meta["best"],
                   best_state={k[5:]: v for k, v in tensors.items() if k.startswith("best.")} or None,
                   bad_evals=meta["bad_evals"], done=meta["done"], result=result)


def adam(params, lr: float) -> torch.optim.Adam:
    """The optimiser of every run. The fused kernel updates all parameters in one call instead of
    a dozen small ops each."""
    return torch.optim.Adam(params, lr=lr, fused=True)


def optimizer_tensors(state: dict, prefix: str = "opt.") -> tuple[dict[str, torch.Tensor], list]:
    """An optimiser's ``state_dict()`` as tensors ``{prefix}{param}.{name}`` (for safetensors) and
    its param groups (for JSON): how checkpoints and model files save it."""
    tensors = {f"{prefix}{i}.{k}": torch.as_tensor(v) for i, per_param in state["state"].items() for k, v in per_param.items()}
    return tensors, state["param_groups"]


def optimizer_state(tensors: dict[str, torch.Tensor], param_groups: list, prefix: str = "opt.") -> dict:
    """The ``state_dict()`` that :func:`optimizer_tensors` took apart (tensors of other prefixes are ignored)."""
    state: dict = {}
    for k, v in tensors.items():
        if k.startswith(prefix):
            i, name = k[len(prefix):].split(".", 1)
            state.setdefault(int(i), {})[name] = v
    return {"state": state, "param_groups": param_groups}


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


def _step(net: nn.Module, params: list[torch.Tensor], opt: torch.optim.Optimizer, batch, loss_fn, config: TrainConfig,
          step: int) -> float:
    """One Adam step on ``batch``, in ``config.micro_batches`` passes whose gradients add up to the
    whole batch's; returns the loss."""
    opt.param_groups[0]["lr"] = config.lr_at(step)
    opt.zero_grad(set_to_none=True)
    parts = batch.chunk(config.micro_batches) if config.micro_batches > 1 else (batch,)
    value = 0.0
    for i, part in enumerate(parts):
        # Under DDP the gradients are averaged across processes once, after the last part.
        with net.no_sync() if i < len(parts) - 1 and hasattr(net, "no_sync") else contextlib.nullcontext():
            loss = loss_fn(net, part)
            if len(parts) > 1:
                loss = loss / len(parts)
            value += loss.item()  # a scalar read: cheap on CPU, and NaN is caught before any update
            if not math.isfinite(value):
                raise TrainingDivergedError(
                    f"training loss became {value} at step {step}: the learning rate (lr={config.lr}) may be "
                    "too high or the data may hold extreme values; lower lr or check the data"
                )
            loss.backward()
    if config.grad_clip is not None:
        _clip_grad_norm(params, config.grad_clip)
    opt.step()
    return value


def _score(net: nn.Module, module: nn.Module, validate: Callable[[nn.Module], float]) -> float:
    net.eval()
    with torch.no_grad():
        loss = float(validate(module))
    net.train()
    return loss


def _agreed(flag: bool) -> bool:
    """True on every process when it is True on any: under torchrun all ranks stop at the same
    step (one that stopped alone would leave the others waiting in the gradient all-reduce)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return flag
    t = torch.tensor([float(flag)])
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
    return bool(t.item())


def _progress_bar(config: TrainConfig, first: int):
    """A progress bar of the run's steps on a terminal, with ``config.progress``; else None."""
    if not config.progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=config.steps, initial=first, desc="training", unit="step", disable=not sys.stderr.isatty(), leave=True)


def fit_network(
    net: nn.Module,
    sample: Callable[[int], Any],
    loss_fn: Callable[[nn.Module, Any], torch.Tensor],
    config: TrainConfig,
    *,
    validate: Callable[[nn.Module], float] | None = None,
    log: Callable[[int, float], None] | None = None,
    generator: torch.Generator | None = None,
    resume_from: tuple[dict, dict] | None = None,
    checkpoint: Callable[[dict, dict], None] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
) -> TrainResult:
    """Train ``net`` in place for ``config.steps`` Adam steps on the batches ``sample(step)``.

    With ``validate``, the validation loss is computed every ``config.eval_every`` steps and at the
    end; the weights with the lowest one are restored, and training stops after ``config.patience``
    validations without improvement. ``log(step, loss)`` is called where a loss is recorded.
    With ``config.micro_batches`` > 1 a batch is one tensor, split along its first dimension.

    With ``checkpoint``, every ``config.checkpoint_every`` steps and at the end it is called with
    ``(tensors, meta)`` (:meth:`LoopState.save`): the weights, the optimizer, the step, the best
    weights so far, and the states of torch's RNG and of ``generator`` (the sampler's). Passing
    such a pair back as ``resume_from`` continues the run where it stopped, bit for bit on a CPU.

    ``optimizer`` is the one to step (default: a fresh :func:`adam` on ``net``'s parameters): give
    one holding an earlier run's state to continue it, and read its state afterwards.
    """
    module = getattr(net, "module", net)  # under DDP: forward/backward through the wrapper, state from the module
    params = [p for p in net.parameters() if p.requires_grad]
    opt = adam(params, config.lr) if optimizer is None else optimizer
    state = LoopState() if resume_from is None else LoopState.restore(*resume_from, module, opt, generator)
    result = state.result
    first = config.steps if state.done else state.step  # a finished run (or one stopped early) trains no further
    if validate is not None and config.score_start and first == 0:
        state.record_validation(_score(net, module, validate), module, None)
    bar = _progress_bar(config, first)
    net.train()
    started = time.perf_counter() - result.seconds
    deadline = math.inf if config.time_limit is None else time.perf_counter() + config.time_limit
    for step in range(first, config.steps):
        value = _step(net, params, opt, sample(step), loss_fn, config, step)
        result.steps_run = step + 1
        out_of_time = config.time_limit is not None and _agreed(time.perf_counter() >= deadline)
        last = step == config.steps - 1 or out_of_time
        if step % config.log_every == 0 or last:
            result.losses.append((step, value))
            if log is not None:
                log(step, value)
        if bar is not None:
            bar.update(1)
        if validate is not None and (state.step % config.eval_every == 0 or last):
            if state.record_validation(_score(net, module, validate), module, config.patience):
                break  # stopped early
        if out_of_time:
            break
        if checkpoint is not None and config.checkpoint_every and state.step % config.checkpoint_every == 0 and not last:
            result.seconds = time.perf_counter() - started
            checkpoint(*state.save(module, opt, generator))
    result.seconds = time.perf_counter() - started
    state.done = True
    if checkpoint is not None and first < config.steps:
        checkpoint(*state.save(module, opt, generator))
    if bar is not None:
        bar.close()
    if state.best_state is not None:
        module.load_state_dict(state.best_state)
    module.eval()
    return result
