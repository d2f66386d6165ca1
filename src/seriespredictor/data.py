"""From whatever the user has to one validated panel of series.

Accepted: a long frame (``unique_id``, ``ds``, ``y``; names overridable), a pandas Series or
one-column frame indexed by time, a two-column frame or file (time, value) with any header, a
1-D array, or a CSV/Parquet path. Everything is checked here, once, and refused with a
``SeriesValidationError`` naming the column or series, the value and the fix. What comes out is
a :class:`Panel`: every series' values in one contiguous float64 array plus offsets.

Ids in files are labels, read as written (``007`` stays ``007``); frames keep their dtype. Times
are ISO 8601 unless ``time_format=`` says otherwise. ``freq="obs"`` indexes each series by its
observations (trading days): the Panel keeps the real timestamps and its freq becomes
``"obs:<step>"``, the step that continues the series into the future (``"obs:B"`` for weekdays).
"""

from __future__ import annotations

import os
import reprlib
import stat
import warnings
from dataclasses import dataclass, replace
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
    freq: object  # a pandas offset alias (str), an integer step, or "obs:<step>" (see OBS)
    stamps: list | None = None  # with an "obs" freq: each series' own timestamps (an Index)
    filled: int = 0  # how many points fill_missing added or replaced
    names: tuple | None = None  # the input's own (time, value) column names, e.g. ("Month", "Passengers")

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def series(self, i: int) -> np.ndarray:
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def times(self, i: int, start: int = 0, periods: int | None = None):
        """Timestamps of series ``i`` from position ``start`` (may run past its end)."""
        n = self.lengths[i] - start if periods is None else periods
        if self.stamps is not None:
            own = self.stamps[i][start : start + n]
            if len(own) == n:
                return own
            after = future_times(self.stamps[i][-1], self.freq, start + n - len(self.stamps[i]))
            return own.append(after[len(after) - (n - len(own)) :])
        if isinstance(self.freq, (int, np.integer)):
            return pd.Index(self.starts[i] + self.freq * np.arange(start, start + n))
        first = pd.date_range(self.starts[i], periods=start + 1, freq=self.freq)[-1]
        return pd.date_range(first, periods=n, freq=self.freq)

    def last_time(self, i: int):
        return self.times(i, self.lengths[i] - 1, 1)[0]

    def head(self, keep: np.ndarray) -> "Panel":
        """The first ``keep[i]`` points of every series."""
        parts = [self.values[o : o + k] for o, k in zip(self.offsets[:-1], keep)]
        stamps = None if self.stamps is None else [s[:k] for s, k in zip(self.stamps, keep)]
        return Panel(self.ids, np.concatenate(parts), np.concatenate([[0], np.cumsum(keep)]).astype(np.int64), self.starts,
                     self.freq, stamps, names=self.names)

    def to_frame(self, id_col="unique_id", time_col="ds", target_col="y") -> pd.DataFrame:
        return pd.DataFrame(
            {
                id_col: np.repeat(np.asarray(self.ids, dtype=object), self.lengths),
                time_col: np.concatenate([np.asarray(self.times(i)) for i in range(len(self.ids))]),
                target_col: self.values,
            }
        )


OBS = "obs"  # freq= for series indexed by their observations (trading days): the step is the next row


def is_obs(freq) -> bool:
    """Whether ``freq`` is ``"obs"`` or a resolved ``"obs:<step>"``."""
    return isinstance(freq, str) and (freq == OBS or freq.startswith(OBS + ":"))


def obs_freq(stamps: list) -> str:
    """The ``"obs:<step>"`` freq of series indexed by observations, from their timestamps.

    The step continues the series into the future: the frequency of the longest series when it
    has one ("obs:MS"), else business days ("obs:B") when every observed timestamp is a weekday at
    midnight, else the most common step ("obs:h", "obs:7D", "obs:5"). Holidays are not known: a
    forecast may land on one.
    """
    steps = np.concatenate([np.diff(np.asarray(s)).astype("timedelta64[ns]" if isinstance(s, pd.DatetimeIndex) else np.int64)
                            for s in stamps]).view(np.int64)
    if not isinstance(stamps[0], pd.DatetimeIndex):
        return f"{OBS}:{int(_most_common(steps, 1))}"
    regular = _regular_freq(max(stamps, key=len))
    if regular is not None:
        return f"{OBS}:{regular}"
    every = stamps[0].append(list(stamps[1:])) if len(stamps) > 1 else stamps[0]
    if (every.day_of_week < 5).all() and (every == every.normalize()).all():
        return f"{OBS}:B"
    step = pd.Timedelta(int(_most_common(steps, pd.Timedelta("1D").value)))
    if step % pd.Timedelta("1D") == pd.Timedelta(0):  # pandas writes a day as "24h"
        return f"{OBS}:{'' if step.days == 1 else step.days}D"
    return f"{OBS}:{pd.tseries.frequencies.to_offset(step).freqstr}"


def _regular_freq(index: pd.DatetimeIndex) -> str | None:
    if len(index) < 3:
        return None
    with warnings.catch_warnings():  # pandas 3 warns that it will return an offset
        warnings.simplefilter("ignore")
        f = pd.infer_freq(index)
    return f if f is None or isinstance(f, str) else f.freqstr


def _most_common(steps: np.ndarray, default: int) -> int:
    if len(steps) == 0:
        return default
    values, counts = np.unique(steps, return_counts=True)
    return values[np.argmax(counts)]


def _step(freq):
    """The step that continues a series: the alias or integer, ``"obs:B"`` -> ``"B"``."""
    if not is_obs(freq):
        return freq
    step = freq.partition(":")[2] or "B"
    return int(step) if step.lstrip("-").isdigit() else step


def future_times(last, freq, h: int) -> pd.Index:
    """The ``h`` timestamps after ``last`` at frequency ``freq`` (an alias, an integer step or "obs:<step>")."""
    freq = _step(freq)
    beyond = f"{h} steps of {freq!r} after {last} go past the last time that can be represented; use a smaller h"
    if isinstance(freq, (int, np.integer)):
        if not int(last) + int(freq) * h < 2**63:  # numpy's int64 would wrap around silently
            raise SeriesValidationError(beyond)
        return pd.Index(last + freq * np.arange(1, h + 1))
    try:
        return pd.date_range(last, periods=h + 1, freq=freq)[1:]
    except (OverflowError, ValueError, NotImplementedError):  # OutOfBoundsDatetime is a ValueError; past year 9999
        raise SeriesValidationError(beyond) from None


def season_length(freq) -> int:
    """The usual seasonal period of a frequency (24 for hourly, 12 for monthly...), 1 if none."""
    freq = _step(freq)
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


def first_sentence(error: BaseException) -> str:
    """The first line of an error's message, cut at a dangling "You might want to try:"."""
    text = str(error).strip().splitlines()[0].strip() if str(error).strip() else type(error).__name__
    return text.split(" You might want to try")[0].rstrip(" :.,")


def check_file(path: Path, what: str = "data file") -> None:
    """Refuse a path that is missing, unreadable or not a regular file (a FIFO or device could hang)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SeriesValidationError(f"{what} {str(path)!r} does not exist") from None
    except OSError as e:
        raise SeriesValidationError(f"cannot open {what} {str(path)!r}: {e.strerror or first_sentence(e)}") from None
    if stat.S_ISDIR(mode):
        raise SeriesValidationError(f"{what} {str(path)!r} is a directory; pass a CSV or Parquet file (or a folder of Parquet files)")
    if not stat.S_ISREG(mode):
        raise SeriesValidationError(f"{what} {str(path)!r} is not a regular file (a pipe or device?); save the data to a file first")
    if not os.access(path, os.R_OK):
        raise SeriesValidationError(f"cannot open {what} {str(path)!r}: permission denied; make it readable")


_COMPRESSED = (".gz", ".bz2", ".zip", ".xz", ".zst", ".tar")


def _csv_dialect(path: Path) -> tuple[str, str]:
    """The encoding (from a byte-order mark, else UTF-8) and the delimiter (from the header line)."""
    if path.suffix.lower() in _COMPRESSED:  # pandas decompresses it: UTF-8 with commas
        return "utf-8", ","
    with open(path, "rb") as f:
        head = f.read(64 * 1024)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in head:
        raise SeriesValidationError(f"data file {str(path)!r} is binary (or UTF-16 without a byte-order mark), not CSV text; pass a CSV (UTF-8) or Parquet file")
    else:
        encoding = "utf-8-sig"
    try:
        lines = head.decode(encoding, errors="strict" if len(head) < 64 * 1024 else "ignore").splitlines()
    except UnicodeDecodeError:
        raise SeriesValidationError(f"data file {str(path)!r} is not UTF-8 text (binary, or another encoding); save it as UTF-8 CSV") from None
    header = lines[0] if lines else ""
    sep = next((c for c in (";", "\t", "|") if c in header and "," not in header), ",")
    if sep not in header and len(lines) > 1 and len(header.split()) > 1 and len(lines[1].split()) == len(header.split()):
        raise SeriesValidationError(
            f"data file {str(path)!r} has fields separated by spaces ({header.strip()[:40]!r}...), not by commas, "
            "semicolons or tabs; save it as a CSV file with a header such as ds,y"
        )
    return encoding, sep


def read_file(path, id_col: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file, turning parser failures into one clear error.

    Ids (the ``id_col`` column of a CSV) are read as written, as strings: ``007`` stays ``007``.
    """
    path = Path(path)
    from .parquet import is_parquet

    if path.is_dir() and is_parquet(path):
        return _read_parquet(path)
    check_file(path)
    if path.stat().st_size == 0:
        raise SeriesValidationError(f"data file {str(path)!r} is empty; it needs a header and at least one data row")
    try:
        if is_parquet(path):
            frame = _read_parquet(path)
        else:
            encoding, sep = _csv_dialect(path)
            header = pd.read_csv(path, header=None, nrows=1, dtype=str, sep=sep, encoding=encoding).iloc[0].tolist()
            refuse_duplicate_columns([c for c in header if isinstance(c, str)], path)
            with warnings.catch_warnings():  # pandas warns, and drops fields, when a row is longer than the header
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(path, sep=sep, encoding=encoding, index_col=False, **_ids_as_written(header, id_col))
    except SeriesValidationError:
        raise
    except pd.errors.ParserWarning:
        raise SeriesValidationError(
            f"data file {str(path)!r} has rows with more fields than its header ({len(header)} columns); "
            "check the delimiter and the quoting of values that contain it"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError, ValueError, OSError, IndexError) as e:
        raise SeriesValidationError(f"could not read {str(path)!r}: {first_sentence(e)}; check that it is a well-formed CSV or Parquet file") from None
    refuse_duplicate_columns(list(frame.columns), path)
    if len(frame) == 0:
        raise SeriesValidationError(f"data file {str(path)!r} has no data rows (columns: {_short(frame.columns)})")
    return frame


# pandas' default missing-value strings (read_csv docs): kept for every column but the ids
_NA_STRINGS = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
               "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]


def _ids_as_written(header: list, id_col: str | None) -> dict:
    """read_csv options that keep ids as strings, "NA" (Namibia) included; only empty ids are missing."""
    if id_col not in header:
        return {}
    na = {c: _NA_STRINGS for c in header if isinstance(c, str) and c != id_col}
    return {"dtype": {id_col: str}, "keep_default_na": False, "na_values": {**na, id_col: [""]}}


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise SeriesValidationError(f"reading {str(path)!r} needs pyarrow: pip install 'seriespredictor[parquet]'") from None
    try:
        return pd.read_parquet(path)
    except Exception as e:  # pyarrow raises several types for damaged files
        raise SeriesValidationError(f"could not read {str(path)!r}: {first_sentence(e)}; check that it is a Parquet file") from None


def refuse_duplicate_columns(columns: list, where) -> None:
    names = pd.Index(columns)
    if names.duplicated().any():
        dup = names[names.duplicated()][0]
        raise SeriesValidationError(
            f"{'the data' if where is None else repr(str(where))} has the column {dup!r} more than once; "
            "give every column a distinct name"
        )


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
                f"{where} has columns {_short(cols)} but is missing "
                f"{absent}; name existing columns with id_col=, time_col=, target_col= (CLI: --id-col, --time-col, "
                "--target-col), or leave them out for a two-column (time, value) file"
            )
        if target_col in cols and time_col in cols:
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
                f"{where} has columns {_short(cols)} but is missing {missing}; name the time and value columns "
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


def date_format_hint(values: np.ndarray) -> str | None:
    """``"%Y%m%d"`` or ``"%Y%m"`` when integer times all look like dates written that way."""
    v = np.asarray(values, dtype=np.int64)
    month = v // 100 % 100
    if len(v) and ((v >= 1000_01_01) & (v <= 2999_12_31) & (month >= 1) & (month <= 12) & (v % 100 >= 1) & (v % 100 <= 31)).all():
        return "%Y%m%d"
    if len(v) and ((v >= 1000_01) & (v <= 2999_12) & (v % 100 >= 1) & (v % 100 <= 12)).all():
        return "%Y%m"
    return None


def refuse_integer_dates(values: np.ndarray, time_col: str) -> None:
    """Integer times like 19580405 are dates without a format: say how to read them."""
    fmt = date_format_hint(values)
    if fmt is not None:
        example = int(np.asarray(values).flat[0])
        raise SeriesValidationError(
            f"the time column '{time_col}' holds integers like {example} that look like dates written as "
            f"{fmt.replace('%Y', 'YYYY').replace('%m', 'MM').replace('%d', 'DD')}; pass time_format='{fmt}' "
            f"(CLI: --time-format {fmt}), or an integer freq= (e.g. freq=1) to take them as plain integers"
        )


def _parse_formatted(col: pd.Series, time_col: str, time_format: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(col):
        return col
    if pd.api.types.is_float_dtype(col):  # integers read as floats because of a missing cell
        col = col.astype("Int64")
    try:
        return pd.to_datetime(col.astype("string"), format=time_format)
    except (ValueError, TypeError) as e:
        raise SeriesValidationError(
            f"could not parse the time column '{time_col}' with time_format={time_format!r} ({first_sentence(e)}); "
            "pass the format its dates are written in (e.g. '%Y%m%d', '%d/%m/%Y', '%b-%d-%Y')"
        ) from None


def _parse_times(col: pd.Series, time_col: str, time_format: str | None = None, hint: bool = True) -> pd.Series:
    if pd.api.types.is_bool_dtype(col):
        raise SeriesValidationError(f"the time column '{time_col}' holds booleans; it needs timestamps or integers")
    if isinstance(col.dtype, pd.PeriodDtype):
        return col.dt.to_timestamp()
    if time_format is not None:
        return _parse_formatted(col, time_col, time_format)
    if pd.api.types.is_integer_dtype(col):
        if hint:
            refuse_integer_dates(col.to_numpy(), time_col)
        return col
    if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col):
        return col
    if pd.api.types.is_float_dtype(col):
        if np.isfinite(col).all() and (col == col.round()).all():
            return _parse_times(col.astype(np.int64), time_col, hint=hint)
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
        return _parse_times(as_numbers, time_col, hint=hint)
    kinds = {type(v) for v in values}
    if kinds <= {pd.Timestamp} or any(isinstance(v, pd.Timestamp) for v in values):
        tz = {v.tzinfo is not None for v in values if isinstance(v, pd.Timestamp)}
        if len(tz) > 1:
            raise SeriesValidationError(f"the time column '{time_col}' mixes time-zone-aware and naive timestamps; make them all one kind")
    if isinstance(col.dtype, pd.StringDtype):
        col = col.str.strip()  # " 2024-01-01 " as written by hand or by fixed-width tools
    try:
        parsed = pd.to_datetime(col, format="ISO8601")
    except (ValueError, TypeError) as e:
        msg = str(e)
        if "tz" in msg.lower() or "offset" in msg.lower():
            raise SeriesValidationError(
                f"the time column '{time_col}' mixes time zones or naive and aware timestamps ({first_sentence(e)}); "
                "convert them to one time zone first"
            ) from None
        raise SeriesValidationError(
            f"could not parse the time column '{time_col}' as ISO 8601 dates ({first_sentence(e)}); "
            "pass time_format= with the format of its dates (e.g. '%d/%m/%Y'; CLI: --time-format), "
            "or use dates like 2024-01-31 or 2024-01-31 13:00, or integers"
        ) from None
    if parsed.dtype == object:
        raise SeriesValidationError(f"the time column '{time_col}' mixes time zones; convert them to one time zone first")
    return parsed


def _parse_target(col: pd.Series, target_col: str, ids: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_complex_dtype(col):
        kind = "booleans" if pd.api.types.is_bool_dtype(col) else "complex numbers"
        raise SeriesValidationError(f"the target column '{target_col}' holds {kind}; it needs real numbers")
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
        f"(observed steps {observed}); pass freq= (e.g. freq='D') and, if values are missing, fill_missing='interpolate', "
        f"or freq='{OBS}' to step from row to row (trading days)"
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
        from .parquet import is_parquet, parquet_columns, read_parquet_panel

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
        return replace(_obs_panel(frame, uniq, bounds, freq, fill_missing, target_col), names=(time_col, target_col))
    inferred = _infer_freq(frame["t"], frame["id"].to_numpy(), bounds, time_col) if freq is None else freq
    values, starts, offsets, filled = [], [], [0], 0
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
            if isinstance(inferred, (int, np.integer)):
                raise SeriesValidationError(
                    f"the time column '{time_col}' holds timestamps but freq={inferred!r} is an integer step; "
                    "pass a frequency alias such as 'D' or 'h'"
                )
            expected = pd.date_range(t.iloc[0], t.iloc[-1], freq=inferred)
            observed = pd.DatetimeIndex(t)
        if not observed.isin(expected).all():
            bad = observed[~observed.isin(expected)]
            _refuse_other_frequency(sid, observed, inferred, freq)
            raise SeriesValidationError(
                f"series {sid!r} has timestamps off the frequency {inferred!r}, the first at {bad[0]}; "
                f"pass the right freq=, freq='{OBS}' to step from row to row (trading days), or resample the data"
            )
        if len(expected) != len(observed):
            gaps = expected[~expected.isin(observed)]
            if fill_missing is None:
                _refuse_other_frequency(sid, observed, inferred, freq)
                raise SeriesValidationError(
                    f"series {sid!r} is missing {len(gaps)} timestamp(s) at frequency {inferred!r}, the first at {gaps[0]}; "
                    f"fill them with fill_missing='ffill', 'interpolate' or 'zero', or pass freq='{OBS}' to step "
                    "from row to row (trading days)"
                )
            v = pd.Series(v, index=observed).reindex(expected).to_numpy()
        v, n_filled = _finite(v, sid, fill_missing, target_col, expected)
        filled += n_filled
        values.append(v)
        starts.append(int(expected[0]) if integer_time else expected[0])
        offsets.append(offsets[-1] + len(v))
    return Panel(uniq.tolist(), np.concatenate(values), np.asarray(offsets, dtype=np.int64), starts, inferred, filled=filled,
                 names=(time_col, target_col))


def _refuse_other_frequency(sid, observed: pd.Index, inferred, given) -> None:
    """Where a series that does not fit the inferred frequency is regular at another one (a
    quarterly series among monthly ones), say so rather than report gaps."""
    if given is not None or not isinstance(observed, pd.DatetimeIndex) or len(observed) < 3:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        own = pd.infer_freq(observed)
    if own is not None and own != inferred:
        raise SeriesValidationError(
            f"series {sid!r} has the frequency {own!r} while other series have {inferred!r}: one model takes series of "
            "one frequency; split the data by frequency, or pass freq= to read every series at one"
        )


def check_freq(freq) -> None:
    """Refuse a freq= that is not None, a positive integer step, a positive pandas alias or "obs"."""
    step = _step(freq)
    if freq is None or (freq == OBS) or (isinstance(step, (int, np.integer)) and not isinstance(step, bool) and step > 0):
        return
    try:
        offset = pd.tseries.frequencies.to_offset(step) if isinstance(step, str) else None
    except ValueError:
        offset = None
    if offset is None or offset.n <= 0:
        raise SeriesValidationError(
            f"freq={freq!r} is not a pandas frequency alias with a positive step (e.g. 'h', 'D', 'MS'), a positive integer step, "
            f"nor '{OBS}' (series indexed by their observations, e.g. trading days)"
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
    times = _parse_times(long[time_col].reset_index(drop=True), time_col, time_format, hint)
    if times.isna().any():
        pos = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise SeriesValidationError(f"the time column '{time_col}' has {int(times.isna().sum())} missing value(s), the first at row {pos}")
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
