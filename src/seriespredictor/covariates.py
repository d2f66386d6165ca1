"""Covariates: the columns beside the target, read onto the panel's grid, and scaled.

Three kinds, named as NeuralForecast names them:

- ``hist_exog``: past-only, observed with the target and unknown ahead (sensor readings);
- ``futr_exog``: known ahead (planned promotions, day-ahead forecasts), plus the calendar features
  derived from the timestamps (:mod:`calendar_features`), which need no values from the user;
- ``stat_exog``: one value per series (store type, region), numeric or categorical.

Known-future values for the forecast horizon are the rows after a series' last observed target
(``y`` empty, covariates filled), in the data or in ``futr_df``. :func:`read` returns the target's
:class:`~panel.Panel` with a :class:`Covariates` attached as ``panel.covariates``: each series' rows
on the panel's grid (its history, then its future rows), the calendar columns computed, and the
statics. :class:`CovariateScaler` scales them as the target is scaled: dynamic columns per series
on the training part only, numeric statics across series, categorical statics as codes of the
categories seen at fit (0: unseen), which the network embeds.
"""

from __future__ import annotations

import reprlib
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from . import calendar_features
from .calendar import future_times
from .columns import parse_times
from .errors import SeriesValidationError
from .files import read_file, refuse_duplicate_columns
from .panel import Panel

KINDS = ("futr_exog", "hist_exog", "stat_exog")


@dataclass(frozen=True)
class Spec:
    """Which covariates a model takes: column names of each kind, and the calendar features."""

    hist: tuple = ()
    futr: tuple = ()
    stat: tuple = ()
    calendar: object = False  # False, True or a list of calendar_features.FEATURES
    holidays: tuple = ()

    @property
    def any(self) -> bool:
        return bool(self.hist or self.futr or self.stat or self.calendar)

    @classmethod
    def of(cls, est) -> "Spec":
        return cls(tuple(est.hist_exog or ()), tuple(est.futr_exog or ()), tuple(est.stat_exog or ()), est.calendar or False,
                   tuple(est.holidays or ()))


@dataclass
class Covariates:
    """Dynamic covariates ``values[offsets[i]:offsets[i + 1]]`` of series ``i``: as many rows as
    its history in the panel, then its future rows; columns ``hist + futr + calendar columns``
    (past-only columns are NaN in future rows). ``statics``: one row per series."""

    hist: tuple
    futr: tuple
    calendar: tuple  # calendar feature names; their columns are calendar_features.columns(calendar)
    holidays: tuple
    values: np.ndarray
    offsets: np.ndarray
    statics: pd.DataFrame  # index: the panel's series order; columns: stat_exog

    @property
    def columns(self) -> list:
        return [*self.hist, *self.futr, *calendar_features.columns(self.calendar)]

    def describe(self) -> str:
        """One line naming the covariates of each kind, as the CLI notes and the plot shows them."""
        parts = [f"{kind} {', '.join(names)}" for kind, names in (("known ahead:", self.futr), ("past only:", self.hist),
                                                                  ("static:", tuple(self.statics.columns)),
                                                                  ("calendar:", self.calendar)) if names]
        return "; ".join(parts)

    def rows(self, i: int) -> np.ndarray:
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def select(self, part: slice) -> "Covariates":
        start, stop, _ = part.indices(len(self.offsets) - 1)
        return replace(self, offsets=self.offsets[start : stop + 1], statics=self.statics.iloc[start:stop])

    def head(self, keep: np.ndarray) -> "Covariates":
        """The first ``keep[i]`` rows of every series (no future rows)."""
        parts = [self.values[o : o + k] for o, k in zip(self.offsets[:-1], keep)]
        return replace(self, values=np.concatenate(parts), offsets=np.r_[0, np.cumsum(keep)].astype(np.int64))


def check_names(est) -> None:
    """Refuse covariate settings that are not lists of distinct column names, or that name a column
    twice or the id, time or target column; refuse the calendar setting's form."""
    seen: dict = {}
    for kind in KINDS:
        names = getattr(est, kind)
        if names is None:
            continue
        if isinstance(names, str) or not isinstance(names, (list, tuple)) or not names or \
                not all(isinstance(c, str) and c for c in names) or len(set(names)) < len(names):
            raise SeriesValidationError(f"{kind}={names!r} must be a list of distinct column names, e.g. {kind}=['price'], or None",
                                        argument=kind)
        for c in names:
            if c in (est.id_col, est.time_col, est.target_col):
                raise SeriesValidationError(f"{kind} names {c!r}, which is the id, time or target column; name other columns",
                                            argument=kind)
            if c in seen:
                raise SeriesValidationError(f"column {c!r} is in both {seen[c]} and {kind}; a covariate is of one kind", argument=kind)
            seen[c] = kind
    if est.holidays is not None and est.calendar in (None, False):
        raise SeriesValidationError(f"holidays={est.holidays!r} needs calendar= with 'holiday' among its features, e.g. "
                                    "calendar=['dayofweek', 'holiday']", argument="holidays")
    if isinstance(est.calendar, (list, tuple, str)):  # the form now; True and holidays= against the data's frequency at read
        calendar_features.check_features(est.calendar, "h", est.holidays)


def read(data, spec: Spec, options: dict, static_df=None) -> Panel:
    """``data`` as a panel (``to_panel`` with ``options``) with its covariates attached as
    ``panel.covariates``; columns the spec does not name are reported once, never dropped silently.
    ``static_df``: the statics in a table of their own (id and ``stat_exog`` columns), as
    NeuralForecast's ``fit(df, static_df=...)`` takes them."""
    from .data import to_panel

    if static_df is not None and not spec.stat:
        raise SeriesValidationError("static_df= holds static covariates, but this model takes none: name its columns in stat_exog=",
                                    argument="static_df")
    if isinstance(data, Panel):
        return data
    id_col, time_col, target_col = options["id_col"], options["time_col"], options["target_col"]
    if not spec.any:
        return to_panel(data, **options)
    frame, where = _frame(data, id_col, time_col, target_col)
    if static_df is not None:
        frame = _join_statics(frame, static_df, id_col, spec.stat)
    wanted = (*spec.hist, *spec.futr, *spec.stat)
    absent = [c for c in wanted if c not in frame.columns]
    if absent:
        kinds = {c: k for k in KINDS for c in getattr(spec, {"futr_exog": "futr", "hist_exog": "hist", "stat_exog": "stat"}[k])}
        raise SeriesValidationError(f"{where} has no column {absent[0]!r} (named in {kinds[absent[0]]}); its columns are "
                                    f"{reprlib.repr(list(frame.columns))}")
    report_ignored(frame.columns, (id_col, time_col, target_col, *wanted))
    frame = frame.reset_index(drop=True)
    # an empty target only: text there is not a future row, and to_panel refuses it by name
    times = parse_times(frame[time_col], time_col, options.get("time_format"), hint=False)
    future = _future_rows(frame[id_col], times, frame[target_col].isna().to_numpy())
    if future.any() and not (spec.futr or spec.calendar):
        warnings.warn(f"ignored {int(future.sum())} rows after the last observed target of their series: rows ahead are read for "
                      "futr_exog= and calendar= only", UserWarning, stacklevel=3)
    panel = to_panel(frame.loc[~future, [id_col, time_col, target_col]], **options)
    return attach(panel, frame, future, spec, options)


def _frame(data, id_col: str, time_col: str, target_col: str, name: str | None = None) -> tuple[pd.DataFrame, str]:
    """The long frame of ``data`` (a frame or a CSV/Parquet path) with an id column (one series: ``name``,
    by default the target's name, as ``to_panel`` names it)."""
    where = "the data"
    if isinstance(data, (str, Path)):
        where = repr(str(data))
        data = read_file(data, id_col)
    if isinstance(data, pd.DataFrame) and any(n in (id_col, time_col) for n in data.index.names if n is not None):
        data = data.reset_index()
    if not isinstance(data, pd.DataFrame):
        raise SeriesValidationError(f"covariates come as columns of a long table (id, time, target, covariates); got data of type "
                                    f"{type(data).__name__}: pass a DataFrame or a CSV/Parquet file")
    refuse_duplicate_columns(list(data.columns), None if where == "the data" else where)
    missing = [c for c in (time_col, target_col) if c not in data.columns]
    if missing:
        raise SeriesValidationError(f"{where} has columns {reprlib.repr(list(data.columns))} but is missing {missing}; name the time "
                                    "and target columns with time_col=, target_col=")
    if id_col not in data.columns:
        data = data.assign(**{id_col: name or target_col})
    return data, where


def _join_statics(frame: pd.DataFrame, static_df, id_col: str, names: tuple) -> pd.DataFrame:
    """``frame`` with the ``names`` columns of ``static_df`` (a frame or file, one row per series)
    joined on the series id (read as text, so a file's 7 is the frame's 7)."""
    table = read_file(static_df, id_col) if isinstance(static_df, (str, Path)) else static_df
    if not isinstance(table, pd.DataFrame) or id_col not in table.columns:
        raise SeriesValidationError(f"static_df= must be a table (or a CSV/Parquet file) with the id column {id_col!r} and the "
                                    "stat_exog columns, one row per series", argument="static_df")
    given = [c for c in names if c in table.columns]
    twice = [c for c in given if c in frame.columns]
    if twice:
        raise SeriesValidationError(f"static covariate {twice[0]!r} is both a column of the data and of static_df=; give it once",
                                    argument="static_df")
    keys = table[id_col].astype(str)
    if keys.duplicated().any():
        raise SeriesValidationError(f"static_df= has {int(keys.duplicated(keep=False).sum())} rows for series {keys[keys.duplicated()].iloc[0]!r}; "
                                    "give one row per series", argument="static_df")
    report_ignored(table.columns, (id_col, *given), "static_df: ")
    ids = frame[id_col].astype(str)
    return frame.assign(**{c: ids.map(dict(zip(keys, table[c]))) for c in given})


def report_ignored(columns, used, where: str = "") -> None:
    """Warn once about the columns a read leaves out."""
    ignored = [str(c) for c in columns if c not in used]
    if ignored:
        warnings.warn(f"{where}ignored columns: {', '.join(ignored)} (name them in futr_exog=, hist_exog= or stat_exog= to use them)",
                      UserWarning, stacklevel=4)


def _future_rows(ids: pd.Series, times: pd.Series, missing_y: np.ndarray) -> np.ndarray:
    """Rows later than each series' last observed target, in time (the rows may come in any order)."""
    last = times.where(~missing_y).groupby(ids.to_numpy()).transform("max")  # NaT/NaN: a series without any target
    return (times > last).to_numpy(dtype=bool)


def attach(panel: Panel, frame: pd.DataFrame, future: np.ndarray, spec: Spec, options: dict) -> Panel:
    """``panel`` with the covariates of ``frame`` on its grid: history rows at the panel's times,
    then the future rows (``future``), which must follow each series' last time step by step."""
    id_col, time_col = options["id_col"], options["time_col"]
    dynamic = [*spec.hist, *spec.futr]
    ids = frame[id_col]
    times = parse_times(frame[time_col], time_col, options.get("time_format"), hint=False)
    cal = calendar_features.check_features(spec.calendar, panel.freq, spec.holidays or None)
    keyed = pd.DataFrame({c: _numeric(frame[c], c, ids) for c in dynamic}, index=pd.MultiIndex.from_arrays([ids, times]))
    twice = keyed.index.duplicated()
    if twice.any():  # the target's rows are checked by to_panel: without aggregate_duplicates, these are future rows
        if not options.get("aggregate_duplicates"):
            sid, when = keyed.index[twice][0]
            raise SeriesValidationError(f"series {_label(sid)!r} has two future rows at {when}; keep one row per timestamp, or pass "
                                        "aggregate_duplicates='mean', 'sum', 'first' or 'last'")
        keyed = keyed.groupby(level=[0, 1]).agg(options["aggregate_duplicates"])
    by_series = {sid: g for sid, g in keyed.groupby(level=0, sort=False)} if dynamic else {}
    n_future = pd.Series(future).groupby(ids.to_numpy()).sum() if spec.futr else None
    values, offsets = [], [0]
    for i, sid in enumerate(panel.ids):
        grid = panel.times(i, 0, int(panel.lengths[i]) + (int(n_future.get(sid, 0)) if n_future is not None else 0))
        block = np.empty((len(grid), len(dynamic)))
        if dynamic:
            own = by_series[sid].droplevel(0)
            history = own.reindex(grid[: panel.lengths[i]])
            block[: panel.lengths[i]] = _filled(history, sid, options.get("fill_missing"))
            if len(grid) > panel.lengths[i]:
                ahead = own.loc[own.index > grid[panel.lengths[i] - 1]]
                off = ~ahead.index.isin(grid)
                if off.any():
                    raise SeriesValidationError(f"series {sid!r} has a future row at {ahead.index[off][0]}, off its frequency "
                                                f"{panel.freq!r} after its last observed target; future rows follow it step by step")
                block[panel.lengths[i]:] = ahead.reindex(grid[panel.lengths[i]:]).to_numpy()
                block[panel.lengths[i]:, : len(spec.hist)] = np.nan  # past-only values are not known ahead
        if cal:
            block = np.concatenate([block, calendar_features.features(pd.DatetimeIndex(grid), cal, spec.holidays)], 1)
        values.append(block)
        offsets.append(offsets[-1] + len(block))
    statics = _statics(frame, ids, spec.stat, panel.ids)
    covs = Covariates(spec.hist, spec.futr, cal, spec.holidays, np.concatenate(values) if values else np.zeros((0, 0)),
                      np.asarray(offsets, dtype=np.int64), statics)
    return replace(panel, covariates=covs)


def _label(sid):
    """A series id as the user wrote it in a message (7, not np.int64(7))."""
    return sid.item() if isinstance(sid, np.generic) else sid


def _numeric(col: pd.Series, name: str, ids: pd.Series) -> np.ndarray:
    """A dynamic covariate column as float64 (booleans as 0/1); text, times or infinities refused by name."""
    if pd.api.types.is_datetime64_any_dtype(col) or pd.api.types.is_timedelta64_dtype(col):
        raise SeriesValidationError(f"covariate column {name!r} holds times ({col.dtype}); dynamic covariates take numbers: derive "
                                    "them (e.g. calendar=True for the calendar of the time column), or drop the column")
    if pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=np.float64)
    num = pd.to_numeric(col, errors="coerce") if not pd.api.types.is_numeric_dtype(col) else col
    bad = (num.isna() & col.notna()).to_numpy()
    if pd.api.types.is_numeric_dtype(num):
        bad = bad | np.isinf(num.to_numpy(dtype=np.float64, na_value=np.nan))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise SeriesValidationError(f"covariate column {name!r} has {int(bad.sum())} value(s) that are not finite numbers, the first "
                                    f"{col.iloc[pos]!r} at row {pos} (series {_label(ids.iloc[pos])!r}); dynamic covariates take numbers "
                                    "(encode categories as 0/1 columns, or pass a per-series category in stat_exog)")
    return num.to_numpy(dtype=np.float64, na_value=np.nan)


def _filled(history: pd.DataFrame, sid, fill_missing) -> np.ndarray:
    """A series' history covariates on its grid; missing values filled as the target's are, or refused by name."""
    if not history.isna().any().any():
        return history.to_numpy()
    if fill_missing is None:
        col = history.columns[int(np.argmax(history.isna().any().to_numpy()))]
        first = history.index[history[col].isna().to_numpy()][0]
        raise SeriesValidationError(f"series {sid!r} has {int(history[col].isna().sum())} missing value(s) of covariate {col!r}, the "
                                    f"first at {first}; fill them, or pass fill_missing='ffill', 'interpolate' or 'zero'")
    filled = {"zero": history.fillna(0.0), "ffill": history.ffill().bfill()}.get(fill_missing)
    if filled is None:
        filled = history.interpolate(limit_direction="both")
    if filled.isna().any().any():
        col = filled.columns[int(np.argmax(filled.isna().any().to_numpy()))]
        raise SeriesValidationError(f"series {sid!r} has no value of covariate {col!r} to fill from; give it values or drop it")
    return filled.to_numpy()


def _statics(frame: pd.DataFrame, ids: pd.Series, names: tuple, order: list) -> pd.DataFrame:
    """One row of static values per series (in ``order``); a series whose static changes is refused by name."""
    if not names:
        return pd.DataFrame(index=range(len(order)))
    table = frame[list(names)].assign(_id=ids.to_numpy())
    for c in names:
        varying = table.groupby("_id", sort=False)[c].nunique(dropna=False)
        if (varying > 1).any():
            sid = varying.index[int(np.argmax(varying.to_numpy() > 1))]
            raise SeriesValidationError(f"series {_label(sid)!r} has {int(varying[sid])} different values of static covariate {c!r}; "
                                        "a static takes one value per series (pass a changing column in hist_exog or futr_exog)")
    first = table.groupby("_id", sort=False).first()
    out = first.reindex(order).reset_index(drop=True)
    for c in names:
        if out[c].isna().any():
            sid = order[int(np.argmax(out[c].isna().to_numpy()))]
            raise SeriesValidationError(f"series {sid!r} has no value of static covariate {c!r}; give every series one")
        infinite = np.isinf(out[c].to_numpy(np.float64)) if pd.api.types.is_numeric_dtype(out[c]) and \
            not pd.api.types.is_bool_dtype(out[c]) else np.zeros(len(out), dtype=bool)
        if infinite.any():  # standardised across series, one infinity makes every series' static NaN
            k = int(np.argmax(infinite))
            raise SeriesValidationError(f"series {order[k]!r} has static covariate {c!r} = {out[c].iloc[k]}; give every series a finite number")
    return out


def future_rows(futr_df, names: tuple, ids: list, lasts: list, freq, options: dict) -> list:
    """Each series' known-future values in ``futr_df`` (a frame or file: id, time and the columns
    ``names``): for series ``ids[r]``, a frame ``[k, names]`` on the ``k`` steps after ``lasts[r]``
    up to its last row there (NaN where a step is missing), or None where it has none."""
    id_col, time_col = options["id_col"], options["time_col"]
    frame, where = _frame(futr_df, id_col, time_col, time_col, options["target_col"])  # futr_df has no target column
    absent = [c for c in names if c not in frame.columns]
    if absent:
        raise SeriesValidationError(f"futr_df has no column {absent[0]!r} (a futr_exog of the model); its columns are "
                                    f"{reprlib.repr(list(frame.columns))}")
    report_ignored(frame.columns, (id_col, time_col, *names), "futr_df: ")
    times = parse_times(frame[time_col], time_col, options.get("time_format"), hint=False)
    times = _on_clock_of(times, lasts[0]) if lasts else times
    keyed = pd.DataFrame({c: _numeric(frame[c], c, frame[id_col]) for c in names}, index=pd.MultiIndex.from_arrays([frame[id_col], times]))
    twice = keyed.index.duplicated(keep=False)
    if twice.any():
        sid, t = keyed.index[twice][0]
        raise SeriesValidationError(f"futr_df has {int(twice.sum())} rows at the same time of one series, the first of series {_label(sid)!r} "
                                    f"at {t}; give one row per series and time", argument="futr_df")
    unknown = sorted({str(i) for i in frame[id_col]} - {str(i) for i in ids})
    if unknown:
        warnings.warn(f"futr_df: ignored rows of {len(unknown)} series not forecast here, e.g. {unknown[0]!r}", UserWarning, stacklevel=4)
    by_series = {str(sid): g.droplevel(0) for sid, g in keyed.groupby(level=0, sort=False)}
    out = []
    for sid, last in zip(ids, lasts):
        own = by_series.get(str(sid))
        ahead = None if own is None else own.loc[own.index > last].sort_index()  # futr_df's rows may come in any order
        if ahead is None or ahead.empty:
            out.append(None)
            continue
        grid = future_times(last, freq, len(ahead))
        while grid[-1] < ahead.index[-1]:  # gaps: the grid reaches the last row given
            grid = future_times(last, freq, 2 * len(grid))
        grid = grid[: int(np.searchsorted(grid, ahead.index[-1])) + 1]
        off = ~ahead.index.isin(grid)
        if off.any():
            raise SeriesValidationError(f"futr_df has a row of series {sid!r} at {ahead.index[off][0]}, off the model's frequency {freq!r}")
        out.append(ahead.reindex(grid))
    return out


def _on_clock_of(times: pd.Series, last) -> pd.Series:
    """futr_df's ``times`` in the zone of the series' times (``last``, one of them); times of
    another kind (integers for timestamps, tz-naive for tz-aware, or the reverse) refused by name."""
    def kind(tz, datetime):
        return ("timestamps in " + str(tz) if tz is not None else "tz-naive timestamps") if datetime else "integers"

    ours = (getattr(times.dt, "tz", None) if pd.api.types.is_datetime64_any_dtype(times) else None,
            pd.api.types.is_datetime64_any_dtype(times))
    theirs = (getattr(last, "tz", None), isinstance(last, pd.Timestamp))
    if ours[1] != theirs[1] or (ours[0] is None) != (theirs[0] is None):
        raise SeriesValidationError(f"futr_df's times are {kind(*ours)}, but the series' are {kind(*theirs)} (the last {last}); "
                                    "give futr_df times of the same kind", argument="futr_df")
    return times.dt.tz_convert(theirs[0]) if theirs[0] is not None else times


def with_future(panel: Panel, futr_df, options: dict) -> Panel:
    """``panel`` whose known-future rows are those of ``futr_df`` (see :func:`future_rows`)."""
    covs = panel.covariates
    found = future_rows(futr_df, covs.futr, panel.ids, [panel.last_time(i) for i in range(len(panel.ids))], panel.freq, options)
    n_hist, F = len(covs.hist), len(covs.futr)
    values, offsets = [], [0]
    for i, ahead in enumerate(found):
        n = int(panel.lengths[i])
        rows = covs.rows(i)[:n]
        k = 0 if ahead is None else len(ahead)
        block = np.full((k, rows.shape[1]), np.nan)
        if k:
            block[:, n_hist : n_hist + F] = ahead.to_numpy()
            if covs.calendar:
                block[:, n_hist + F :] = calendar_features.features(pd.DatetimeIndex(ahead.index), covs.calendar, covs.holidays)
        values.append(np.concatenate([rows, block]))
        offsets.append(offsets[-1] + n + k)
    return replace(panel, covariates=replace(covs, values=np.concatenate(values), offsets=np.asarray(offsets, dtype=np.int64)))


def future_block(covs: Covariates, panel: Panel, i: int, cut: int, steps: int, need: int) -> np.ndarray:
    """Series ``i``'s dynamic covariates ``[steps, D]`` for the ``steps`` points after its first
    ``cut``: its rows where it has them, calendar columns computed past them (see :func:`complete`)."""
    rows = covs.rows(i)[cut : cut + steps]
    block = np.full((steps, rows.shape[1]), np.nan)
    block[: len(rows)] = rows
    if covs.calendar and len(rows) < steps:
        times = panel.times(i, cut + len(rows), steps - len(rows))
        block[len(rows) :, len(covs.hist) + len(covs.futr) :] = calendar_features.features(pd.DatetimeIndex(times), covs.calendar,
                                                                                            covs.holidays)
    return complete(block, need, covs.columns, len(covs.hist), panel.ids[i], lambda k: panel.times(i, cut + k, 1)[0])


def complete(block: np.ndarray, need: int, columns: list, n_hist: int, sid, when) -> np.ndarray:
    """A series' future covariates ``[steps, D]`` ready for the network: refuses a known-future value
    missing within the first ``need`` steps, naming the series, the column and the time (``when(k)``);
    past ``need`` (the rest of a direct head's block) the last known values repeat (past-only columns
    are left as they are: :func:`network_window` zeroes them)."""
    known = block[:need, n_hist:]
    if np.isnan(known).any():
        k, c = np.argwhere(np.isnan(known))[0]
        raise SeriesValidationError(
            f"series {sid!r} has no value of known-future covariate {columns[n_hist + c]!r} from {when(int(k))} on: a forecast of "
            f"{need} steps needs each one (give them as rows after the last observed target, with the target empty, or in futr_df=)")
    rest = block[need:, n_hist:]
    block[need:, n_hist:] = np.where(np.isnan(rest), block[need - 1, n_hist:], rest)
    return block


def network_window(history: np.ndarray, future: np.ndarray, shift: np.ndarray, scale: np.ndarray, statics: np.ndarray,
                   n_hist: int) -> np.ndarray:
    """One forecast's covariate rows ``[D + K, L + span]`` as the network reads them: the raw dynamic
    covariates of the input (``history`` ``[L, D]``) and of the horizon (``future`` ``[span, D]``,
    see :func:`complete`) scaled by the series' ``shift`` and ``scale``, past-only ones zero over the
    horizon (never read past the cutoff), then the encoded ``statics`` at every step."""
    window = standardised(np.concatenate([history, future]), shift, scale)
    window[len(history) :, :n_hist] = 0.0
    return np.concatenate([window.T, np.repeat(statics[:, None], len(window), 1)])


def _moments(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each column of ``a``, computed on the columns divided by their
    largest magnitude: the squares of values near 1e200 would overflow to an infinite spread."""
    size = np.abs(a).max(0)
    size = np.where(size > 0, size, 1.0)
    unit = a / size
    return unit.mean(0) * size, unit.std(0) * size


def standardised(values: np.ndarray, shift: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``(values - shift) / scale``; where the difference overflows (values near 1e308 of both
    signs), ``values / scale - shift / scale``."""
    with np.errstate(over="ignore", invalid="ignore"):
        z = (values - shift) / scale
        bad = ~np.isfinite(z) & np.isfinite(values)
        return np.where(bad, values / scale - shift / scale, z) if bad.any() else z


class CovariateScaler:
    """Statistics of the covariates: per series ``shift``/``scale`` ``[S, D]`` of the dynamic columns
    (their training part), mean/std of each numeric static across series, and the categories of
    each categorical static seen at fit (code 0: a category the fit never saw)."""

    def __init__(self, shift, scale, numeric: list, static_shift, static_scale, categories: dict):
        self.shift, self.scale = np.asarray(shift, dtype=np.float64), np.asarray(scale, dtype=np.float64)
        self.numeric, self.categories = list(numeric), {k: list(v) for k, v in categories.items()}
        self.static_shift = np.asarray(static_shift, dtype=np.float64)
        self.static_scale = np.asarray(static_scale, dtype=np.float64)

    @staticmethod
    def dynamic_stats(values: np.ndarray, offsets: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per series mean and spread ``[S, D]`` of the first ``lengths[i]`` rows of each series."""
        S, D = len(lengths), values.shape[1]
        shift, scale = np.zeros((S, D)), np.ones((S, D))
        for i in range(S):
            part = values[offsets[i] : offsets[i] + max(int(lengths[i]), 1)]
            if D and len(part):
                shift[i], scale[i] = _moments(part)
        size = np.maximum(np.abs(shift), 1e-12)
        return shift, np.where(scale > 1e-9 * size, scale, 1.0)

    @classmethod
    def fit(cls, covs: Covariates, train_len: np.ndarray) -> "CovariateScaler":
        shift, scale = cls.dynamic_stats(covs.values, covs.offsets, train_len)
        numeric = [c for c in covs.statics.columns if pd.api.types.is_numeric_dtype(covs.statics[c]) and
                   not pd.api.types.is_bool_dtype(covs.statics[c])]
        stats = covs.statics[numeric].to_numpy(dtype=np.float64)
        s_shift, s_scale = _moments(stats) if numeric else (np.zeros(0), np.ones(0))
        s_scale = np.where(s_scale > 1e-9 * np.maximum(np.abs(s_shift), 1e-12), s_scale, 1.0)
        categories = {c: sorted(map(str, covs.statics[c].unique())) for c in covs.statics.columns if c not in numeric}
        return cls(shift, scale, numeric, s_shift, s_scale, categories)

    @property
    def cardinalities(self) -> tuple:
        return tuple(len(v) + 1 for v in self.categories.values())

    def statics(self, table: pd.DataFrame) -> np.ndarray:
        """``[S, numeric + categorical]``: numeric statics standardised, categories as codes (0: unseen)."""
        for c in self.numeric:
            values = pd.to_numeric(table[c], errors="coerce") if not pd.api.types.is_bool_dtype(table[c]) else table[c]
            if values.isna().any():
                raise SeriesValidationError(f"static covariate {c!r} was a number at fit, but here has {table[c][values.isna()].iloc[0]!r}; "
                                            "give it a number for every series")
        num = (table[self.numeric].to_numpy(dtype=np.float64) - self.static_shift) / self.static_scale if self.numeric \
            else np.zeros((len(table), 0))
        codes = [table[c].astype(str).map({v: k + 1 for k, v in enumerate(cats)}).fillna(0).to_numpy(dtype=np.float64)[:, None]
                 for c, cats in self.categories.items()]
        return np.concatenate([num, *codes], 1) if codes else num

    def to_dict(self) -> dict:
        return {"numeric": self.numeric, "static_shift": self.static_shift.tolist(), "static_scale": self.static_scale.tolist(),
                "categories": self.categories}
