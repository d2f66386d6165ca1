"""From whatever the user has to one validated panel of series.

Accepted: a long frame (``unique_id``, ``ds``, ``y``; names overridable), a pandas Series or
one-column frame indexed by time, a two-column frame or file (time, value) with any header, a
1-D array, or a CSV/Parquet path. Everything is checked once, on the way in, and refused with a
``SeriesValidationError`` naming the column or series, the value and the fix: files are read by
:mod:`.files`, the time and target columns parsed by :mod:`.columns`, the frequency found by
:mod:`.calendar`, and here the rows become series on one grid, gaps and duplicates refused or
filled. What comes out is a :class:`.panel.Panel`: every series' values in one contiguous float64
array plus offsets.

Ids in files are labels, read as written (``007`` stays ``007``); frames keep their dtype. Times
are ISO 8601 unless ``time_format=`` says otherwise. ``freq="obs"`` indexes each series by its
observations (trading days): the Panel keeps the real timestamps and its freq becomes
``"obs:<step>"``, the step that continues the series into the future (``"obs:B"`` for weekdays).
"""

from __future__ import annotations

import reprlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .calendar import OBS, check_freq, infer_freq, is_obs, obs_freq, regular_freq
from .columns import parse_target, parse_times
from .covariates import report_ignored
from .errors import SeriesValidationError
from .files import is_parquet, read_file, refuse_duplicate_columns
from .panel import Panel

FILL_METHODS = ("ffill", "interpolate", "zero")
AGGREGATIONS = ("mean", "sum", "first", "last")


def _to_long(data, id_col: str, time_col: str, target_col: str, named: tuple) -> pd.DataFrame:
    """Put any accepted input into long form; its columns keep the input's own names.

    ``named`` holds the columns the caller named explicitly: those must exist.
    """
    source = None
    if isinstance(data, (str, Path)):
        source = data
        data = read_file(data, id_col)
    if isinstance(data, pd.DataFrame) and any(n in (id_col, time_col) for n in data.index.names if n is not None):
        data = data.reset_index()  # a frame indexed by (unique_id, ds), as groupby and set_index leave it
    if isinstance(data, pd.DataFrame):
        cols = list(data.columns)
        refuse_duplicate_columns(cols, source)
        where = "the data" if source is None else repr(str(source))
        absent = [c for c in named if c not in cols]
        if absent:
            raise SeriesValidationError(
                f"{where} has columns {reprlib.repr(cols)} but is missing "
                f"{absent}; name existing columns with id_col=, time_col=, target_col= (CLI: --id-col, --time-col, "
                "--target-col), or leave them out for a two-column (time, value) file"
            )
        if target_col in cols and time_col in cols:
            report_ignored(cols, (id_col, time_col, target_col))
            if id_col not in cols:
                data = data.assign(**{id_col: target_col})
            return data[[id_col, time_col, target_col]]
        if len(cols) == 2 and id_col not in cols:  # (time, value) with any header
            t, v = cols
            if t == target_col or v == time_col:
                t, v = v, t
            return pd.DataFrame({id_col: str(v), t: data[t].to_numpy(), v: data[v].to_numpy()})
        if len(cols) == 1:
            data = data[cols[0]]
        else:
            missing = [c for c in (time_col, target_col) if c not in cols]  # the ids are optional: one series
            raise SeriesValidationError(
                f"{where} has columns {reprlib.repr(cols)} but is missing {missing}; name the time and value columns "
                "with time_col=, target_col= (and the series ids with id_col=, for several series), "
                "or pass a two-column (time, value) table"
            )
    if isinstance(data, pd.Series):
        name = str(data.name) if data.name is not None else "series"
        index = data.index.to_timestamp() if isinstance(data.index, pd.PeriodIndex) else data.index
        if isinstance(index, pd.DatetimeIndex) or pd.api.types.is_integer_dtype(index):
            times = index.to_numpy()
        else:
            raise SeriesValidationError(
                f"the Series index has dtype {index.dtype}; use a DatetimeIndex or a RangeIndex for the time"
            )
        own = (str(data.index.name) if data.index.name is not None else time_col, name if data.name is not None else target_col)
        t, v = own if len({id_col, *own}) == 3 else (time_col, target_col)  # the Series' own names, where they can serve
        return pd.DataFrame({id_col: name, t: times, v: data.to_numpy()})
    if isinstance(data, (np.ndarray, list, tuple)) or hasattr(data, "__array__"):
        arr = np.asarray(data)
        if arr.ndim != 1:
            raise SeriesValidationError(f"an array of data must be 1-D (one series); got shape {arr.shape}. Pass a long frame for many series")
        return pd.DataFrame({id_col: "series", time_col: np.arange(len(arr)), target_col: arr})
    raise SeriesValidationError(
        f"cannot read data of type {type(data).__name__}; pass a DataFrame, Series, 1-D array or a CSV/Parquet path"
    )


def to_panel(
    data,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    freq=None,
    time_format: str | None = None,
    fill_missing: str | None = None,
    aggregate_duplicates: str | None = None,
) -> Panel:
    """Validate ``data`` and return it as a :class:`Panel` (see the module docstring).

    Args:
        id_col: the series id column of a long table.
        time_col: the time column (a table of two columns needs none named).
        target_col: the value column.
        freq: a pandas alias ("D", "h", "MS"...), an integer step for integer times, None to infer
            it, or ``"obs"``: each series is indexed by its observations (trading days), the step
            is the next row and irregular gaps between timestamps are kept as they are.
        time_format: the ``strftime`` format of the time column (e.g. "%Y%m%d"); None reads ISO 8601.
        fill_missing: fill gaps and NaN values ("ffill", "interpolate" or "zero") instead of refusing them.
        aggregate_duplicates: combine rows with the same timestamp ("mean", "sum", "first" or "last")
            instead of refusing them.
    """
    if isinstance(data, Panel):
        return data
    if isinstance(data, (str, Path)) and fill_missing is None and aggregate_duplicates is None:
        from .parquet import parquet_columns, read_parquet_panel  # imports torch: only for Parquet files

        # streamed: memory for the values alone; a file without series ids holds one series, read like a CSV
        if Path(data).exists() and is_parquet(data) and id_col in parquet_columns(data):
            return read_parquet_panel(data, id_col=id_col, time_col=time_col, target_col=target_col, freq=freq,
                                      time_format=time_format)
    if fill_missing is not None and fill_missing not in FILL_METHODS:
        raise SeriesValidationError(f"fill_missing={fill_missing!r} is not one of {FILL_METHODS} (or None to refuse gaps and NaN)")
    check_freq(freq)
    defaults = to_panel.__kwdefaults__
    named = tuple(c for c, k in ((id_col, "id_col"), (time_col, "time_col"), (target_col, "target_col")) if c != defaults[k])
    long = _to_long(data, id_col, time_col, target_col, named)
    id_col, time_col, target_col = long.columns  # the input's own names, for messages
    frame = _rows(long, time_format, hint=freq is None, aggregate_duplicates=aggregate_duplicates)
    uniq, bounds = np.unique(frame["id"].to_numpy(), return_index=True)
    bounds = np.append(bounds, len(frame))
    if is_obs(freq):
        panel = _obs_panel(frame, uniq, bounds, freq, fill_missing, target_col)
    else:
        inferred = infer_freq(frame["t"], frame["id"].to_numpy(), bounds, time_col) if freq is None else freq
        panel = _regular_panel(frame, uniq, bounds, inferred, freq, fill_missing, (time_col, target_col))
    return replace(panel, names=(time_col, target_col))


def _regular_panel(frame: pd.DataFrame, uniq: np.ndarray, bounds: np.ndarray, inferred, given, fill_missing,
                   names: tuple) -> Panel:
    """Series on one regular grid of ``inferred``; gaps are refused, or filled with ``fill_missing``."""
    time_col, target_col = names
    values, starts, offsets, filled = [], [], [0], 0
    integer_time = pd.api.types.is_integer_dtype(frame["t"])
    for i, sid in enumerate(uniq):
        t = frame["t"].iloc[bounds[i] : bounds[i + 1]]
        v = frame["y"].to_numpy()[bounds[i] : bounds[i + 1]]
        expected, observed = _grid(t, inferred, integer_time, time_col)
        _check_grid(sid, observed, expected, inferred, given, fill_missing)
        if len(expected) != len(observed):
            v = pd.Series(v, index=observed).reindex(expected).to_numpy()
        v, n_filled = _finite(v, sid, fill_missing, target_col, expected)
        filled += n_filled
        values.append(v)
        starts.append(int(expected[0]) if integer_time else expected[0])
        offsets.append(offsets[-1] + len(v))
    return Panel(uniq.tolist(), np.concatenate(values), np.asarray(offsets, dtype=np.int64), starts, inferred, filled=filled)


def _grid(t: pd.Series, inferred, integer_time: bool, time_col: str) -> tuple[pd.Index, pd.Index]:
    """Every time of ``inferred`` from a series' first time to its last, and its observed times."""
    if integer_time:
        if not isinstance(inferred, (int, np.integer)):
            raise SeriesValidationError(f"the time column '{time_col}' holds integers but freq={inferred!r}; pass an integer freq")
        return pd.Index(np.arange(t.iloc[0], t.iloc[-1] + 1, inferred)), pd.Index(t.to_numpy())
    if isinstance(inferred, (int, np.integer)):
        raise SeriesValidationError(
            f"the time column '{time_col}' holds timestamps but freq={inferred!r} is an integer step; "
            "pass a frequency alias such as 'D' or 'h'"
        )
    return pd.date_range(t.iloc[0], t.iloc[-1], freq=inferred), pd.DatetimeIndex(t)


def _check_grid(sid, observed: pd.Index, expected: pd.Index, inferred, given, fill_missing) -> None:
    """Refuse times off the grid, and gaps unless ``fill_missing`` fills them."""
    if not observed.isin(expected).all():
        bad = observed[~observed.isin(expected)]
        _refuse_other_frequency(sid, observed, inferred, given)
        raise SeriesValidationError(
            f"series {sid!r} has timestamps off the frequency {inferred!r}, the first at {bad[0]}; "
            f"pass the right freq=, freq='{OBS}' to step from row to row (trading days), or resample the data"
        )
    if len(expected) != len(observed) and fill_missing is None:
        gaps = expected[~expected.isin(observed)]
        _refuse_other_frequency(sid, observed, inferred, given)
        raise SeriesValidationError(
            f"series {sid!r} is missing {len(gaps)} timestamp(s) at frequency {inferred!r}, the first at {gaps[0]}; "
            f"fill them with fill_missing='ffill', 'interpolate' or 'zero', or pass freq='{OBS}' to step "
            "from row to row (trading days)"
        )


def _refuse_other_frequency(sid, observed: pd.Index, inferred, given) -> None:
    """Where a series that does not fit the inferred frequency is regular at another one (a
    quarterly series among monthly ones), say so rather than report gaps."""
    if given is not None or not isinstance(observed, pd.DatetimeIndex):
        return
    own = regular_freq(observed)
    if own is not None and own != inferred:
        raise SeriesValidationError(
            f"series {sid!r} has the frequency {own!r} while other series have {inferred!r}: one model takes series of "
            "one frequency; split the data by frequency, or pass freq= to read every series at one"
        )


def _rows(long: pd.DataFrame, time_format: str | None, hint: bool, aggregate_duplicates: str | None) -> pd.DataFrame:
    """The rows as (id, t, y), parsed, sorted by series and time, one row per timestamp."""
    id_col, time_col, target_col = long.columns
    if len(long) == 0:
        raise SeriesValidationError("the data is empty: it has no rows")
    ids = long[id_col].reset_index(drop=True)
    if ids.isna().any():
        pos = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise SeriesValidationError(f"the id column '{id_col}' has {int(ids.isna().sum())} missing value(s), the first at row {pos}; "
                                    "give every row a series id")
    if ids.dtype == object:
        nonscalar = ids[~ids.map(pd.api.types.is_scalar)]
        if len(nonscalar):
            raise SeriesValidationError(
                f"the id column '{id_col}' holds {type(nonscalar.iloc[0]).__name__} values like {nonscalar.iloc[0]!r} at row "
                f"{nonscalar.index[0]}; ids are labels: make them strings or integers (e.g. join the parts with '/')"
            )
        kinds = ids.map(type).unique()
        if len(kinds) > 1:
            raise SeriesValidationError(
                f"the id column '{id_col}' mixes value types ({', '.join(sorted(k.__name__ for k in kinds))}); "
                "ids are labels: make them all strings (or all integers)"
            )
    times = parse_times(long[time_col].reset_index(drop=True), time_col, time_format, hint)
    if times.isna().any():
        pos = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise SeriesValidationError(f"the time column '{time_col}' has {int(times.isna().sum())} missing value(s), the first at row {pos}")
    y = parse_target(long[target_col].reset_index(drop=True), target_col, ids)
    frame = pd.DataFrame({"id": ids, "t": times, "y": y}).sort_values(["id", "t"], kind="stable").reset_index(drop=True)
    if aggregate_duplicates is not None:
        if aggregate_duplicates not in AGGREGATIONS:
            raise SeriesValidationError(f"aggregate_duplicates={aggregate_duplicates!r} is not one of {AGGREGATIONS}")
        frame = frame.groupby(["id", "t"], sort=True, as_index=False)["y"].agg(aggregate_duplicates)
    dup = frame.duplicated(["id", "t"], keep=False)
    if dup.any():
        first = frame[dup].iloc[0]
        raise SeriesValidationError(
            f"series {first['id']!r} has {int(dup.sum())} rows with duplicate timestamps in '{time_col}', the first at "
            f"{first['t']}; keep one row per timestamp, or pass aggregate_duplicates='mean', 'sum', 'first' or 'last'"
        )
    return frame


def _obs_panel(frame: pd.DataFrame, uniq: np.ndarray, bounds: np.ndarray, freq: str, fill_missing, target_col) -> Panel:
    """Series indexed by their observations: each keeps its own (strictly increasing) timestamps."""
    values, stamps, filled = [], [], 0
    for i, sid in enumerate(uniq):
        t = frame["t"].iloc[bounds[i] : bounds[i + 1]]
        stamps.append(pd.Index(t).rename(None))
        v, n_filled = _finite(frame["y"].to_numpy()[bounds[i] : bounds[i + 1]], sid, fill_missing, target_col, stamps[-1])
        values.append(v)
        filled += n_filled
    resolved = freq if freq != OBS else obs_freq(stamps)
    offsets = np.r_[0, np.cumsum(np.diff(bounds))].astype(np.int64)
    return Panel(uniq.tolist(), np.concatenate(values), offsets, [s[0] for s in stamps], resolved, stamps, filled)


def _finite(v: np.ndarray, sid, fill_missing, target_col: str, times) -> tuple[np.ndarray, int]:
    """``v`` with its NaN (gaps) filled, and how many were; inf, or NaN without a fill, is refused."""
    bad = ~np.isfinite(v)
    if not bad.any():
        return v, 0
    if fill_missing is None or np.isinf(v).any():
        pos = int(np.flatnonzero(bad)[0])
        raise SeriesValidationError(
            f"series {sid!r} has {int(bad.sum())} NaN or infinite value(s) in '{target_col}', the first at "
            f"{times[pos]}; remove them or pass fill_missing='ffill', 'interpolate' or 'zero' (for NaN)"
        )
    return _fill(v, fill_missing, sid, target_col), int(bad.sum())


def _fill(v: np.ndarray, method: str, sid, target_col: str) -> np.ndarray:
    s = pd.Series(v)
    if method == "zero":
        s = s.fillna(0.0)
    elif method == "ffill":
        s = s.ffill().bfill()
    else:
        s = s.interpolate(limit_direction="both")
    if s.isna().any():
        raise SeriesValidationError(f"series {sid!r} has no finite values in '{target_col}' to fill from")
    return s.to_numpy()
