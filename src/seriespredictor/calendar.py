"""Frequencies and time: which frequencies are accepted, the step that continues a series,
the timestamps it continues with, and the seasonal period a frequency implies.

A frequency is a pandas offset alias (``"D"``, ``"h"``, ``"MS"``...), a positive integer step for
integer times, or ``"obs:<step>"`` for series indexed by their observations (trading days):
their own timestamps are kept, and ``<step>`` continues them into the future (``"obs:B"``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .errors import SeriesValidationError
from .params import is_integer

OBS = "obs"  # freq= for series indexed by their observations (trading days): the step is the next row
_SEASON = {"h": 24, "min": 60, "D": 7, "B": 5, "W": 52, "M": 12, "MS": 12, "ME": 12, "Q": 4, "QS": 4, "QE": 4}


def is_obs(freq) -> bool:
    """Whether ``freq`` is ``"obs"`` or a resolved ``"obs:<step>"``."""
    return isinstance(freq, str) and (freq == OBS or freq.startswith(OBS + ":"))


def freq_step(freq):
    """The step that continues a series: the alias or integer, ``"obs:B"`` -> ``"B"``."""
    if not is_obs(freq):
        return freq
    step = freq.partition(":")[2] or "B"
    return int(step) if step.lstrip("-").isdigit() else step


def check_freq(freq) -> None:
    """Refuse a freq= that is not None, a positive integer step, a positive pandas alias or "obs"."""
    step = freq_step(freq)
    if freq is None or freq == OBS or is_integer(step, 1, 2**63 - 1):
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
    regular = regular_freq(max(stamps, key=len))
    if regular is not None:
        return f"{OBS}:{regular}"
    every = stamps[0].append(list(stamps[1:])) if len(stamps) > 1 else stamps[0]
    if (every.day_of_week < 5).all() and (every == every.normalize()).all():
        return f"{OBS}:B"
    step = pd.Timedelta(int(_most_common(steps, pd.Timedelta("1D").value)))
    if step % pd.Timedelta("1D") == pd.Timedelta(0):  # pandas writes a day as "24h"
        return f"{OBS}:{'' if step.days == 1 else step.days}D"
    return f"{OBS}:{pd.tseries.frequencies.to_offset(step).freqstr}"


def regular_freq(index: pd.DatetimeIndex) -> str | None:
    """The alias of timestamps that are regular at one frequency, else None (and for fewer than 3)."""
    if len(index) < 3:
        return None
    with warnings.catch_warnings():  # pandas 3 warns that it will return an offset
        warnings.simplefilter("ignore")
        f = pd.infer_freq(index)
    return f if f is None or isinstance(f, str) else f.freqstr


def infer_freq(times: pd.Series, ids: np.ndarray, bounds: np.ndarray, time_col: str):
    """One frequency for all series, or a clear error asking for ``freq=``."""
    if pd.api.types.is_integer_dtype(times):
        same_series = ids[1:] == ids[:-1]
        steps = np.diff(times.to_numpy())[same_series]
        return int(steps.min()) if len(steps) else 1  # gaps (multiples of it) are found later
    best = None
    for i in range(len(bounds) - 1):
        chunk = pd.DatetimeIndex(times.iloc[bounds[i] : bounds[i + 1]])
        f = regular_freq(chunk)
        if f is not None:
            return f
        if len(chunk) >= 3 and best is None:
            best = (ids[bounds[i]], chunk)
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


def _most_common(steps: np.ndarray, default: int) -> int:
    if len(steps) == 0:
        return default
    values, counts = np.unique(steps, return_counts=True)
    return values[np.argmax(counts)]


def future_times(last, freq, h: int) -> pd.Index:
    """The ``h`` timestamps after ``last`` at frequency ``freq`` (an alias, an integer step or "obs:<step>")."""
    freq = freq_step(freq)
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
    freq = freq_step(freq)
    if isinstance(freq, (int, np.integer)):
        return 1
    offset = pd.tseries.frequencies.to_offset(freq)
    name = offset.rule_code.split("-")[0]
    if offset.n != 1:
        if name in ("min", "h") and 1440 % (offset.n * (60 if name == "h" else 1)) == 0:
            return 1440 // (offset.n * (60 if name == "h" else 1))
        return 1
    return _SEASON.get(name, 1)


def resolve_season(season: int | None, freq) -> int:
    """The seasonal period to use: ``season`` where one is given, else the frequency's usual one."""
    return season if season is not None else season_length(freq)
