"""Training windows as index arithmetic over the contiguous series store.

No window is ever materialised: window number ``k`` (0 <= k < total) of the panel maps to a
start position in the store, and a batch is those rows of ``store.unfold(0, span, 1)`` (a view
of every window), copied by one ``index_select``.
Memory is one count per series, whatever the number of windows.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .errors import SeriesValidationError
from .intervals import calibration_windows


def window_counts(lengths: np.ndarray, span: int) -> np.ndarray:
    """Windows of ``span`` consecutive points that fit in series of ``lengths`` points."""
    return np.maximum(np.asarray(lengths, dtype=np.int64) - span + 1, 0)


def window_starts(k: torch.Tensor, first: torch.Tensor, cum: torch.Tensor) -> torch.Tensor:
    """Store positions where windows number ``k`` begin.

    Args:
        k: window numbers, each in ``[0, cum[-1])``.
        first: ``offsets - cum + counts`` per series: the position of a series' first point
            less the number of windows before it.
        cum: cumulative windows per series.
    """
    return first[torch.searchsorted(cum, k, right=True)] + k  # searchsorted: the series holding window k


def _mix(*values: int) -> int:
    """A 64-bit hash of integers (splitmix64 steps): the same numbers on every rank and run."""
    x = 0x9E3779B97F4A7C15
    for v in values:
        x = (x ^ (v & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 31
    return x


class EpochSampler:
    """Batches of window numbers: each epoch a fresh permutation of all windows, sharded by rank.

    The permutation is the bijection ``i -> (a * i + b) mod total`` with ``a`` coprime to
    ``total`` and drawn, with ``b``, from ``(seed, epoch)`` alone: no permutation array is ever
    held, so memory stays constant however many windows there are. ``a`` is drawn from the
    middle half of ``[0, total)``, so one batch takes windows from all over the panel. The epoch
    is set at every epoch, as ``DistributedSampler.set_epoch``.

    Rank ``r`` of ``world`` takes positions ``r, r + world, ...``: the ranks' parts of one step
    are together exactly the single-process batch, so averaged gradients match a one-process
    run with the same global batch.
    """

    def __init__(self, total: int, batch_size: int, seed: int, *, rank: int = 0, world: int = 1):
        if batch_size % world:
            raise ValueError(f"batch_size={batch_size} must be a multiple of the number of processes ({world})")
        self.total, self.batch_size, self.seed, self.rank, self.world = total, batch_size, seed, rank, world
        self.per_rank = batch_size // world
        self.batches_per_epoch = max(1, total // batch_size)
        self._lanes = rank + world * torch.arange(self.per_rank)  # this rank's positions in a batch
        self._epoch, self._a, self._b = None, 1, 0

    def set_epoch(self, epoch: int) -> None:
        r1, r2 = _mix(self.seed, epoch, 1), _mix(self.seed, epoch, 2)
        a = (self.total // 4 + r1 % (self.total // 2 + 1)) | 1 if self.total > 4 else 1
        while math.gcd(a, self.total) != 1:
            a += 2 if self.total % 2 == 0 else 1
        self._epoch, self._a, self._b = epoch, a, r2 % self.total

    def batches(self, step: int, n: int = 1) -> torch.Tensor:
        """Window numbers of this rank's part of global steps ``step, step + 1, ...``:
        ``[m, batch_size / world]``, where ``m <= n`` stops at the end of ``step``'s epoch."""
        epoch, k = divmod(step, self.batches_per_epoch)
        if epoch != self._epoch:
            self.set_epoch(epoch)
        n = min(n, self.batches_per_epoch - k)
        i = self._lanes + self.batch_size * torch.arange(k, k + n)[:, None]
        if self.total < self.batch_size:  # fewer windows than a batch: they repeat
            i = i % self.total
        return (i * self._a + self._b) % self.total


class WindowBatches:
    """``batches(step)``: the store positions where step ``step``'s windows begin.

    Turning window numbers into positions is a few tiny tensor ops, each costing more in
    dispatch than in work; they run for ``block`` steps at once, which leaves one row per step.
    The result depends on ``step`` alone, so a resumed run draws the same batches.
    """

    def __init__(self, sampler: EpochSampler, first: torch.Tensor, cum: torch.Tensor, block: int = 64):
        self.sampler, self.first, self.cum, self.block = sampler, first, cum, block
        self._step0, self._rows = 0, first[:0]  # no block yet

    def __call__(self, step: int) -> torch.Tensor:
        j = step - self._step0
        if not 0 <= j < len(self._rows):
            k = self.sampler.batches(step, self.block).to(self.first.device, non_blocking=True)
            self._step0, self._rows, j = step, window_starts(k, self.first, self.cum), 0
        return self._rows[j]


def points_before(starts: np.ndarray, ends: np.ndarray, size: int) -> np.ndarray:
    """Store positions ``[len(ends), size]`` of the ``size`` points before each end, in series
    beginning at ``starts``; where a series has fewer, its first point repeats (edge padding)."""
    pos = np.asarray(ends)[:, None] - size + np.arange(size)
    return np.maximum(pos, np.asarray(starts)[:, None])


def padded_store(offsets: np.ndarray, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions in a store of series at ``offsets`` (``len(ids) + 1``) that put ``pad`` copies
    of each series' first point before it, and the padded series' offsets (``len(ids)``)."""
    lengths = np.diff(offsets) + pad
    new = np.r_[0, np.cumsum(lengths)]
    series = np.repeat(np.arange(len(lengths)), lengths)
    local = np.arange(new[-1]) - new[series]
    return offsets[series] + np.maximum(local - pad, 0), new[:-1]


def held_out(panel, val: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Training points per series, and which series hold out their last ``val`` points.

    A series too short to hold out ``val`` and keep ``h + 1`` trains on all its points (and is
    left out of calibration). Refuses a panel where no series has ``h + 1`` points.
    """
    validated = panel.lengths >= val + h + 1 if val else np.zeros(len(panel.ids), dtype=bool)
    train_len = panel.lengths - np.where(validated, val, 0)
    if int(np.maximum(train_len - h, 0).sum()) == 0:
        longest = int(np.argmax(panel.lengths))
        raise SeriesValidationError(
            f"no series has more than h={h} points (the longest, {panel.ids[longest]!r}, has {int(panel.lengths[longest])}); "
            "training needs at least one series with h + 1 points: use a smaller h="
        )
    return train_len, validated


def calibration_set(store: torch.Tensor, starts: np.ndarray, cutoffs: np.ndarray, val: int, h: int, size: int,
                    ahead: int = 0, limits: np.ndarray | None = None):
    """Inputs ``[rows * J, size]`` and targets ``[rows * J, V]`` of the calibration windows that
    roll over the held-out points after ``cutoffs`` (each series' training part), and the
    stride between them (:func:`intervals.calibration_windows`).

    A covariate store ``[N, 1 + C]`` gives inputs ``[rows * J, 1 + C, size + ahead]``: the covariates
    of the ``ahead`` steps after each cutoff too (past a series' end ``limits``, its last row repeats)."""
    stride, J, V = calibration_windows(val, h)
    ends = (starts[:, None] + cutoffs[:, None] + stride * np.arange(J)[None, :]).ravel()  # store positions
    before = points_before(np.repeat(starts, J), ends, size)
    if store.dim() == 2:
        after = np.minimum(ends[:, None] + np.arange(ahead), np.repeat(limits, J)[:, None] - 1)
        inputs = store[torch.as_tensor(np.concatenate([before, after], 1))].transpose(1, 2)
        return inputs, store[torch.as_tensor(ends[:, None] + np.arange(V)), 0], stride
    inputs = store[torch.as_tensor(before)]
    targets = store[torch.as_tensor(ends[:, None] + np.arange(V))]
    return inputs, targets, stride


class TrainingWindows:
    """Every training window of ``span`` points in the first ``lengths`` points of each series
    of the store, as index arithmetic. With ``pad``, each series is preceded by ``pad`` copies of
    its first point: series shorter than a window still give windows whose input starts before them."""

    def __init__(self, store: torch.Tensor, offsets: np.ndarray, lengths: np.ndarray, span: int, pad: int = 0):
        starts = offsets[:-1]
        if pad:
            index, starts = padded_store(offsets, pad)
            store = store[torch.as_tensor(index, device=store.device)]
        device = store.device
        counts = torch.as_tensor(window_counts(lengths + pad, span), device=device)
        self.cum = torch.cumsum(counts, 0)
        self.first = torch.as_tensor(starts, device=device) - self.cum + counts  # window k of a series: first + k
        self.total = int(self.cum[-1])
        self.windows = store.unfold(0, span, 1)  # every window, a view

    def sampler(self, batch_size: int, seed: int, *, rank: int = 0, world: int = 1):
        """``batch(step)``: the windows ``[batch_size / world, span]`` of training step ``step``."""
        batches = WindowBatches(EpochSampler(self.total, batch_size, seed, rank=rank, world=world), self.first, self.cum)
        return lambda step: self.windows.index_select(0, batches(step))
