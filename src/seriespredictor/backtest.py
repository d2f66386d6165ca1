"""Rolling-origin backtests: forecasts from several cutoffs, scored against what followed.

``cross_validation(model, data, h, n_windows)`` returns the long frame
``unique_id, ds, cutoff, y, <alias>`` (plus interval columns) that
``utilsforecast.evaluation.evaluate`` consumes. Cutoff ``w`` of a series of ``n`` points keeps
``n - h - (n_windows - 1 - w) * step_size`` points as history; each forecast sees that history
only.
"""

from __future__ import annotations

import copy
import reprlib

import numpy as np
import pandas as pd

from .panel import Panel
from .errors import SeriesValidationError
from .params import bool_arg, integer_arg


def cutoff_points(lengths: np.ndarray, h: int, n_windows: int, step_size: int) -> np.ndarray:
    """History lengths ``[S, n_windows]`` at each cutoff, oldest first."""
    back = (n_windows - 1 - np.arange(n_windows)) * step_size
    return lengths[:, None] - h - back[None, :]


def _check(panel: Panel, h: int, n_windows: int, step_size: int, min_history: int) -> np.ndarray:
    """The cutoffs, once every series is known to hold them (checked before any array is made)."""
    h, n_windows, step_size = (integer_arg(name, v, 1, 2**40) for name, v in (("h", h), ("n_windows", n_windows), ("step_size", step_size)))
    need = min_history + h + (n_windows - 1) * step_size
    short = [(sid, int(n)) for sid, n in zip(panel.ids, panel.lengths) if n < need]
    if short:
        raise SeriesValidationError(
            f"{len(short)} series are too short for {n_windows} windows of h={h} every {step_size} steps with "
            f"{min_history} points of history: they need {need} points, e.g. {reprlib.repr(short)}; "
            "use fewer windows, a smaller step_size or h, or drop those series"
        )
    return cutoff_points(panel.lengths, h, n_windows, step_size)


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


def cross_validation(model, data, h: int, n_windows: int, step_size: int | None = None, *,
                     refit: bool = False, level: list[int] | None = None) -> pd.DataFrame:
    """Backtest ``model`` (a ``Forecaster`` or a baseline) over ``n_windows`` cutoffs.

    Args:
        model: a fitted ``Forecaster`` (reused unless ``refit``), or any baseline.
        data: the series to backtest, in any form ``to_panel`` accepts.
        h: forecast horizon of each window.
        n_windows: number of cutoffs per series.
        step_size: steps between cutoffs (default ``h``: windows that do not overlap).
        refit: train a fresh copy of a ``Forecaster`` on the history before each cutoff.
        level: interval levels in percent, e.g. ``[80, 95]`` (``Forecaster`` only).

    Returns:
        A long frame ``unique_id, ds, cutoff, y, <alias>`` with ``<alias>-lo-<level>`` and
        ``<alias>-hi-<level>`` columns for each level; levels calibrated on too few errors are
        named in ``frame.attrs["interval_warnings"]`` (see ``Forecaster.interval_warnings``).
    """
    from .forecaster import Forecaster

    step_size = h if step_size is None else step_size
    refit = bool_arg("refit", refit)
    id_col = getattr(model, "id_col", "unique_id")
    time_col = getattr(model, "time_col", "ds")
    alias = getattr(model, "alias", None)
    if alias in (id_col, time_col, "cutoff", "y"):
        raise SeriesValidationError(f"alias={alias!r} would overwrite the backtest's own column {alias!r}; give the model another alias")
    if isinstance(model, Forecaster):
        panel = model._read(data)
        if refit:
            cuts = _check(panel, h, n_windows, step_size, 1)
            return _refit(model, panel, cuts, h, level, id_col, time_col)
        model._check_fitted()
        cuts = _check(panel, h, n_windows, step_size, model.seq_size_)
        out = _frame(panel, cuts, h, model.forecast_windows(panel, cuts, h, level), id_col, time_col)
        out.attrs["interval_warnings"] = model.interval_warnings(level)
        return out
    else:
        if level:
            raise SeriesValidationError(f"level= needs a Forecaster; {type(model).__name__} gives point forecasts only")
        panel = model.fit(data).panel_
        cuts = _check(panel, h, n_windows, step_size, 1)
        fc = np.stack([
            np.stack([model.forecast(panel.series(i)[:c], h) for c in cuts[i]]) for i in range(len(panel.ids))
        ])
        columns = {model.alias: fc}
    return _frame(panel, cuts, h, columns, id_col, time_col)


def evaluate(cv: pd.DataFrame, panel: Panel, models: list[str], season: int, *,
             id_col: str = "unique_id", level: list[float] | None = None) -> pd.DataFrame:
    """Per-model MAE, RMSE, sMAPE and MASE of a backtest frame, averaged over series and windows.

    MASE is scaled by each window's own history (the points up to its cutoff); with ``level``,
    the first model's interval coverage in percent is added.
    """
    from .metrics import mae, mase, rmse, smape

    index = {sid: i for i, sid in enumerate(panel.ids)}
    groups = []
    for (sid, cutoff), g in cv.groupby([id_col, "cutoff"], sort=False):
        i = index[sid]
        history = panel.series(i)[: int(np.searchsorted(panel.times(i), cutoff)) + 1]
        groups.append((g, history))
    rows = []
    for k, alias in enumerate(models):
        scores = [(mae(g["y"], g[alias]), rmse(g["y"], g[alias]), smape(g["y"], g[alias]),
                   mase(g["y"], g[alias], history, season)) for g, history in groups]
        row = dict(zip(["MAE", "RMSE", "sMAPE", "MASE"], np.nanmean(np.array(scores, dtype=float), axis=0)))
        for lv in (level or []) if k == 0 else []:
            lo, hi = cv[f"{alias}-lo-{lv:g}"], cv[f"{alias}-hi-{lv:g}"]
            row[f"coverage-{lv:g}"] = float(((cv["y"] >= lo) & (cv["y"] <= hi)).mean() * 100)
        rows.append({"model": alias, **row})
    return pd.DataFrame(rows).set_index("model")


def _refit(model, panel: Panel, cuts: np.ndarray, h: int, level, id_col: str, time_col: str) -> pd.DataFrame:
    """One fresh model per cutoff, trained on every series' history up to that cutoff."""
    S, W = cuts.shape
    columns: dict[str, np.ndarray] = {}
    warned: dict[str, str] = {}
    for w in range(W):
        fresh = copy.deepcopy(model).set_params(h=h)
        fresh.fit(panel.head(cuts[:, w]))
        out = fresh.forecast_windows(panel, cuts[:, w : w + 1], h, level)
        for name, values in out.items():
            columns.setdefault(name, np.empty((S, W, h)))[:, w] = values[:, 0]
        warned.update(fresh.interval_warnings(level))
    frame = _frame(panel, cuts, h, columns, id_col, time_col)
    frame.attrs["interval_warnings"] = warned
    return frame
