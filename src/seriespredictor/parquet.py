"""Parquet datasets larger than memory: read in record batches straight into the series store.

A Parquet file or a folder of them is scanned ``batch_rows`` rows at a time with pyarrow; the
values go into one preallocated float64 array and nothing else of the rows is kept, so the
memory is 8 bytes per point plus one batch. The rows of each series must be together and in
time order (as they are when written series by series); the same checks as for in-memory
data apply: missing columns, non-numeric or non-finite values, duplicate timestamps, gaps,
irregular steps, series split across the dataset.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .calendar import OBS, check_freq, is_obs, obs_freq
from .columns import refuse_integer_dates
from .errors import SeriesValidationError, first_sentence
from .files import check_file, refuse_duplicate_columns
from .panel import Panel
from .runtime import set_mmap_threshold


def _dataset(path):
    try:
        import pyarrow.dataset as ds
    except ImportError:
        raise SeriesValidationError(f"reading {str(path)!r} needs pyarrow: pip install 'seriespredictor[parquet]'") from None
    if not Path(path).is_dir():
        check_file(Path(path))
    try:
        if not Path(path).is_dir():  # pyarrow's dataset refuses duplicate names without naming them
            import pyarrow.parquet as pq

            refuse_duplicate_columns(pq.read_schema(str(path)).names, path)
        dataset = ds.dataset(str(path), format="parquet")
        if Path(path).is_dir():
            _refuse_mixed_schemas(dataset.files)
        return dataset
    except SeriesValidationError:
        raise
    except Exception as e:  # pyarrow raises several types for damaged files
        raise SeriesValidationError(f"could not read {str(path)!r}: {first_sentence(e)}; check that it is a Parquet file or a folder of them") from None


def _refuse_mixed_schemas(files: list[str]) -> None:
    """Refuse a folder whose files do not all have the first one's columns: pyarrow would read the
    others' missing columns as empty (and a renamed target as missing values) without a word."""
    import pyarrow.parquet as pq

    first = None
    for file in files:
        names = pq.read_schema(file).names
        refuse_duplicate_columns(names, file)
        names = [n for n in names if not n.startswith("__index_level_")]  # a pandas index kept by one file, not another
        if first is None:
            first = (file, names)
        elif sorted(names) != sorted(first[1]):
            raise SeriesValidationError(
                f"the files of a Parquet folder must have the same columns, but {first[0]!r} has {first[1][:8]} and {file!r} has "
                f"{names[:8]}; rename the columns so that they match, or read the files separately")


def parquet_columns(path, dataset=None) -> list[str]:
    """The column names of a Parquet file or folder; a damaged one is refused by name."""
    names = (dataset or _dataset(path)).schema.names
    refuse_duplicate_columns(names, path)
    return names


class _Series:
    """The series being read: its id, first and last time, and length so far."""

    def __init__(self, sid, first):
        self.id, self.first, self.last, self.n = sid, first, None, 0


def read_parquet_panel(path, *, id_col: str = "unique_id", time_col: str = "ds", target_col: str = "y",
                       freq=None, time_format: str | None = None, batch_rows: int = 1_000_000) -> Panel:
    """Read a Parquet file or folder into a :class:`Panel`, ``batch_rows`` rows at a time.

    ``freq`` and ``time_format`` mean what they mean for :func:`seriespredictor.data.to_panel`.
    """
    check_freq(freq)
    dataset = _dataset(path)
    names = parquet_columns(path, dataset)
    missing = [c for c in (id_col, time_col, target_col) if c not in names]
    if missing:
        raise SeriesValidationError(
            f"{str(path)!r} has columns {names[:8]} but is missing {missing}; "
            "name yours with id_col=, time_col=, target_col= (CLI: --id-col, --time-col, --target-col)"
        )
    try:
        total = dataset.count_rows()
        # No read-ahead: by default pyarrow decodes several files and batches ahead, which can
        # hold more memory than the values themselves.
        import pyarrow as pa

        pool = pa.system_memory_pool()  # gives freed buffers back; the default pool keeps them while scanning
        batches = dataset.to_batches(columns=[id_col, time_col, target_col], batch_size=batch_rows,
                                     batch_readahead=0, fragment_readahead=0, memory_pool=pool)
        values = np.empty(total, dtype=np.float64)
        reader = _Reader(values, time_col, target_col, freq, time_format)
        set_mmap_threshold(256 * 1024)
        try:
            for batch in batches:
                reader.add(batch, id_col)
        finally:
            set_mmap_threshold(32 * 1024 * 1024)  # glibc's ceiling: training tensors stay on the heap
    except SeriesValidationError:
        raise
    except Exception as e:
        raise SeriesValidationError(f"could not read {str(path)!r}: {first_sentence(e)}; check that it is a Parquet file") from None
    if reader.pos == 0:
        raise SeriesValidationError(f"{str(path)!r} has no data rows")
    pool.release_unused()
    return reader.panel()


class _Reader:
    def __init__(self, values: np.ndarray, time_col: str, target_col: str, freq, time_format: str | None):
        self.values, self.time_col, self.target_col, self.freq = values, time_col, target_col, freq
        self.time_format, self.hint = time_format, freq is None
        self.stamps = np.empty(len(values), dtype=np.int64) if is_obs(freq) else None  # obs: the real times
        self.pos, self.done, self.seen, self.current = 0, [], set(), None
        self.integer_time, self.tz, self.step = None, None, None  # step: int (or ns) for fixed steps
        self.step_known = False

    # -- one record batch --------------------------------------------------------------------
    def add(self, batch, id_col: str) -> None:
        n = batch.num_rows
        if n == 0:
            return
        if batch.column(0).null_count:
            raise SeriesValidationError(f"the id column '{id_col}' has missing values; give every row a series id")
        ids = batch.column(0).to_numpy(zero_copy_only=False)
        times = self._times(batch.column(1))
        y = self._values(batch.column(2), ids)
        self.values[self.pos : self.pos + n] = y
        if self.stamps is not None:
            self.stamps[self.pos : self.pos + n] = times
        starts = np.r_[0, np.flatnonzero(ids[1:] != ids[:-1]) + 1]  # where each run of one series begins
        ends = np.r_[starts[1:], n]
        if self.step is None and self.freq is None and not self.step_known:
            self._run(ids[0], times[: ends[0]])  # infers the frequency from the first series
            first = 1
        else:
            first = 0
        if self.step is not None and first < len(starts):
            self._check_batch(ids, times, starts[first:], ends[first:])
        else:  # calendar frequencies: series by series
            for r0, r1 in zip(starts[first:], ends[first:]):
                self._run(ids[r0], times[r0:r1])
        self.pos += n

    def _check_batch(self, ids, times, starts, ends) -> None:
        """Vectorised checks of a batch's runs, for fixed steps (integers or ticks)."""
        cur = self.current
        lo = starts[0]
        t = times[lo:]
        same = ids[lo + 1 :] == ids[lo:-1]  # consecutive rows of one series
        d = np.diff(t)
        bad = same & (d != self.step)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            self._check_steps(ids[lo + k], t[k : k + 2])  # raises with the message
        run_ids = ids[starts]
        if cur is not None and cur.id == run_ids[0]:  # the series goes on from the last batch
            self._check_steps(cur.id, np.array([cur.last, times[starts[0]]]))
            cur.n += int(ends[0] - starts[0])
            cur.last = times[ends[0] - 1]
            starts, ends, run_ids = starts[1:], ends[1:], run_ids[1:]
        if len(starts) == 0:
            return
        if cur is not None:
            self._close()
        repeated = [sid for sid in run_ids.tolist() if sid in self.seen]
        if repeated or len(set(run_ids.tolist())) < len(run_ids):
            sid = repeated[0] if repeated else next(s for s in run_ids.tolist() if run_ids.tolist().count(s) > 1)
            raise SeriesValidationError(
                f"the rows of series {sid!r} are not together: it appears again after other series; "
                "sort the data by id and time to read it in a stream"
            )
        self.seen.update(run_ids.tolist())
        firsts, lengths = times[starts], ends - starts
        for sid, f, length in zip(run_ids[:-1].tolist(), firsts[:-1].tolist(), lengths[:-1].tolist()):
            self.done.append((sid, f if self.integer_time else self._timestamp(f), length))
        last_id = run_ids[-1]
        self.current = _Series(last_id.item() if hasattr(last_id, "item") else last_id, firsts[-1])
        self.current.n, self.current.last = int(lengths[-1]), times[ends[-1] - 1]

    def _times(self, column) -> np.ndarray:
        import pyarrow as pa

        t = column.type
        if pa.types.is_integer(t) and self.time_format is None:
            kind = True
            out = column.to_numpy(zero_copy_only=False).astype(np.int64)
            if self.hint:
                refuse_integer_dates(out, self.time_col)
        elif pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t):
            kind = False
            if pa.types.is_timestamp(t) and t.tz is not None:
                self.tz = t.tz
            try:
                fmt = self.time_format if not (pa.types.is_timestamp(t) or pa.types.is_date(t)) else None
                parsed = pd.to_datetime(column.to_pandas().astype("string") if fmt else column.to_pandas(),
                                        format=fmt or "ISO8601", utc=self.tz is not None)
            except (ValueError, TypeError) as e:
                raise SeriesValidationError(
                    f"could not parse the time column '{self.time_col}' ({first_sentence(e)}); pass time_format= with the "
                    "format of its dates (e.g. '%Y%m%d'; CLI: --time-format)"
                ) from None
            if parsed.isna().any():
                raise SeriesValidationError(f"the time column '{self.time_col}' has missing values")
            out = parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        else:
            raise SeriesValidationError(f"the time column '{self.time_col}' has type {t}; it needs timestamps or integers")
        if self.integer_time is None:
            self.integer_time = kind
        return out

    def _values(self, column, ids) -> np.ndarray:
        import pyarrow as pa

        if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
            raise SeriesValidationError(f"the target column '{self.target_col}' has type {column.type}; it needs numbers")
        y = column.to_numpy(zero_copy_only=False).astype(np.float64)
        bad = ~np.isfinite(y)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise SeriesValidationError(
                f"series {ids[k]!r} has NaN or infinite values in '{self.target_col}'; remove them, or read the "
                "data in memory with fill_missing= to fill them"
            )
        return y

    # -- one run of rows of one series ---------------------------------------------------------
    def _run(self, sid, t: np.ndarray) -> None:
        cur = self.current
        if cur is not None and cur.id == sid:  # the series goes on from the previous batch
            t_all = np.r_[cur.last, t]
        else:
            if cur is not None:
                self._close()
            if sid in self.seen:
                raise SeriesValidationError(
                    f"the rows of series {sid!r} are not together: it appears again after other series; "
                    "sort the data by id and time to read it in a stream"
                )
            self.seen.add(sid)
            cur = self.current = _Series(sid, t[0])
            t_all = t
        self._check_steps(sid, t_all)
        cur.last, cur.n = t[-1], cur.n + len(t)

    def _check_steps(self, sid, t: np.ndarray) -> None:
        if len(t) < 2:
            return
        d = np.diff(t)
        if (d <= 0).any():
            k = int(np.flatnonzero(d <= 0)[0])
            what = "duplicate timestamps" if d[k] == 0 else "timestamps out of order"
            raise SeriesValidationError(f"series {sid!r} has {what} at {self._show(t[k + 1])}; sort the data and keep one row per timestamp")
        if self.stamps is not None:  # indexed by observations: any increasing times will do
            return
        if self.freq is None:
            self._infer(sid, t)
        elif not self.step_known:
            self._set_step()
        if self.step is not None:
            if (d != self.step).any():
                k = int(np.flatnonzero(d != self.step)[0])
                raise SeriesValidationError(
                    f"series {sid!r} has a step of {self._show_step(d[k])} after {self._show(t[k])} where the data's "
                    f"frequency is {self.freq!r}: gaps or irregular times; fill them (read the data in memory "
                    "with fill_missing=), pass the right freq=, or freq='obs' to step from row to row (trading days)"
                )
        else:  # calendar frequencies (months, weeks...): compare with the calendar
            start = pd.Timestamp(t[0])
            expected = pd.date_range(start, periods=len(t), freq=self.freq).asi8
            if not np.array_equal(expected, t):
                k = int(np.flatnonzero(expected != t)[0])
                raise SeriesValidationError(f"series {sid!r} is off the frequency {self.freq!r} at {self._show(t[k])}: gaps or irregular times")

    def _infer(self, sid, t: np.ndarray) -> None:
        if self.integer_time:
            self.freq = self.step = int(np.diff(t).min())
            self.step_known = True
            return
        if len(t) < 3:
            return
        index = pd.DatetimeIndex(t[:3].astype("datetime64[ns]"))  # the first three: later gaps are reported as gaps
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = pd.infer_freq(index)
        if f is None:
            raise SeriesValidationError(f"cannot infer the frequency of series {sid!r}: its time steps are irregular; pass freq=, or freq='obs' to step from row to row (trading days)")
        self.freq = f if isinstance(f, str) else f.freqstr
        self._set_step()

    def _set_step(self) -> None:
        self.step_known = True
        if self.integer_time:
            if not isinstance(self.freq, (int, np.integer)):
                raise SeriesValidationError(f"the time column '{self.time_col}' holds integers but freq={self.freq!r}; pass an integer freq")
            self.step = int(self.freq)
            return
        try:
            offset = pd.tseries.frequencies.to_offset(self.freq)
        except ValueError:
            raise SeriesValidationError(f"freq={self.freq!r} is not a pandas frequency alias (e.g. 'h', 'D', 'MS')") from None
        self.step = int(offset.nanos) if isinstance(offset, pd.offsets.Tick) else None

    def _close(self) -> None:
        cur = self.current
        start = int(cur.first) if self.integer_time else self._timestamp(cur.first)
        self.done.append((cur.id, start, cur.n))

    # -- the result --------------------------------------------------------------------------
    def panel(self) -> Panel:
        self._close()
        if self.stamps is not None:
            return self._obs_panel()
        if self.freq is None:
            raise SeriesValidationError("cannot infer the frequency: every series has fewer than 3 points; pass freq=")
        ids = [d[0].item() if hasattr(d[0], "item") else d[0] for d in self.done]
        lengths = np.array([d[2] for d in self.done], dtype=np.int64)
        offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        return Panel(ids, self.values[: self.pos], offsets, [d[1] for d in self.done], self.freq)

    def _obs_panel(self) -> Panel:
        lengths = np.array([d[2] for d in self.done], dtype=np.int64)
        offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        stamps = [self._index(self.stamps[a:b]) for a, b in zip(offsets[:-1], offsets[1:])]
        freq = obs_freq(stamps) if self.freq == OBS else self.freq
        ids = [d[0].item() if hasattr(d[0], "item") else d[0] for d in self.done]
        return Panel(ids, self.values[: self.pos], offsets, [s[0] for s in stamps], freq, stamps)

    def _index(self, t: np.ndarray) -> pd.Index:
        if self.integer_time:
            return pd.Index(t)
        index = pd.DatetimeIndex(t.astype("datetime64[ns]"))
        return index.tz_localize("UTC").tz_convert(self.tz) if self.tz else index

    def _timestamp(self, ns: int) -> pd.Timestamp:
        ts = pd.Timestamp(int(ns))
        return ts.tz_localize("UTC").tz_convert(self.tz) if self.tz else ts

    def _show(self, v) -> str:
        return str(int(v)) if self.integer_time else str(self._timestamp(v))

    def _show_step(self, d) -> str:
        return str(int(d)) if self.integer_time else str(pd.Timedelta(int(d)))
