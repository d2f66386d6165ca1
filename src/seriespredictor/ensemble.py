"""Training the networks of an ensemble: each on the same windows, from its own seed.

Member ``k`` trains with seed ``seed + 10007 * k``; a time budget is shared by the runs left,
and under ``torchrun`` each process takes its share of every batch.
"""

from __future__ import annotations

import contextlib
import copy
import time

import torch

from . import distributed
from .errors import SeriesValidationError
from .network import ForecastConfig, ForecastNetwork, loss_function
from .runtime import choose_micro_batch, choose_threads, no_denormals, num_threads, seeded
from .training import TrainConfig, adam, fit_network
from .windows import TrainingWindows

MEMBER_SEED_STRIDE = 10_007  # ensemble member k trains with seed + k * stride: nearby seeds share no member


def micro_batches(s: dict, batch: int, lstm_steps: int, device: torch.device) -> int:
    """Forward/backward passes per training step for each process's ``batch`` windows: on a CPU,
    the largest share of the batch whose LSTM buffers fit in the cache; on a GPU, one."""
    if s["micro_batch_size"] is not None:
        size = s["micro_batch_size"]
    elif device.type == "cpu":
        size = choose_micro_batch(batch, lstm_steps, s["hidden_dim"], s["num_layers"])
    else:
        size = batch
    if batch % size:
        raise SeriesValidationError(
            f"micro_batch_size={size} must divide the windows each process takes per step ({batch}); "
            f"use a divisor of {batch}, or None"
        )
    return batch // size


def train_ensemble(windows: TrainingWindows, s: dict, config: ForecastConfig, validate, *, checkpoints, resume: bool,
                   deadline: float | None, runs: int, member0: int = 0, steps: list | None = None,
                   start: list | None = None) -> tuple[list, list, list]:
    """Train ``s["ensemble"]`` networks on ``windows``: ``(networks, their TrainResults, their
    optimisers' final ``state_dict()``)``.

    Args:
        s: the fit's resolved settings.
        validate: ``validate(net) -> float`` for early stopping, or None.
        checkpoints: a :class:`~checkpoints.Checkpoints` or None; members are numbered from ``member0``.
        deadline: ``time.perf_counter()`` at which the time budget ends, shared by the ``runs``
            trainings of this fit (``member0`` of them are done).
        steps: each member's steps (a refit repeats validation's choice); None: ``s["steps"]``.
        start: each member's ``(network, optimiser state or None)`` to continue from (copies are
            trained; ``Forecaster.update``); None: fresh networks and optimisers.
    """
    device = windows.windows.device
    loss_fn = loss_function(config, s["seq_size"], s["loss"], s["precision"], device)
    rank, world = distributed.rank_and_world()
    per_process = s["batch_size"] // world  # windows each process takes per step
    threads = choose_threads(per_process, s["hidden_dim"], s["threads"], processes=distributed.local_processes())
    lstm_steps = s["seq_size"] // s["patch_size"] if config.head == "direct" else s["seq_size"] + config.h - 1
    passes = micro_batches(s, per_process, lstm_steps, device)
    nets, results, optimizers = [], [], []
    with checkpoints.locked() if checkpoints else contextlib.nullcontext():
        for k in range(s["ensemble"]):  # members differ only in their seed
            member = member0 + k
            seed = s["seed"] + MEMBER_SEED_STRIDE * k
            limit = None if deadline is None else max(deadline - time.perf_counter(), 0) / (runs - member)
            with seeded(seed) as gen, num_threads(threads), no_denormals():
                net = ForecastNetwork(config).to(device) if start is None else copy.deepcopy(start[k][0]).to(device)
                opt = adam([p for p in net.parameters() if p.requires_grad], s["lr"])
                if start is not None and start[k][1] is not None:  # a copy: the fused step updates its tensors in place
                    opt.load_state_dict(copy.deepcopy(start[k][1]))
                config_k = TrainConfig(
                    steps=steps[k] if steps else s["steps"], lr=s["lr"], schedule=s["lr_schedule"], schedule_steps=s["steps"],
                    grad_clip=s["grad_clip"], micro_batches=passes, eval_every=s["eval_every"], patience=s["patience"],
                    time_limit=limit, checkpoint_every=s["checkpoint_every"], progress=s["progress"], score_start=start is not None,
                )
                result = fit_network(
                    distributed.wrap(net), windows.sampler(s["batch_size"], seed, rank=rank, world=world), loss_fn, config_k,
                    validate=validate, generator=gen,
                    resume_from=checkpoints.load(member) if checkpoints and resume else None,
                    checkpoint=checkpoints.saver(member) if checkpoints else None, optimizer=opt,
                )
            nets.append(net)
            results.append(result)
            optimizers.append(opt.state_dict())
    return nets, results, optimizers
