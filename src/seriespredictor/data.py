"""From whatever the user has to one validated panel of series.

Accepted: a long frame (``unique_id``, ``ds``, ``y``; names overridable), a pandas Series or
one-column frame indexed by time, a two-column frame or file (time, value) with any header, a
1-D array, or a CSV/Parquet path. Everything is checked here, once, and refused with a
``SeriesValidationError`` naming the column or series, the value and the fix. What comes out is
a :class:`Panel`: every series' values in one contiguous float64 array plus offsets.
"""

from __future__ import annotations

import reprlib
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SeriesValidationError

FILL_METHODS = ("ffill", "interpolate", "zero")
AGGREGATIONS = ("mean", "sum", "first", "last")
_SEASON = {"h": 24, "min": 60, "D": 7, "B": 5, "W": 52, "M": 12, "MS": 12, "ME": 12, "Q": 4, "QS": 4, "QE": 4}


@dataclass
class Panel:
    """Validated series: ``values[offsets[i]:offsets[i+1]]`` is series ``ids[i]``, in time order."""

    ids: list
    values: np.ndarray  # float64, all series back to back
    offsets: np.ndarray  # int64, len(ids) + 1
    starts: list  # first timestamp (or integer time) of each series
    freq: object  # a pandas offset alias (str) or an integer step

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def series(self, i: int) -> np.ndarray:
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def times(self, i: int, start: int = 0, periods: int | None = None):
        """Timestamps of series ``i`` from position ``start`` (may run past its end)."""
        n = self.lengths[i] - start if periods is None else periods
        if isinstance(self.freq, (int, np.integer)):
            return pd.Index(self.starts[i] + self.freq * np.arange(start, start + n))
        first = pd.date_range(self.starts[i], periods=start + 1, freq=self.freq)[-1]
        return pd.date_range(first, periods=n, freq=self.freq)

    def last_time(self, i: int):
        return self.times(i, self.lengths[i] - 1, 1)[0]

    def head(self, keep: np.ndarray) -> "Panel":
        """The first ``keep[i]`` points of every series."""
        parts = [self.values[o : o + k] for o, k in zip(self.offsets[:-1], keep)]
        return Panel(self.ids, np.concatenate(parts), np.concatenate([[0], np.cumsum(keep)]).astype(np.int64), self.starts, self.freq)

    def to_frame(self, id_col="unique_id", time_col="ds", target_col="y") -> pd.DataFrame:
        return pd.DataFrame(
            {
                id_col: np.repeat(np.asarray(self.ids, dtype=object), self.lengths),
                time_col: np.concatenate([np.asarray(self.times(i)) for i in range(len(self.ids))]),
                target_col: self.values,
            }
        )


def future_times(last, freq, h: int) -> pd.Index:
    """The ``h`` timestamps after ``last`` at frequency ``freq`` (an alias or an integer step)."""
    if isinstance(freq, (int, np.integer)):
        return pd.Index(last + freq * np.arange(1, h + 1))
    return pd.date_range(last, periods=h + 1, freq=freq)[1:]


def season_length(freq) -> int:
    """The usual seasonal period of a frequency (24 for hourly, 12 for monthly...), 1 if none."""
    if isinstance(freq, (int, np.integer)):
        return 1
    offset = pd.tseries.frequencies.to_offset(freq)
    name = offset.rule_code.split("-")[0]
    if offset.n != 1:
        if name in ("min", "h") and 1440 % (offset.n * (60 if name == "h" else 1)) == 0:
            return 1440 // (offset.n * (60 if name == "h" else 1))
        return 1
    return _SEASON.get(name, 1)


def _short(values) -> str:
    return reprlib.repr(list(values))


def read_file(path) -> pd.DataFrame:
    """Read a CSV or Parquet file, turning parser failures into one clear error."""
    path = Path(path)
    if not path.is_file():
        raise SeriesValidationError(f"data file {str(path)!r} does not exist")
    if path.stat().st_size == 0:
        raise SeriesValidationError(f"data file {str(path)!r} is empty; it needs a header and at least one data row")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise SeriesValidationError(
                    f"reading {str(path)!r} needs pyarrow: pip install 'seriespredictor[parquet]'"
                ) from None
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path)
    except SeriesValidationError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError) as e:
        msg = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise SeriesValidationError(f"could not read {str(path)!r}: {msg}. Check that it is a well-formed CSV or Parquet file") from None
    if len(frame) == 0:
        raise SeriesValidationError(f"data file {str(path)!r} has no data rows (columns: {list(frame.columns)})")
    return frame


def _to_long(data, id_col: str, time_col: str, target_col: str) -> pd.DataFrame:
    """Put any accepted input into long form with the three named columns."""
    if isinstance(data, (str, Path)):
        data = read_file(data)
    if isinstance(data, pd.DataFrame):
        cols = list(data.columns)
        if target_col in cols and time_col in cols:
            if id_col not in cols:
                data = data.assign(**{id_col: target_col})
            return data[[id_col, time_col, target_col]]
        if len(cols) == 2 and id_col not in cols:  # (time, value) with any header
            t, v = cols
            return pd.DataFrame({id_col: str(v), time_col: data[t].to_numpy(), target_col: data[v].to_numpy()})
        if len(cols) == 1:
            data = data[cols[0]]
        else:
            missing = [c for c in (id_col, time_col, target_col) if c not in cols]
            raise SeriesValidationError(
                f"the data has columns {_short(cols)} but is missing {missing}; pass a long frame with "
                f"'{id_col}', '{time_col}', '{target_col}' (or name yours with id_col=, time_col=, target_col=), "
                "or a two-column (time, value) table"
            )
    if isinstance(data, pd.Series):
        name = str(data.name) if data.name is not None else "series"
        index = data.index
        if isinstance(index, pd.DatetimeIndex) or pd.api.types.is_integer_dtype(index):
            times = index.to_numpy()
        else:
            raise SeriesValidationError(
                f"the Series index has dtype {index.dtype}; use a DatetimeIndex or a RangeIndex for the time"
            )
        return pd.DataFrame({id_col: name, time_col: times, target_col: data.to_numpy()})
    if isinstance(data, (np.ndarray, list, tuple)) or hasattr(data, "__array__"):
        arr = np.asarray(data)
        if arr.ndim != 1:
            raise SeriesValidationError(f"an array of data must be 1-D (one series); got shape {arr.shape}. Pass a long frame for many series")
        return pd.DataFrame({id_col: "series", time_col: np.arange(len(arr)), target_col: arr})
    raise SeriesValidationError(
        f"cannot read data of type {type(data).__name__}; pass a DataFrame, Series, 1-D array or a CSV/Parquet path"
    )


def _parse_times(col: pd.Series, time_col: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(col):
        raise SeriesValidationError(f"the time column '{time_col}' holds booleans; it needs timestamps or integers")
    if pd.api.types.is_integer_dtype(col) or isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col):
        return col
    if pd.api.types.is_float_dtype(col):
        if np.isfinite(col).all() and (col == col.round()).all():
            return col.astype(np.int64)
        raise SeriesValidationError(f"the time column '{time_col}' holds fractional or missing numbers; it needs timestamps or integers")
    values = col.astype(object)
    # pandas parses numbers among dates as epochs in its next major version: decide here instead.
    numbers = [v for v in values if isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))]
    if numbers and len(numbers) < len(values):
        raise SeriesValidationError(
            f"the time column '{time_col}' mixes numbers (e.g. {numbers[0]!r}) with other values; "
            "use timestamps or integers throughout"
        )
    if numbers:
        as_numbers = pd.to_numeric(col)
        if as_numbers.dtype == object:
            raise SeriesValidationError(
                f"the time column '{time_col}' holds integers beyond 64 bits (e.g. {max(numbers)!r}); use smaller integers"
            )
        return _parse_times(as_numbers, time_col)
    kinds = {type(v) for v in values}
    if kinds <= {pd.Timestamp} or any(isinstance(v, pd.Timestamp) for v in values):
        tz = {v.tzinfo is not None for v in values if isinstance(v, pd.Timestamp)}
        if len(tz) > 1:
            raise SeriesValidationError(f"the time column '{time_col}' mixes time-zone-aware and naive timestamps; make them all one kind")
    try:
        parsed = pd.to_datetime(col, format="ISO8601")
    except (ValueError, TypeError) as e:
        msg = str(e)
        if "tz" in msg.lower() or "offset" in msg.lower():
            raise SeriesValidationError(
                f"the time column '{time_col}' mixes time zones or naive and aware timestamps ({msg.splitlines()[0]}); "
                "convert them to one time zone first"
            ) from None
        raise SeriesValidationError(
            f"could not parse the time column '{time_col}' as ISO 8601 dates ({msg.splitlines()[0]}); "
            "use dates like 2024-01-31 or 2024-01-31 13:00, or integers"
        ) from None
    if parsed.dtype == object:
        raise SeriesValidationError(f"the time column '{time_col}' mixes time zones; convert them to one time zone first")
    return parsed


def _parse_target(col: pd.Series, target_col: str, ids: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col):
        raise SeriesValidationError(f"the target column '{target_col}' holds booleans; it needs numbers")
    if not pd.api.types.is_numeric_dtype(col):
        num = pd.to_numeric(col, errors="coerce")
        bad = num.isna() & col.notna()
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise SeriesValidationError(
                f"the target column '{target_col}' has {int(bad.sum())} non-numeric value(s), the first "
                f"{col.iloc[pos]!r} at row {pos} (series {ids.iloc[pos]!r}); fix or remove those rows"
            )
        col = num
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def _infer_freq(times: pd.Series, ids: np.ndarray, bounds: np.ndarray, time_col: str):
    """One frequency for all series, or a clear error asking for ``freq=``."""
    if pd.api.types.is_integer_dtype(times):
        same_series = ids[1:] == ids[:-1]
        steps = np.diff(times.to_numpy())[same_series]
        return int(steps.min()) if len(steps) else 1  # gaps (multiples of it) are found later
    best = None
    for i in range(len(bounds) - 1):
        chunk = pd.DatetimeIndex(times.iloc[bounds[i] : bounds[i + 1]])
        if len(chunk) >= 3:
            with warnings.catch_warnings():  # pandas 3 warns that it will return an offset
                warnings.simplefilter("ignore")
                f = pd.infer_freq(chunk)
            if f is not None:
                return f if isinstance(f, str) else f.freqstr
            best = best if best is not None else (ids[bounds[i]], chunk)
    if best is None:
        raise SeriesValidationError(
            f"cannot infer the frequency of '{time_col}': every series has fewer than 3 timestamps; pass freq= (e.g. freq='D')"
        )
    sid, chunk = best
    observed = pd.Series(chunk[1:] - chunk[:-1]).astype(str).value_counts().index[:4].tolist()
    raise SeriesValidationError(
        f"cannot infer one frequency for series {sid!r}: its time steps are irregular or have gaps "
        f"(observed steps {observed}); pass freq= (e.g. freq='D') and, if values are missing, fill_missing='interpolate'"
    )


def to_panel(
    data,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    freq=None,
    fill_missing: str | None = None,
    aggregate_duplicates: str | None = None,
) -> Panel:
    """Validate ``data`` and return it as a :class:`Panel` (see the module docstring)."""
    if isinstance(data, Panel):
        return data
    if isinstance(data, (str, Path)) and fill_missing is None and aggregate_duplicates is None:
        from .parquet import is_parquet, read_parquet_panel

        if Path(data).exists() and is_parquet(data):  # streamed: memory for the values alone
            return read_parquet_panel(data, id_col=id_col, time_col=time_col, target_col=target_col, freq=freq)
    if fill_missing is not None and fill_missing not in FILL_METHODS:
        raise SeriesValidationError(f"fill_missing={fill_missing!r} is not one of {FILL_METHODS} (or None to refuse gaps and NaN)")
    long = _to_long(data, id_col, time_col, target_col)
    if len(long) == 0:
        raise SeriesValidationError("the data is empty: it has no rows")
    if long[id_col].isna().any():
        raise SeriesValidationError(f"the id column '{id_col}' has {int(long[id_col].isna().sum())} missing value(s)")
    times = _parse_times(long[time_col].reset_index(drop=True), time_col)
    if times.isna().any():
        pos = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise SeriesValidationError(f"the time column '{time_col}' has {int(times.isna().sum())} missing value(s), the first at row {pos}")
    ids = long[id_col].reset_index(drop=True)
    y = _parse_target(long[target_col].reset_index(drop=True), target_col, ids)
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
    uniq, bounds = np.unique(frame["id"].to_numpy(), return_index=True)
    bounds = np.append(bounds, len(frame))
    inferred = _infer_freq(frame["t"], frame["id"].to_numpy(), bounds, time_col) if freq is None else freq
    if isinstance(inferred, str):
        try:
            pd.tseries.frequencies.to_offset(inferred)
        except ValueError:
            raise SeriesValidationError(f"freq={inferred!r} is not a pandas frequency alias (e.g. 'h', 'D', 'MS')") from None
    values, starts, offsets = [], [], [0]
    integer_time = pd.api.types.is_integer_dtype(frame["t"])
    for i, sid in enumerate(uniq):
        t = frame["t"].iloc[bounds[i] : bounds[i + 1]]
        v = frame["y"].to_numpy()[bounds[i] : bounds[i + 1]]
        if integer_time:
            if not isinstance(inferred, (int, np.integer)):
                raise SeriesValidationError(f"the time column '{time_col}' holds integers but freq={inferred!r}; pass an integer freq")
            full = np.arange(t.iloc[0], t.iloc[-1] + 1, inferred)
            expected = pd.Index(full)
            observed = pd.Index(t.to_numpy())
        else:
            expected = pd.date_range(t.iloc[0], t.iloc[-1], freq=inferred)
            observed = pd.DatetimeIndex(t)
        if not observed.isin(expected).all():
            bad = observed[~observed.isin(expected)]
            raise SeriesValidationError(
                f"series {sid!r} has timestamps off the frequency {inferred!r}, the first at {bad[0]}; "
                "pass the right freq= or resample the data"
            )
        if len(expected) != len(observed):
            gaps = expected[~expected.isin(observed)]
            if fill_missing is None:
                raise SeriesValidationError(
                    f"series {sid!r} is missing {len(gaps)} timestamp(s) at frequency {inferred!r}, the first at {gaps[0]}; "
                    f"fill them with fill_missing='ffill', 'interpolate' or 'zero'"
                )
            v = pd.Series(v, index=observed).reindex(expected).to_numpy()
        bad = ~np.isfinite(v)
        if bad.any():
            if fill_missing is None or np.isinf(v).any():
                pos = int(np.flatnonzero(bad)[0])
                raise SeriesValidationError(
                    f"series {sid!r} has {int(bad.sum())} NaN or infinite value(s) in '{target_col}', the first at "
                    f"{expected[pos]}; remove them or pass fill_missing='ffill', 'interpolate' or 'zero' (for NaN)"
                )
            v = _fill(v, fill_missing, sid, target_col)
        values.append(v)
        starts.append(int(expected[0]) if integer_time else expected[0])
        offsets.append(offsets[-1] + len(v))
    return Panel(list(uniq), np.concatenate(values), np.asarray(offsets, dtype=np.int64), starts, inferred)


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
