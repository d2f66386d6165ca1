"""Forecast accuracy, with the M4 competition's definitions.

Each function scores one series (1-D arrays) and the ``*_panel`` helpers average over series
as M4 does (per-series scores, then the mean). Percentage and scaled metrics never divide by
zero silently: MAPE skips zero actuals with a warning, MASE returns NaN with a warning when the
in-sample seasonal differences are all zero. Actuals and forecasts must be finite; the in-sample
series may hold missing days as NaN (NN5), and the scale then skips the pairs they touch.
"""

from __future__ import annotations

import reprlib
import warnings

import numpy as np

from .errors import SeriesValidationError
from .params import integer_arg, is_real


def _values(name: str, v, *, missing_ok: bool = False) -> np.ndarray:
    """``v`` as a non-empty 1-D float64 array of finite numbers (or NaN, with ``missing_ok``),
    or an error naming ``name``."""
    try:
        arr = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise SeriesValidationError(f"{name} must hold numbers; got {reprlib.repr(v)}") from None
    if arr.ndim != 1 or len(arr) == 0:
        raise SeriesValidationError(f"{name} must be a non-empty 1-D array of numbers (one series); got shape {arr.shape}")
    finite = np.isfinite(arr) | (missing_ok & np.isnan(arr))
    if not finite.all():
        pos = int(np.argmin(finite))
        raise SeriesValidationError(f"{name} has the value {float(arr[pos])!r} at position {pos}; scores need finite numbers, remove it")
    return arr


def _pair(y, y_hat, name: str = "y_hat") -> tuple[np.ndarray, np.ndarray]:
    y, y_hat = _values("y", y), _values(name, y_hat)
    if y.shape != y_hat.shape:
        raise SeriesValidationError(f"y has shape {y.shape} but {name} has {y_hat.shape}; they must match")
    return y, y_hat


def _shrunk(*arrays: np.ndarray) -> tuple[list[np.ndarray], int]:
    """``arrays`` divided by the power of two ``2**e`` just above their largest absolute value,
    and ``e``: differences and squares of values near 1e308 no longer overflow, and a score in
    the data's units is ``np.ldexp(score, e)`` (inf only where the score itself is beyond float64)."""
    size = max(float(np.nanmax(np.abs(a), initial=0.0)) for a in arrays)
    e = int(np.frexp(size)[1]) if size > 0 else 0
    return [np.ldexp(a, -e) for a in arrays], e


def _pointwise(y: np.ndarray, y_hat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pair ``y[i], y_hat[i]`` divided by the power of two above the larger of the two
    (exact): percentage errors, ratios within each pair, keep their value without overflow."""
    e = np.frexp(np.maximum(np.abs(y), np.abs(y_hat)))[1]
    return np.ldexp(y, -e), np.ldexp(y_hat, -e)


def _scale(insample, season) -> float:
    """The mean absolute in-sample seasonal difference (MASE's and MSIS's denominator) over the
    pairs ``season`` apart where both values are present (not NaN); NaN, with a warning, when
    there is no such pair. Callers pass values divided as :func:`_shrunk` divides them."""
    insample = np.asarray(insample, dtype=np.float64)
    season = integer_arg("season", season, 1, 10**6)
    diffs = np.abs(insample[season:] - insample[:-season])
    diffs = diffs[~np.isnan(diffs)]
    if len(diffs) == 0:
        warnings.warn(f"MASE and MSIS need two present in-sample values season={season} apart; got {len(insample)} values, "
                      f"{int(np.isnan(insample).sum())} of them missing", RuntimeWarning, stacklevel=3)
        return float("nan")
    return float(np.mean(diffs))


def mae(y, y_hat) -> float:
    """Mean absolute error: ``mean(|y - y_hat|)``."""
    (y, y_hat), e = _shrunk(*_pair(y, y_hat))
    return float(np.ldexp(np.mean(np.abs(y - y_hat)), e))


def rmse(y, y_hat) -> float:
    """Root mean squared error: ``sqrt(mean((y - y_hat)^2))``."""
    (y, y_hat), e = _shrunk(*_pair(y, y_hat))
    return float(np.ldexp(np.sqrt(np.mean((y - y_hat) ** 2)), e))


def mape(y, y_hat) -> float:
    """Mean absolute percentage error, in percent: ``100 * mean(|y - y_hat| / |y|)`` over ``y != 0``."""
    y, y_hat = _pointwise(*_pair(y, y_hat))
    keep = y != 0
    if not keep.all():
        warnings.warn(f"MAPE skipped {int((~keep).sum())} zero actual value(s)", RuntimeWarning, stacklevel=2)
    if not keep.any():
        return float("nan")
    return float(100 * np.mean(np.abs(y[keep] - y_hat[keep]) / np.abs(y[keep])))


def smape(y, y_hat) -> float:
    """Symmetric MAPE as in M4, in percent: ``mean(200 * |y - y_hat| / (|y| + |y_hat|))``.

    A point where both are zero counts as 0 (a perfect forecast).
    """
    y, y_hat = _pointwise(*_pair(y, y_hat))
    denom = np.abs(y) + np.abs(y_hat)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(denom == 0, 0.0, 200 * np.abs(y - y_hat) / denom)
    return float(np.mean(terms))


def mase(y, y_hat, insample, season: int = 1) -> float:
    """Mean absolute scaled error as in M4.

    ``mean(|y - y_hat|) / mean(|insample[t] - insample[t - season]|)``: the error relative to
    the in-sample seasonal naive forecast; in-sample pairs with a missing (NaN) value are
    skipped. NaN (with a warning) when that scale is zero.
    """
    (y, y_hat, insample), _ = _shrunk(*_pair(y, y_hat), _values("insample", insample, missing_ok=True))
    scale = _scale(insample, season)
    if np.isnan(scale):
        return scale
    if scale == 0:
        warnings.warn("MASE is undefined: the in-sample seasonal differences are all zero", RuntimeWarning, stacklevel=2)
        return float("nan")
    return float(np.mean(np.abs(y - y_hat)) / scale)


def owa(smape_model: float, mase_model: float, smape_naive2: float, mase_naive2: float) -> float:
    """Overall weighted average (M4): ``(sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2``."""
    for name, v in (("smape_model", smape_model), ("mase_model", mase_model), ("smape_naive2", smape_naive2), ("mase_naive2", mase_naive2)):
        if not (is_real(v) and v >= 0) or (name.endswith("naive2") and v == 0):
            raise SeriesValidationError(f"{name}={v!r} must be a finite {'positive' if name.endswith('naive2') else 'non-negative'} score")
    return 0.5 * (smape_model / smape_naive2 + mase_model / mase_naive2)


def msis(y, lo, hi, insample, season: int = 1, alpha: float = 0.05) -> float:
    """Mean scaled interval score (M4) for a ``1 - alpha`` interval ``[lo, hi]``."""
    y, lo = _pair(y, lo, "lo")
    hi = _pair(y, hi, "hi")[1]
    if not (is_real(alpha) and 0 < alpha < 1):
        raise SeriesValidationError(f"alpha={alpha!r} must be a number strictly between 0 and 1 (0.05 for 95% intervals)")
    (y, lo, hi, insample), _ = _shrunk(y, lo, hi, _values("insample", insample, missing_ok=True))
    scale = _scale(insample, season)
    penalty = (hi - lo) + (2 / alpha) * ((lo - y) * (y < lo) + (y - hi) * (y > hi))
    return float(np.mean(penalty) / scale) if scale > 0 else float("nan")


def score_panel(actuals, forecasts, insamples, season: int = 1) -> dict[str, float]:
    """M4-style averages over series of sMAPE, MASE, MAE and RMSE (lists of 1-D arrays)."""
    actuals, forecasts, insamples = list(actuals), list(forecasts), list(insamples)
    if not actuals or not len(actuals) == len(forecasts) == len(insamples):
        raise SeriesValidationError(f"actuals, forecasts and insamples hold {len(actuals)}, {len(forecasts)} and {len(insamples)} "
                                    "series; pass one array per series in each, at least one")
    rows = [
        (smape(y, f), mase(y, f, x, season), mae(y, f), rmse(y, f))
        for y, f, x in zip(actuals, forecasts, insamples, strict=True)
    ]
    s, m, a, r = (np.nanmean(c) for c in zip(*rows))
    return {"smape": float(s), "mase": float(m), "mae": float(a), "rmse": float(r)}
