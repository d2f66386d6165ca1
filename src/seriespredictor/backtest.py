"""Rolling-origin backtests: one engine for every model.

A model plugs in through the protocol ``Forecaster`` and the baselines share:

- ``get_params()``: its constructor's arguments (the backtest trains copies built from them);
- ``fit(data) -> self``, where ``data`` may be a ``Panel``;
- ``alias``: the name of its forecast column;
- ``forecast_windows(panel, cuts, h, level) -> {column: [S, W, h]}``: forecasts from the
  history before each cutoff, ``cuts`` ``[S, W]`` points of each series;
- ``interval_warnings(level) -> {level: message}``: levels its fit calibrated on too few errors.

``cross_validation(model, data, h, n_windows)`` returns the long frame
``unique_id, ds, cutoff, y, <alias>`` (plus interval columns) that
``utilsforecast.evaluation.evaluate`` consumes. Cutoff ``w`` of a series of ``n`` points keeps
``n - h - (n_windows - 1 - w) * step_size`` points as history; each forecast sees that history
only.
"""

from __future__ import annotations

import reprlib
import warnings

import numpy as np
import pandas as pd

from .data import to_panel
from .errors import SeriesValidationError
from .panel import Panel
from .params import bool_arg, horizon_arg, integer_arg, levels_arg


def cutoff_points(lengths: np.ndarray, h: int, n_windows: int, step_size: int) -> np.ndarray:
    """History lengths ``[S, n_windows]`` at each cutoff, oldest first."""
    back = (n_windows - 1 - np.arange(n_windows)) * step_size
    return lengths[:, None] - h - back[None, :]


def check_windows(panel: Panel, h: int, n_windows: int, step_size: int, fix: str | None = None) -> np.ndarray:
    """The cutoffs :func:`cutoff_points`, once every series is known to hold them with a point
    of history before the first (checked before any array is made); ``fix`` replaces the advice
    of the refusal where the caller chose the windows."""
    h = horizon_arg(h)
    n_windows, step_size = (integer_arg(name, v, 1, 2**40) for name, v in (("n_windows", n_windows), ("step_size", step_size)))
    need = 1 + h + (n_windows - 1) * step_size
    short = [(sid, int(n)) for sid, n in zip(panel.ids, panel.lengths) if n < need]
    if short:
        several = n_windows > 1
        windows = f"{n_windows} windows of h={h} every {step_size} steps" if several else f"1 window of h={h}"
        raise SeriesValidationError(
            f"{len(short)} series are too short for {windows}: they need {need} points (one before the first cutoff), "
            f"e.g. {reprlib.repr(short)}; "
            + (fix or f"use a smaller h={', fewer windows or a smaller step_size=' if several else ''}, or drop those series")
        )
    return cutoff_points(panel.lengths, h, n_windows, step_size)


def cross_validation(model, data, h: int, n_windows: int = 1, step_size: int | None = None, *, refit: bool = False,
                     level=None, id_col: str = "unique_id", time_col: str = "ds", **data_options) -> pd.DataFrame:
    """Backtest ``model`` (any model of the protocol above) over ``n_windows`` cutoffs.

    As in statsforecast and NeuralForecast, the backtest trains the model itself: a fresh copy
    with ``model``'s settings (trained for this ``h`` where the model takes a horizon) is fitted
    on every series' history before the first cutoff and forecasts every window from the history
    before its cutoff; with ``refit``, a fresh copy is fitted before each cutoff. ``model`` is
    left as it is: a fitted model is backtested like an unfitted one with the same settings.

    Args:
        model: the model to backtest, fitted or not.
        data: the series to backtest, in any form ``to_panel`` accepts.
        h: forecast horizon of each window.
        n_windows: number of cutoffs per series.
        step_size: steps between cutoffs (default ``h``: windows that do not overlap).
        refit: fit a fresh copy on the history before each cutoff, not only the first.
        level: interval levels in percent, e.g. ``[80, 95]`` (models with intervals only).
        id_col, time_col, data_options: how to read ``data`` (see ``to_panel``); ``id_col`` and
            ``time_col`` also name the output's columns.

    Returns:
        A long frame ``unique_id, ds, cutoff, y, <alias>`` with ``<alias>-lo-<level>`` and
        ``<alias>-hi-<level>`` columns for each level; levels calibrated on too few errors are
        named in ``frame.attrs["interval_warnings"]`` (see ``Forecaster.interval_warnings``).
    """
    step_size = h if step_size is None else step_size
    refit, level = bool_arg("refit", refit), levels_arg(level)
    if model.alias in (id_col, time_col, "cutoff", "y"):
        raise SeriesValidationError(f"alias={model.alias!r} would overwrite the backtest's own column {model.alias!r}; give the model another alias")
    panel = to_panel(data, id_col=id_col, time_col=time_col, **data_options)
    cuts = check_windows(panel, h, n_windows, step_size)
    S, W = cuts.shape
    columns: dict[str, np.ndarray] = {}
    warned: dict[str, str] = {}
    for windows in np.split(np.arange(W), W if refit else 1):  # the windows each fit forecasts
        try:
            fitted = _fresh(model, h).fit(panel.head(cuts[:, windows[0]]))
        except SeriesValidationError as e:
            if W == 1:
                raise
            longest = int(np.argmax(cuts[:, windows[0]]))  # the lengths a refusal names are those before the cutoff: say so
            raise SeriesValidationError(
                f"fitting on the history before cutoff {windows[0] + 1} of {W}, at most {int(cuts[longest, windows[0]])} points "
                f"({panel.ids[longest]!r}; fewer windows or a smaller step leave more): {e}") from None
        for name, values in fitted.forecast_windows(panel, cuts[:, windows], h, level).items():
            columns.setdefault(name, np.empty((S, W, h)))[:, windows] = values
        warned.update(fitted.interval_warnings(level))
    frame = _frame(panel, cuts, h, columns, id_col, time_col)
    frame.attrs["interval_warnings"] = warned
    return frame


def _fresh(model, h: int):
    """An unfitted copy of ``model`` with its settings (scikit-learn's ``clone``), trained for
    ``h`` where the model takes a horizon."""
    params = model.get_params()
    return type(model)(**({**params, "h": h} if "h" in params else params))


def _frame(panel: Panel, cuts: np.ndarray, h: int, columns: dict[str, np.ndarray],
           id_col: str, time_col: str) -> pd.DataFrame:
    """The long result frame; ``columns`` hold arrays ``[S, W, h]``.

    Every forecast step lies inside its series, so timestamps and actuals are gathered from
    the series' own by index arithmetic.
    """
    S, W = cuts.shape
    starts = panel.offsets[:-1, None] + cuts  # [S, W]: position of each window's first step
    pos = (starts[:, :, None] + np.arange(h)).reshape(-1)
    times = np.concatenate([np.asarray(panel.times(i)) for i in range(S)])
    out = pd.DataFrame({
        id_col: np.repeat(np.asarray(panel.ids, dtype=object), W * h),
        time_col: times[pos],
        "cutoff": np.repeat(times[(starts - 1).reshape(-1)], h),
        "y": panel.values[pos],
    })
    for name, values in columns.items():
        out[name] = values.reshape(-1)
    return out


def evaluate(cv: pd.DataFrame, panel: Panel, models: list[str], season: int, *,
             id_col: str = "unique_id", level=None) -> pd.DataFrame:
    """Per-model MAE, RMSE, sMAPE and MASE of a backtest frame, averaged over series and windows.

    MASE is scaled by each window's own history (the points up to its cutoff); with ``level``,
    the interval coverage in percent of each model whose bounds the frame holds (NaN for the others).
    """
    from .metrics import mae, mase, rmse, smape

    index = {sid: i for i, sid in enumerate(panel.ids)}
    groups = []
    for (sid, cutoff), g in cv.groupby([id_col, "cutoff"], sort=False):
        i = index[sid]
        history = panel.series(i)[: int(np.searchsorted(panel.times(i), cutoff)) + 1]
        groups.append((g, history))
    rows = []
    for alias in models:
        scores = [(mae(g["y"], g[alias]), rmse(g["y"], g[alias]), smape(g["y"], g[alias]),
                   mase(g["y"], g[alias], history, season)) for g, history in groups]
        with warnings.catch_warnings():  # a metric undefined in every window (MASE of a constant) is NaN, reported by the caller
            warnings.simplefilter("ignore", RuntimeWarning)
            row = dict(zip(["MAE", "RMSE", "sMAPE", "MASE"], np.nanmean(np.array(scores, dtype=float), axis=0)))
        for lv in levels_arg(level):
            lo, hi = f"{alias}-lo-{lv:g}", f"{alias}-hi-{lv:g}"
            inside = (cv["y"] >= cv[lo]) & (cv["y"] <= cv[hi]) if lo in cv and hi in cv else np.nan
            row[f"coverage-{lv:g}"] = float(np.mean(inside) * 100)
        rows.append({"model": alias, **row})
    return pd.DataFrame(rows).set_index("model")
