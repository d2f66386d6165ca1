"""The validated series store: every series' values back to back in one float64 array, with
offsets, ids, first times and the frequency; what ``to_panel`` returns and every model reads.
Statsforecast's grouped array, with the timestamps each series needs for its forecasts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .calendar import future_times


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
    covariates: object = None  # a covariates.Covariates on this panel's grid, where the model takes covariates

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def series(self, i: int) -> np.ndarray:
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def times(self, i: int, start: int = 0, periods: int | None = None):
        """Timestamps of series ``i`` from position ``start`` (may run past its end)."""
        n = self.lengths[i] - start if periods is None else periods
        known = self.stamps[i] if self.stamps is not None else pd.Index([self.starts[i]])  # a regular series: its start
        own = known[start : start + n]
        if len(own) == n:
            return own
        after = future_times(known[-1], self.freq, start + n - len(known))
        return own.append(after[len(after) - (n - len(own)) :])

    def last_time(self, i: int):
        return self.times(i, self.lengths[i] - 1, 1)[0]

    def head(self, keep: np.ndarray) -> "Panel":
        """The first ``keep[i]`` points of every series."""
        parts = [self.values[o : o + k] for o, k in zip(self.offsets[:-1], keep)]
        stamps = None if self.stamps is None else [s[:k] for s, k in zip(self.stamps, keep)]
        covariates = None if self.covariates is None else self.covariates.head(keep)
        return Panel(self.ids, np.concatenate(parts), np.concatenate([[0], np.cumsum(keep)]).astype(np.int64), self.starts,
                     self.freq, stamps, names=self.names, covariates=covariates)

    def select(self, part: slice) -> "Panel":
        """The series ``part`` (a slice of series), sharing this panel's values."""
        start, stop, _ = part.indices(len(self.ids))
        stamps = None if self.stamps is None else self.stamps[start:stop]
        covariates = None if self.covariates is None else self.covariates.select(part)
        return Panel(self.ids[start:stop], self.values, self.offsets[start : stop + 1], self.starts[start:stop], self.freq, stamps,
                     names=self.names, covariates=covariates)

    def parts(self, starts: np.ndarray, ends: np.ndarray, ids: list) -> "Panel":
        """A panel of the parts ``values[starts[k]:ends[k]]`` (store positions), named ``ids``."""
        lengths = np.asarray(ends) - np.asarray(starts)
        offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        positions = np.repeat(np.asarray(starts) - offsets[:-1], lengths) + np.arange(offsets[-1])
        return Panel(list(ids), self.values[positions], offsets, [None] * len(ids), self.freq, names=self.names)

    def to_frame(self, id_col="unique_id", time_col="ds", target_col="y") -> pd.DataFrame:
        return pd.DataFrame(
            {
                id_col: np.repeat(np.asarray(self.ids, dtype=object), self.lengths),
                time_col: np.concatenate([np.asarray(self.times(i)) for i in range(len(self.ids))]),
                target_col: self.values,
            }
        )
