"""Conformal prediction intervals from held-out errors, in units of each series' spread."""

from __future__ import annotations

import math
import warnings

import numpy as np

from .errors import SeriesValidationError


def conformal_quantile(errors: np.ndarray, level: float) -> float:
    """The ``ceil((n + 1) * level / 100)``-th smallest of ``n`` errors (split conformal)."""
    n = len(errors)
    k = min(n, int(np.ceil((n + 1) * level / 100)))
    return float(np.sort(errors)[k - 1])


def conformal_widths(residuals: np.ndarray, spread: np.ndarray, level: float, h: int) -> np.ndarray:
    """Half-widths ``[S, h]`` of ``level``% intervals.

    Normalised split conformal: the held-out errors ``residuals`` ``[S, val]`` of each series
    are divided by its typical seasonal change ``spread`` ``[S]``; for each horizon step the
    conformal quantile of those over the series, times each series' spread, is its half-width.
    With fewer than 20 series the errors of all steps are pooled. Too few errors for ``level``
    give the widest interval they can, with a warning. Past the held-out horizon the
    last width grows with the square root of the step.
    """
    if not 0 < level < 100:
        raise SeriesValidationError(f"level={level!r} must be a percentage between 0 and 100")
    r = np.abs(residuals) / spread[:, None]
    val = r.shape[1]
    n = r.shape[0] if r.shape[0] >= 20 else r.size  # errors behind each width
    need = math.ceil(level / (100 - level) - 1e-9)
    if n < need:
        warnings.warn(
            f"{level:g}% intervals need at least {need} held-out errors but there are {n}: they are as wide as "
            f"the largest error and cover only about {100 * n / (n + 1):.0f}%; use more series, or a larger val_size in the Python API",
            RuntimeWarning, stacklevel=3,
        )
    if r.shape[0] >= 20:
        widths = np.array([conformal_quantile(r[:, k], level) for k in range(val)])
    else:
        widths = np.full(val, conformal_quantile(r.ravel(), level))
    if h > val:
        widths = np.r_[widths, widths[-1] * np.sqrt(np.arange(val + 1, h + 1) / val)]
    return spread[:, None] * widths[None, :h]
