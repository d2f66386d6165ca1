"""Calendar covariates: features of the timestamps themselves (hour of day, day of week, holidays...).

They are known for every future timestamp, so a forecast needs nothing from the user for the
horizon. Each periodic feature is a phase in [0, 1) written as its sine and cosine, so the end of a
cycle sits next to its start (23:00 next to 00:00, December next to January); ``holiday`` is 1.0 on
the given dates. Everything is computed on whole index arrays, never timestamp by timestamp.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from .calendar import freq_step
from .errors import SeriesValidationError
from .params import is_integer

FEATURES = ("hour", "dayofweek", "dayofmonth", "dayofyear", "weekofyear", "month", "quarter", "holiday")
_DAY = pd.Timedelta("1D").value
_WEEKS_PER_YEAR = 52.1775  # mean ISO weeks per year (71 years of 53 weeks in 400)
_O = pd.offsets
_MONTHLY = (_O.MonthBegin, _O.MonthEnd, _O.BusinessMonthBegin, _O.BusinessMonthEnd, _O.CustomBusinessMonthBegin,
            _O.CustomBusinessMonthEnd, _O.SemiMonthBegin, _O.SemiMonthEnd)
_QUARTERLY = (_O.QuarterBegin, _O.QuarterEnd, _O.BQuarterBegin, _O.BQuarterEnd, _O.FY5253Quarter)
_YEARLY = (_O.YearBegin, _O.YearEnd, _O.BYearBegin, _O.BYearEnd, _O.FY5253, _O.Easter)


def default_features(freq) -> tuple[str, ...]:
    """Features ``calendar=True`` takes for a panel frequency: the cycles a step of that size can see.

    Sub-daily: hour and day of week; daily and business daily: day of week and of year; weekly:
    week of year; monthly: month; quarterly: quarter. Yearly and integer steps have no cycle within
    them and are refused. ``"obs:<step>"`` is judged by its step.
    """
    step = freq_step(freq)
    if is_integer(step, 1, 2**63 - 1):
        raise SeriesValidationError(f"calendar=True: freq={freq!r} is an integer time step, which carries no calendar; "
                                    f"pass calendar=False or a list of features from {FEATURES} with datetime times",
                                    argument="calendar")
    try:
        offset = pd.tseries.frequencies.to_offset(step) if isinstance(step, str) else None
    except ValueError:
        offset = None
    if isinstance(offset, _O.Tick) and offset.nanos < _DAY or isinstance(offset, _O.BusinessHour):
        return ("hour", "dayofweek")
    if isinstance(offset, (_O.Tick, _O.Day, _O.BusinessDay)):
        return ("dayofweek", "dayofyear")
    if isinstance(offset, _O.Week):
        return ("weekofyear",)
    if isinstance(offset, _MONTHLY):
        return ("month",)
    if isinstance(offset, _QUARTERLY):
        return ("quarter",)
    why = ("yearly timestamps carry no calendar effect within the year" if isinstance(offset, _YEARLY)
           else "it has no default calendar features")
    raise SeriesValidationError(f"calendar=True: freq={freq!r}: {why}; pass calendar=False or a list of features from {FEATURES}",
                                argument="calendar")


def check_features(calendar, freq, holidays=None) -> tuple[str, ...]:
    """The feature names for the setting ``calendar``: None/False none, True the frequency's
    defaults, a list or tuple the names from ``FEATURES`` in the order given.

    Refused by name before any work: a string instead of a list, an empty list, unknown or repeated
    names, any feature on integer times, "holiday" without ``holidays=``, ``holidays=`` without
    "holiday", and a holiday that is not a date.
    """
    if calendar is None or calendar is False or isinstance(calendar, np.bool_) and not calendar:
        names = ()
    elif calendar is True or isinstance(calendar, np.bool_):
        names = default_features(freq)
    else:
        names = _listed(calendar)
        if is_integer(freq_step(freq), 1, 2**63 - 1):
            raise SeriesValidationError(f"calendar={calendar!r} needs datetime times but freq={freq!r} is an integer time step, "
                                        "which carries no calendar; pass calendar=False", argument="calendar")
    if "holiday" in names and holidays is None:
        raise SeriesValidationError(f'calendar={calendar!r} has "holiday" but no holidays= was given; '
                                    "pass holidays= (dates such as ['2024-12-25']) or drop \"holiday\"", argument="holidays")
    if holidays is not None:
        if "holiday" not in names:
            raise SeriesValidationError(f'holidays= needs "holiday" in calendar= (calendar={calendar!r}); '
                                        f"e.g. calendar={[*names, 'holiday']!r}", argument="holidays")
        holiday_dates(holidays)
    return names


def _listed(calendar) -> tuple[str, ...]:
    """The names of a list or tuple ``calendar=``, refused by name when not a non-empty list of distinct features."""
    if isinstance(calendar, str):
        raise SeriesValidationError(f"calendar={calendar!r} must be a list of feature names, e.g. calendar=[{calendar!r}] "
                                    f"not {calendar!r}; features: {FEATURES}", argument="calendar")
    if not isinstance(calendar, (list, tuple)):
        raise SeriesValidationError(f"calendar={calendar!r} must be None, False, True or a list of features from {FEATURES}",
                                    argument="calendar")
    if not calendar:
        raise SeriesValidationError(f"calendar={calendar!r} is empty; pass calendar=False for no calendar features, "
                                    f"or a list of features from {FEATURES}", argument="calendar")
    unknown = [n for n in calendar if not isinstance(n, str) or n not in FEATURES]
    if unknown:
        raise SeriesValidationError(f"calendar={calendar!r}: unknown feature(s) {unknown}; features: {FEATURES}", argument="calendar")
    repeated = sorted({n for n in calendar if calendar.count(n) > 1})
    if repeated:
        raise SeriesValidationError(f"calendar={calendar!r} repeats {repeated}; list each of {FEATURES} once", argument="calendar")
    return tuple(calendar)


def holiday_dates(holidays) -> np.ndarray:
    """``holidays=`` as sorted unique ``datetime64[D]`` dates; each is a 'YYYY-MM-DD' string, a
    ``datetime.date`` (a ``pd.Timestamp`` included: its own calendar date) or a ``np.datetime64``."""
    if isinstance(holidays, (str, datetime.date, np.datetime64)):
        raise SeriesValidationError(f"holidays={holidays!r} must be a list of dates, e.g. holidays=[{str(holidays)!r}]",
                                    argument="holidays")
    try:
        given = list(holidays)
    except TypeError:
        raise SeriesValidationError(f"holidays={holidays!r} must be a list of dates such as ['2024-12-25']", argument="holidays") from None
    if not given:
        raise SeriesValidationError("holidays=[] is empty; pass the dates (e.g. ['2024-12-25']) or drop \"holiday\" from calendar=",
                                    argument="holidays")
    days = []
    for d in given:
        try:
            if not isinstance(d, (str, datetime.date, np.datetime64)):
                raise ValueError
            day = pd.Timestamp(d)
            if pd.isna(day):
                raise ValueError
        except (ValueError, TypeError, OverflowError):
            raise SeriesValidationError(f"holidays= has {d!r}, which is not a date; give dates as 'YYYY-MM-DD' strings, "
                                        "datetime.date or pd.Timestamp", argument="holidays") from None
        days.append(np.datetime64(day.date(), "D"))
    return np.unique(np.array(days, dtype="datetime64[D]"))


def columns(names) -> list[str]:
    """The output columns of ``features`` for feature names: ``<name>_sin`` and ``<name>_cos`` for
    each periodic feature, ``holiday`` for the holiday flag."""
    return [c for n in names for c in ((n,) if n == "holiday" else (f"{n}_sin", f"{n}_cos"))]


def _phase(times: pd.DatetimeIndex, name: str) -> np.ndarray:
    """Where each timestamp is in the feature's cycle, in [0, 1), in the timestamps' own zone."""
    if name == "hour":
        return (times.hour.to_numpy() + times.minute.to_numpy() / 60) / 24
    if name == "dayofweek":
        return times.day_of_week.to_numpy() / 7
    if name == "dayofmonth":
        return (times.day.to_numpy() - 1) / times.days_in_month.to_numpy()
    if name == "dayofyear":
        return (times.day_of_year.to_numpy() - 1) / np.where(times.is_leap_year, 366, 365)
    if name == "weekofyear":
        return (times.isocalendar()["week"].to_numpy(dtype=np.int64) - 1) / _WEEKS_PER_YEAR
    if name == "month":
        return (times.month.to_numpy() - 1) / 12
    if name == "quarter":
        return (times.quarter.to_numpy() - 1) / 4
    raise SeriesValidationError(f"calendar feature {name!r} is not one of {FEATURES}", argument="calendar")


def features(times, names, holidays=None) -> np.ndarray:
    """The calendar features of ``times`` (a DatetimeIndex, tz-aware or naive): a float64 array
    ``[len(times), len(columns(names))]`` in the order of ``columns(names)``.

    A timestamp is a holiday when its calendar date in its own zone is one of ``holidays``.
    """
    times = pd.Index(times)
    if not isinstance(times, pd.DatetimeIndex):
        raise SeriesValidationError(f"calendar features need datetime times, got {times.dtype} times; pass calendar=False",
                                    argument="calendar")
    out = np.empty((len(times), len(columns(names))), dtype=np.float64)
    j = 0
    for name in names:
        if name == "holiday":
            if holidays is None:
                raise SeriesValidationError('calendar feature "holiday" needs holidays= (dates such as [\'2024-12-25\'])',
                                            argument="holidays")
            local = times.tz_localize(None) if times.tz is not None else times  # wall-clock time: the local date
            out[:, j] = np.isin(local.to_numpy().astype("datetime64[D]"), holiday_dates(holidays))
            j += 1
        else:
            angle = 2 * np.pi * _phase(times, name)
            out[:, j], out[:, j + 1] = np.sin(angle), np.cos(angle)
            j += 2
    return out
