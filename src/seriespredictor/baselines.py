"""Statistical baselines with the ``Forecaster`` contract: ``fit(data)``, ``predict(h)``.

Their ``alias`` becomes the forecast column, so plots, backtests and metric tables treat them
like the LSTM. Each works on one series at a time through ``forecast(y, h)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import future_times, resolve_season
from .data import to_panel
from .panel import Panel
from .errors import NotFittedError, SeriesValidationError
from .params import MAX_SEASON, check_int, horizon_arg


class Baseline:
    """Shared fit/predict plumbing; subclasses implement ``forecast(y, h)``."""

    alias = "Baseline"

    def __init__(self, season: int | None = None, *, alias: str | None = None):
        self.season = season
        if alias is not None:
            self.alias = alias

    def forecast(self, y: np.ndarray, h: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, data, **data_options) -> "Baseline":
        check_int(self, "season", 1, MAX_SEASON, optional=True)
        if not (isinstance(self.alias, str) and self.alias):
            raise SeriesValidationError(f"alias={self.alias!r} must be a non-empty column name, e.g. alias={type(self).alias!r}")
        panel = data if isinstance(data, Panel) else to_panel(data, **data_options)
        self.panel_ = panel
        self.season_ = resolve_season(self.season, panel.freq)
        return self

    def predict(self, h: int, *, id_col: str = "unique_id", time_col: str = "ds") -> pd.DataFrame:
        if not hasattr(self, "panel_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with data first")
        h = horizon_arg(h)
        if self.alias in (id_col, time_col):
            raise SeriesValidationError(f"alias={self.alias!r} is also the name of the {'id' if self.alias == id_col else 'time'} column; "
                                        f"give the forecast column another name, e.g. alias={type(self).alias!r}")
        p = self.panel_
        frames = [
            pd.DataFrame({id_col: sid, time_col: future_times(p.last_time(i), p.freq, h), self.alias: self.forecast(p.series(i), h)})
            for i, sid in enumerate(p.ids)
        ]
        return pd.concat(frames, ignore_index=True)


class Naive(Baseline):
    """The last value, repeated."""

    alias = "Naive"

    def forecast(self, y, h):
        return np.full(h, y[-1])


class SeasonalNaive(Baseline):
    """The value one season earlier: ``y[n - m + (k mod m)]``; naive when too short."""

    alias = "SeasonalNaive"

    def forecast(self, y, h):
        m = self.season_
        if m <= 1 or len(y) < m:
            return np.full(h, y[-1])
        return np.resize(y[-m:], h)


class Drift(Baseline):
    """The line through the first and last values, extended."""

    alias = "Drift"

    def forecast(self, y, h):
        slope = (y[-1] - y[0]) / (len(y) - 1) if len(y) > 1 else 0.0
        return y[-1] + slope * np.arange(1, h + 1)


class Mean(Baseline):
    """The mean of the history."""

    alias = "Mean"

    def forecast(self, y, h):
        return np.full(h, y.mean())


def _acf(y: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelations at lags 1..max_lag (R's ``acf``: demeaned, denominator n)."""
    d = y - y.mean()
    d = d / np.max(np.abs(d))  # scale-free, and no overflow in the dot products of values near 1e300
    denom = np.dot(d, d)
    return np.array([np.dot(d[k:], d[:-k]) / denom for k in range(1, max_lag + 1)])


def is_seasonal(y: np.ndarray, m: int) -> bool:
    """M4's 90% autocorrelation test for seasonality at lag ``m`` (needs ``3m`` points)."""
    if m <= 1 or len(y) < 3 * m or np.all(y == y[0]):
        return False
    r = _acf(y, m)
    limit = 1.645 / np.sqrt(len(y)) * np.sqrt(1 + 2 * np.sum(r[: m - 1] ** 2))
    return bool(abs(r[m - 1]) > limit)


def seasonal_indices(y: np.ndarray, m: int) -> np.ndarray:
    """Classical multiplicative decomposition (R's ``decompose``): indices by position mod m."""
    n = len(y)
    if m % 2 == 0:
        weights = np.r_[0.5, np.ones(m - 1), 0.5] / m
    else:
        weights = np.ones(m) / m
    half = len(weights) // 2
    trend = np.full(n, np.nan)
    trend[half : n - half] = np.convolve(y, weights, mode="valid")
    ratio = y / trend
    figure = np.array([np.nanmean(ratio[k::m]) for k in range(m)])
    return figure / figure.mean()


class Naive2(Baseline):
    """M4's Naive2: naive on the seasonally adjusted series when the seasonality test passes
    (and the series is positive, as the multiplicative decomposition needs)."""

    alias = "Naive2"

    def forecast(self, y, h):
        m = self.season_
        if not (y > 0).all() or not is_seasonal(y, m):
            return np.full(h, y[-1])
        si = seasonal_indices(y, m)
        n = len(y)
        return y[-1] / si[(n - 1) % m] * si[(n + np.arange(h)) % m]


BASELINES = {cls.alias: cls for cls in (Naive, SeasonalNaive, Drift, Mean, Naive2)}
