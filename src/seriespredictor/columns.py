"""Parsing the input's time and target columns into timestamps (or integer times) and float64
values, refusing with one message what cannot be read: booleans, mixed kinds, fractional or
missing times, unparseable dates, integers that look like dates written without a format.

Times are ISO 8601 unless ``time_format=`` gives their ``strftime`` format.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .errors import SeriesValidationError, first_sentence


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


def parse_times(col: pd.Series, time_col: str, time_format: str | None = None, hint: bool = True) -> pd.Series:
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
            return parse_times(col.astype(np.int64), time_col, hint=hint)
        raise SeriesValidationError(f"the time column '{time_col}' holds fractional or missing numbers; it needs timestamps or integers")
    values = col.astype(object)
    missing = col.isna().to_numpy()
    if missing.any():  # an empty cell: read as NaN among strings, it would pass for a number
        pos = int(np.flatnonzero(missing)[0])
        raise SeriesValidationError(f"the time column '{time_col}' has {int(missing.sum())} empty value(s), the first at row {pos}; "
                                    "every row needs its time: fill or remove those rows")
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
        return parse_times(as_numbers, time_col, hint=hint)
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


def parse_target(col: pd.Series, target_col: str, ids: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_complex_dtype(col):
        kind = "booleans" if pd.api.types.is_bool_dtype(col) else "complex numbers"
        raise SeriesValidationError(f"the target column '{target_col}' holds {kind}; it needs real numbers")
    if not pd.api.types.is_numeric_dtype(col):
        _check_representable(col, target_col, ids)
        num = pd.to_numeric(col, errors="coerce")
        bad = num.isna() & col.notna()
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise SeriesValidationError(
                f"the target column '{target_col}' has {int(bad.sum())} non-numeric value(s), the first "
                f"{col.iloc[pos]!r} at row {pos} (series {ids.iloc[pos]!r}); fix or remove those rows"
                + (": numbers are read with a decimal point and no thousands separator (1120.5, not 1,120.5 or 1120,5)"
                   if re.fullmatch(r"\s*[-+]?[\d.,' ]*\d,\d[\d.,' ]*\s*", str(col.iloc[pos])) else "")
            )
        col = num
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def _check_representable(col: pd.Series, target_col: str, ids: pd.Series) -> None:
    """Refuse a Python integer beyond float64's range (JSON and object columns hold any integer)."""
    for pos, v in enumerate(col.to_numpy()):
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 10**308 and _overflows(v):
            raise SeriesValidationError(
                f"the target column '{target_col}' has the value {str(v)[:20]}... ({len(str(abs(v)))} digits) at row {pos} "
                f"(series {ids.iloc[pos]!r}), beyond what a float64 holds (about 1.8e308); fix or remove that row"
            )


def _overflows(v: int) -> bool:
    try:
        float(v)
        return False
    except OverflowError:
        return True
