"""Statistical baselines, full estimators under the protocol every model follows.

``fit(data) -> self``, ``predict(h, level=)``, ``cross_validation(...)``, ``get_params`` /
``set_params`` and ``alias``, as ``Forecaster``; the backtest calls ``forecast_windows(panel,
cuts, h, level)``, which forecasts every series from its history before every cutoff in one
vectorised pass (Naive2 goes one history at a time).

Intervals assume normal errors whose spread comes from the method's own in-sample residuals in
each history (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., §5.5),
``k`` steps ahead of a history of ``T`` points:

- Naive: ``sigma * sqrt(k)``, ``sigma**2`` the mean squared one-step change;
- SeasonalNaive: ``sigma * sqrt(floor((k - 1) / m) + 1)``, ``sigma**2`` the mean squared
  change over one season ``m`` (naive, and its interval, where a history is shorter than ``m``);
- Drift: ``sigma * sqrt(k * (1 + k / (T - 1)))``, ``sigma`` the standard deviation of the
  one-step changes (``T - 2`` degrees of freedom: the slope is estimated);
- Mean: ``sigma * sqrt(1 + 1 / T)``, ``sigma`` the sample standard deviation of the history.

A history too short to give residuals for its estimate gets NaN bounds. Naive2 has no interval.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from .calendar import future_times, resolve_season
from .data import to_panel
from .errors import NotFittedError, SeriesValidationError
from .panel import Panel
from .params import MAX_SEASON, Params, check_int, horizon_arg, levels_arg


class Baseline(Params):
    """The protocol's plumbing; each baseline implements ``_forecast(panel, cuts, h)``."""

    alias = "Baseline"

    def __init__(self, season: int | None = None, *, alias: str | None = None):
        self.season = season
        if alias is not None:
            self.alias = alias

    def fit(self, data, **data_options) -> "Baseline":
        """Keep the series (any form ``to_panel`` accepts, read with ``data_options``) and the season."""
        check_int(self, "season", 1, MAX_SEASON, optional=True)
        if not (isinstance(self.alias, str) and self.alias):
            raise SeriesValidationError(f"alias={self.alias!r} must be a non-empty column name, e.g. alias={type(self).alias!r}")
        self.panel_ = to_panel(data, **data_options)
        self.season_ = resolve_season(self.season, self.panel_.freq)
        options = {**to_panel.__kwdefaults__, **data_options}
        self.id_col_, self.time_col_ = options["id_col"], options["time_col"]
        return self

    def predict(self, h: int, *, level=None) -> pd.DataFrame:
        """The long frame ``unique_id, ds, <alias>`` (plus ``<alias>-lo-<l>``, ``<alias>-hi-<l>``):
        ``h`` steps after the end of each series."""
        self._check_fitted()
        h = horizon_arg(h)
        if self.alias in (self.id_col_, self.time_col_):
            raise SeriesValidationError(f"alias={self.alias!r} is also the name of the {'id' if self.alias == self.id_col_ else 'time'} column; "
                                        f"give the forecast column another name, e.g. alias={type(self).alias!r}")
        p = self.panel_
        columns = self.forecast_windows(p, p.lengths[:, None], h, level)
        out = pd.DataFrame({
            self.id_col_: np.repeat(np.asarray(p.ids, dtype=object), h),
            self.time_col_: np.concatenate([np.asarray(future_times(p.last_time(i), p.freq, h)) for i in range(len(p.ids))]),
        })
        for name, values in columns.items():
            out[name] = values.reshape(-1)
        out.attrs["interval_warnings"] = self.interval_warnings(level)
        return out

    def cross_validation(self, data, h: int, n_windows: int = 1, step_size: int | None = None, *,
                         refit: bool = False, level=None, **data_options) -> pd.DataFrame:
        """Rolling-origin backtest; see :func:`seriespredictor.backtest.cross_validation`."""
        from .backtest import cross_validation

        return cross_validation(self, data, h, n_windows, step_size, refit=refit, level=level, **data_options)

    def interval_warnings(self, level=None) -> dict[str, str]:
        """None: the normal intervals rest on no calibration that could be too small."""
        return {}

    def forecast_windows(self, panel: Panel, cuts: np.ndarray, h: int, level=None) -> dict[str, np.ndarray]:
        """Forecasts ``[S, W, h]`` from the points before each cutoff ``cuts`` ``[S, W]`` (at
        least 1, increasing along each row) of every series of ``panel``."""
        self._check_fitted()
        level = levels_arg(level)
        point, sd = self._forecast(panel, cuts, h)
        if level and sd is None:
            raise SeriesValidationError(f"level={level} needs intervals, but {type(self).__name__} gives point forecasts only; "
                                        "use Naive, SeasonalNaive, Drift, Mean or Forecaster for intervals")
        out = {self.alias: point}
        for lv in level:
            z = NormalDist().inv_cdf(0.5 + lv / 200)
            out[f"{self.alias}-lo-{lv:g}"] = point - z * sd
            out[f"{self.alias}-hi-{lv:g}"] = point + z * sd
        return out

    def _forecast(self, panel: Panel, cuts: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray | None]:  # pragma: no cover - abstract
        """Point forecasts and their standard deviations ``[S, W, h]`` (None: no interval)."""
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not hasattr(self, "panel_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with data first")


# -- sums over every history at once --------------------------------------------------------------
def _history_sums(panel: Panel, cuts: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Sums ``[S, W]`` of ``v`` (aligned with ``panel.values``) over each series' points before
    each cutoff; summed piece by piece between cutoffs, so each sum carries the rounding of its
    own series only."""
    starts = panel.offsets[:-1, None]
    bounds = np.concatenate([starts, starts + cuts], axis=1).ravel()
    pieces = np.add.reduceat(np.append(v, 0.0), bounds).reshape(len(cuts), -1)[:, :-1]  # the last piece lies after the cutoffs
    return np.cumsum(pieces, axis=1)


def _moments(panel: Panel, cuts: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean and sum of squared deviations ``[S, W]`` of each history's changes over
    ``lag`` steps, ``y[t] - y[t - lag]`` (``lag=0``: of its values). NaN where there are none."""
    n_all, lengths = len(panel.values), panel.lengths
    local = np.arange(n_all) - np.repeat(panel.offsets[:-1], lengths)
    r = panel.values - panel.values[np.maximum(np.arange(n_all) - lag, 0)] if lag else panel.values  # masked below where local < lag
    # Shifted by each series' first change: sums of squares without cancellation, whatever the level.
    first = r[panel.offsets[:-1] + np.minimum(lag, lengths - 1)]
    r = np.where(local >= lag, r - np.repeat(first, lengths), 0.0)
    s1, s2 = _history_sums(panel, cuts, r), _history_sums(panel, cuts, r * r)
    n = (cuts - lag).astype(float)
    n[n <= 0] = np.nan
    return n, first[:, None] + s1 / n, np.maximum(s2 - s1 * s1 / n, 0.0)


def _walk(panel: Panel, cuts: np.ndarray, h: int, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """The value ``lag`` steps before each forecast step, repeated (naive: ``lag=1``; seasonal
    naive: one season), and its standard deviation ``sigma * sqrt(floor((k - 1) / lag) + 1)``."""
    k = np.arange(h)
    starts = panel.offsets[:-1, None, None]
    pos = np.maximum(starts + cuts[:, :, None] - lag + k % lag, starts)  # [S, W, h]; clipped where a history is shorter than lag
    n, mean, ss = _moments(panel, cuts, lag)
    sigma = np.sqrt(ss / n + mean**2)  # the root mean square of the changes
    return panel.values[pos], sigma[:, :, None] * np.sqrt(k // lag + 1)


class Naive(Baseline):
    """The last value, repeated."""

    alias = "Naive"

    def _forecast(self, panel, cuts, h):
        return _walk(panel, cuts, h, 1)


class SeasonalNaive(Baseline):
    """The value one season earlier: ``y[n - m + (k mod m)]``; naive where a history is shorter than a season."""

    alias = "SeasonalNaive"

    def _forecast(self, panel, cuts, h):
        naive = _walk(panel, cuts, h, 1)
        if self.season_ == 1:
            return naive
        short = (cuts < self.season_)[:, :, None]
        return tuple(np.where(short, a, b) for a, b in zip(naive, _walk(panel, cuts, h, self.season_)))


class Drift(Baseline):
    """The line through the first and last values, extended."""

    alias = "Drift"

    def _forecast(self, panel, cuts, h):
        starts = panel.offsets[:-1, None]
        first, last = panel.values[starts], panel.values[starts + cuts - 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where(cuts > 1, (last - first) / (cuts - 1), 0.0)
            n, _, ss = _moments(panel, cuts, 1)
            sigma = np.sqrt(ss / (n - 1))
        sigma[n < 2] = np.nan
        k = np.arange(1, h + 1)
        return last[:, :, None] + slope[:, :, None] * k, sigma[:, :, None] * np.sqrt(k * (1 + k / n[:, :, None]))


class Mean(Baseline):
    """The mean of the history."""

    alias = "Mean"

    def _forecast(self, panel, cuts, h):
        n, mean, ss = _moments(panel, cuts, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(ss / (n - 1) * (1 + 1 / n))
        sd[n < 2] = np.nan
        return np.repeat(mean[:, :, None], h, axis=2), np.repeat(sd[:, :, None], h, axis=2)


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


def naive2(y: np.ndarray, h: int, m: int) -> np.ndarray:
    """M4's Naive2 forecast of one history ``y``: naive on the seasonally adjusted series when
    the seasonality test at ``m`` passes (and the series is positive, as the multiplicative
    decomposition needs)."""
    if not (y > 0).all() or not is_seasonal(y, m):
        return np.full(h, y[-1])
    si = seasonal_indices(y, m)
    n = len(y)
    return y[-1] / si[(n - 1) % m] * si[(n + np.arange(h)) % m]


class Naive2(Baseline):
    """M4's Naive2 (see :func:`naive2`); point forecasts only."""

    alias = "Naive2"

    def _forecast(self, panel, cuts, h):
        histories = [[panel.series(i)[:c] for c in row] for i, row in enumerate(cuts)]
        return np.array([[naive2(y, h, self.season_) for y in row] for row in histories]), None


BASELINES = {cls.alias: cls for cls in (Naive, SeasonalNaive, Drift, Mean, Naive2)}
