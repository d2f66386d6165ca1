"""Conformal prediction intervals from held-out errors, in units of each series' spread.

The held-out part of each series (its last ``val`` points) is cut into rolling calibration
windows (:func:`calibration_windows`); the fitted model's errors on them, ``[S, J, V]`` (series,
windows, steps ahead), calibrate every step ahead (:func:`conformal_widths`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from .errors import SeriesValidationError

# Errors per step ahead from which each step gets its own conformal quantile. One rule for every
# level keeps the bands nested (a 95% band holds the 80% one). With fewer, a quantile per step is
# noise: airline's 80% widths from 9 windows went 0.80, 1.26, 1.26, ... (flat), above its 95% ones.
PER_STEP_ERRORS = 100


def calibration_windows(val: int, h: int) -> tuple[int, int, int]:
    """``(stride, windows, steps)`` of the calibration windows in a held-out part of ``val`` points.

    Windows of ``steps = min(val, h)`` points start ``stride = max(1, h // 4)`` points apart, the
    first at the start of the held-out part: ``(val - steps) // stride + 1`` of them, so
    ``val == h`` gives one window and ``val == 3 * h`` nine where ``h`` is a multiple of 4
    (errors of windows that overlap are alike, so a smaller stride would cost forecasts and add
    little).
    """
    steps = min(val, h)
    stride = calibration_stride(h)
    return stride, (val - steps) // stride + 1, steps


def calibration_stride(h: int) -> int:
    """Points between the cutoffs of consecutive calibration windows for horizon ``h``."""
    return max(1, h // 4)


def conformal_quantile(errors: np.ndarray, level: float) -> float:
    """The ``ceil((n + 1) * level / 100)``-th smallest of ``n`` errors (split conformal)."""
    n = len(errors)
    k = min(n, int(np.ceil((n + 1) * level / 100)))
    return float(np.sort(errors)[k - 1])


def errors_needed(level: float) -> int:
    """Errors a ``level``% conformal interval needs to be narrower than the largest of them."""
    return math.ceil(level / (100 - level) - 1e-9)


def too_few_errors(n: int, level: float) -> str | None:
    """The warning for ``level``% intervals calibrated on ``n`` errors, or None when they are enough."""
    need = errors_needed(level)
    if n >= need:
        return None
    return (f"{level:g}% intervals need at least {need} held-out errors but there are {n}: they are as wide as "
            f"the largest error and cover only about {100 * n / (n + 1):.0f}%; use more series, or a larger val_size in the Python API")


def step_scale(errors: np.ndarray) -> np.ndarray:
    """A smooth, non-decreasing scale ``[V]`` of the errors ``[n, V]`` at each step ahead.

    The mean squared error ``k + 1`` steps ahead is fitted by ``a + b * k`` (least squares),
    with ``b`` between 0 (flat: noise around a good forecast) and ``a`` (a random walk's
    growth, the steepest allowed, so that the first step keeps a scale of its own). One fit
    over all steps stays steady where each step has a single error.
    """
    msq = np.mean(errors**2, axis=0)
    k = np.arange(len(msq), dtype=float)
    b = max(float(np.cov(k, msq, bias=True)[0, 1] / np.var(k)) if len(k) > 1 else 0.0, 0.0)
    a = msq.mean() - b * k.mean()
    if b > a:  # steeper than a random walk: fit a * (1 + k)
        a = b = float(msq @ (1 + k) / ((1 + k) @ (1 + k)))
    return np.sqrt(a + b * k)


def conformal_widths(residuals: np.ndarray, spread: np.ndarray, level: float, h: int) -> np.ndarray:
    """Half-widths ``[h]`` of ``level``% intervals, in units of a series' spread.

    Normalised split conformal: the held-out errors ``residuals`` ``[S, J, V]`` (``J``
    calibration windows of ``V`` steps per series) are divided by each series' typical
    seasonal change ``spread`` ``[S]``. Where each step has :data:`PER_STEP_ERRORS` errors
    (``S * J``), each step's width is their conformal quantile, so widths follow the errors
    (on NN5 making them never shrink covered 97.4% at 95% and 90.1% at 80%); else the errors are
    divided by a smooth scale per step that never shrinks (:func:`step_scale`) and one conformal
    quantile of all of them, times that scale, gives each step's width. Past ``V`` steps the
    last one grows with the square root of the step.
    A series' widths are those times its spread. Too few errors for ``level`` in all
    (:func:`too_few_errors`) give the widest interval they can, with a warning.
    """
    if not 0 < level < 100:
        raise SeriesValidationError(f"level={level!r} must be a percentage between 0 and 100")
    S, J, V = residuals.shape
    r = (np.abs(residuals) / spread[:, None, None]).reshape(S * J, V)  # column k: every error k + 1 steps ahead
    message = too_few_errors(r.size, level)
    if message:
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    if S * J >= PER_STEP_ERRORS:  # each step its own: widths follow the errors, weekday by weekday on daily data
        widths = np.array([conformal_quantile(r[:, k], level) for k in range(V)])
    else:  # a scale that never shrinks with the step, times one quantile of all
        scale = step_scale(r)
        ratios = np.divide(r, scale, out=np.zeros_like(r), where=scale > 0)
        widths = conformal_quantile(ratios.ravel(), level) * scale
    if h > V:
        widths = np.r_[widths, widths[-1] * np.sqrt(np.arange(V + 1, h + 1) / V)]
    return widths[:h]


def series_spread(store: np.ndarray, starts: np.ndarray, train_len: np.ndarray, season: int, floor: float | None = None) -> np.ndarray:
    """Each series' typical seasonal change ``[S]`` on its training part of the model-space
    ``store``: the unit of its conformal errors, so calm series get narrow intervals and volatile
    ones wide. Lag 1 where a series is no longer than a season; at least ``floor`` (default: a
    tenth of the median of the series that move), so a flat series still gets a band. Each
    series' spread depends on its own values and ``floor`` only."""
    spread = np.array([np.mean(np.abs(store[o + m : o + n] - store[o : o + n - m])) if n > m else 0.0
                       for o, n in zip(starts, train_len) for m in [season if n > season else 1]])
    if floor is None:
        moving = spread[spread > 0]
        floor = 0.1 * np.median(moving) if len(moving) else 1.0
    return np.maximum(spread, floor)


def spread_floor(spread: np.ndarray) -> float:
    """The floor :func:`series_spread` gave the fitted series' spreads, for series met later."""
    return 0.1 * float(np.median(spread))


def nested_bands(q: np.ndarray, learned: tuple, level: list) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """``{level: (lower, upper)}`` from a quantile head's output ``q`` ``[S, Q, h]`` (the median,
    then each ``learned`` level's bounds). Never crossed: each band holds the median and every
    narrower band."""
    bands, lo, hi = {}, q[:, 0], q[:, 0]
    for lv in sorted(learned):
        k = 1 + 2 * list(learned).index(lv)
        lo, hi = np.minimum(lo, q[:, k : k + 2].min(1)), np.maximum(hi, q[:, k : k + 2].max(1))
        bands[lv] = lo, hi
    return {lv: bands[lv] for lv in level}


@dataclass
class Calibration:
    """What a fitted model's conformal intervals rest on.

    Attributes:
        errors: held-out errors ``[rows, J, V]`` in model space of the series that held out points.
        rows: those series' indices.
        spread: every series' spread ``[S]`` (:func:`series_spread`), the unit of its errors.
        stride: points between the cutoffs of consecutive calibration windows.
    """

    errors: np.ndarray
    rows: np.ndarray
    spread: np.ndarray
    stride: int

    def widths(self, level: float, h: int, spread: np.ndarray | None = None) -> np.ndarray:
        """Half-widths ``[R, h]`` in model space of ``level``% intervals (:func:`conformal_widths`)
        for series of ``spread`` ``[R]`` (default: every fitted series')."""
        if self.errors.shape[2] == 0:
            raise SeriesValidationError(
                "intervals need held-out errors, but this model was fitted with val_size=0 (or on series too short "
                "to hold out h points); refit with val_size=None or a positive val_size"
            )
        spread = self.spread if spread is None else spread
        return spread[:, None] * conformal_widths(self.errors, self.spread[self.rows], level, h)[None, :]

    def warnings(self, levels: list) -> dict[str, str]:
        """``{"95": message}`` for each level calibrated on too few errors (:func:`too_few_errors`)."""
        found = {f"{lv:g}": too_few_errors(self.errors.size, lv) for lv in levels}
        return {lv: message for lv, message in found.items() if message}
