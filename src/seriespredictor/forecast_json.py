"""The JSON contract of the forecast service: a request's series into the columns of a long frame,
and a forecast frame back into JSON.

A request::

    {"series": [{"id": "a", "timestamps": ["2024-01-01T00:00", ...], "values": [1.5, ...]}, ...],
     "h": 24, "level": [80, 95]}

``h`` (default: the model's) and ``level`` (default: none) may be left out. Ids are labels, as a
file's ids are: a number is read as its text. Timestamps are what the model's data read (ISO 8601
text, or integers for integer times); values are numbers, or null for a missing one. Only the
shape is checked here; the contents are read by ``to_panel``, as the CLI reads a file, so every
error says the same words.

A response::

    {"h": 24, "level": [80, 95],
     "forecasts": [{"id": "a", "timestamps": [...], "forecast": [...],
                    "intervals": {"80": {"lo": [...], "hi": [...]}, "95": {...}}}, ...],
     "warnings": {"95": "..."}}

in the order of the request's series.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import SeriesValidationError, first_sentence
from .forecaster import MAX_PREDICT_HORIZON
from .params import horizon_arg, levels_arg

FIELDS = ("series", "h", "level")
SERIES_FIELDS = ("id", "timestamps", "values")
EXAMPLE = '{"series": [{"id": "a", "timestamps": [...], "values": [...]}]}'


class NotJSON(ValueError):
    """The request body is not JSON at all (a 400, where a bad field is a 422)."""


@dataclass
class Request:
    """One request's series as columns of a long frame (``ids`` in the request's order)."""

    ids: list[str]
    h: int | None
    level: tuple
    id_column: list
    times: list
    values: list

    @property
    def key(self) -> tuple:
        """Requests of one key can share a forecast pass."""
        return self.h, self.level


def parse(body: bytes) -> Request:
    """The request in ``body`` (JSON), or a ``SeriesValidationError`` naming the field and the fix.

    Raises:
        NotJSON: the body is not JSON at all.
    """
    try:
        doc = json.loads(body)
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError, an integer of more than 4,300 digits
        raise NotJSON(f"the request body is not valid JSON ({first_sentence(e).split(';')[0]}); send an object like {EXAMPLE}") from None
    except RecursionError:
        raise NotJSON(f"the request body nests too deeply to read; send an object like {EXAMPLE}") from None
    if not isinstance(doc, dict):
        raise SeriesValidationError(f"the request body is a JSON {type(doc).__name__}, not an object; send an object like {EXAMPLE}")
    _known(doc, FIELDS, "the request")
    series = doc.get("series")
    if not isinstance(series, list) or not series:
        raise SeriesValidationError(f"'series' must be a non-empty list of series, got {_json(series)}; send {EXAMPLE}")
    h = doc.get("h")
    h = None if h is None else horizon_arg(h, MAX_PREDICT_HORIZON)  # the model's own bound is checked by predict
    with warnings.catch_warnings():  # levels that look like fractions: the warning would reach only the server's log
        warnings.simplefilter("error", UserWarning)
        try:
            levels = tuple(levels_arg(doc.get("level")))
        except UserWarning as w:
            raise SeriesValidationError(str(w)) from None
    request = Request([], h, levels, [], [], [])
    seen = set()
    for k, s in enumerate(series):
        sid, times, values = _series(k, s)
        if sid in seen:
            raise SeriesValidationError(f"series {sid!r} appears twice in 'series'; send each series once")
        seen.add(sid)
        request.ids.append(sid)
        request.id_column += [sid] * len(times)
        request.times += times
        request.values += values
    return request


def _series(k: int, s) -> tuple[str, list, list]:
    where = f"series[{k}]"
    if not isinstance(s, dict):
        raise SeriesValidationError(f"{where} is {_json(s)}, not an object; give each series as {EXAMPLE[12:-2]}")
    _known(s, SERIES_FIELDS, where)
    missing = [f for f in SERIES_FIELDS if f not in s]
    if missing:
        raise SeriesValidationError(f"{where} has no {', '.join(map(repr, missing))}; give each series an id, timestamps and values")
    sid, times, values = s["id"], s["timestamps"], s["values"]
    if isinstance(sid, bool) or not isinstance(sid, (str, int)):
        raise SeriesValidationError(f"{where}: 'id' is {_json(sid)}; give a string")
    sid = str(sid)
    for name, v in (("timestamps", times), ("values", values)):
        if not isinstance(v, list):
            raise SeriesValidationError(f"series {sid!r}: {name!r} is {_json(v)}, not a list")
    for text in (sid, *(t for t in times if isinstance(t, str))):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # JSON's "\ud800" alone: no character, nothing can store it
            raise SeriesValidationError(f"{where} holds a lone surrogate in {_json(text)}; send valid Unicode text") from None
    if not times and not values:
        raise SeriesValidationError(f"series {sid!r} has no timestamps and no values; give its history, at least as many points as "
                                    "the model reads (GET /model: seq_size)")
    if len(times) != len(values):
        raise SeriesValidationError(f"series {sid!r} has {len(times)} timestamps but {len(values)} values; give one value per timestamp")
    if any(isinstance(v, (bool, dict, list)) for v in values):
        v = next(v for v in values if isinstance(v, (bool, dict, list)))
        raise SeriesValidationError(f"series {sid!r}: 'values' holds {_json(v)}; give numbers (null for a missing value)")
    return sid, times, values


def _known(doc: dict, fields: tuple, where: str) -> None:
    unknown = [k for k in doc if k not in fields]
    if unknown:
        raise SeriesValidationError(f"{where} has unknown field {unknown[0]!r}; the fields are {', '.join(fields)}")


def _json(v) -> str:
    text = json.dumps(v)
    return text if len(text) <= 40 else text[:37] + "..."


def frame(requests: list[Request], columns: dict) -> pd.DataFrame:
    """The long frame of the series of ``requests``, in the model's column names ``columns``
    (its ``data_options_``): what ``predict(data=...)`` reads."""
    def joined(name: str) -> list:
        return [x for r in requests for x in getattr(r, name)]

    return pd.DataFrame({columns["id_col"]: joined("id_column"), columns["time_col"]: joined("times"),
                         columns["target_col"]: joined("values")})


def responses(requests: list[Request], forecast: pd.DataFrame, alias: str, columns: dict) -> list[dict]:
    """Each request's JSON answer from ``forecast``, the frame ``predict`` returned for all of them."""
    ids = forecast[columns["id_col"]].to_numpy()
    h = len(forecast) // len(np.unique(ids))  # every series has h rows, one after the other
    row = {sid: k for k, sid in enumerate(ids[::h])}
    times = _times(forecast[columns["time_col"]]).reshape(-1, h)
    point = forecast[alias].to_numpy().reshape(-1, h)
    levels = requests[0].level
    bands = {lv: (forecast[f"{alias}-lo-{lv:g}"].to_numpy().reshape(-1, h), forecast[f"{alias}-hi-{lv:g}"].to_numpy().reshape(-1, h))
             for lv in levels}
    warnings = forecast.attrs.get("interval_warnings", {})
    out = []
    for r in requests:
        series = []
        for sid in r.ids:
            k = row[sid]
            series.append({"id": sid, "timestamps": times[k].tolist(), "forecast": point[k].tolist(),
                           "intervals": {f"{lv:g}": {"lo": lo[k].tolist(), "hi": hi[k].tolist()} for lv, (lo, hi) in bands.items()}})
        out.append({"h": h, "level": list(levels), "forecasts": series, "warnings": warnings})
    return out


def _times(ds: pd.Series) -> np.ndarray:
    """Forecast times as JSON values: ISO 8601 text, or integers for integer times."""
    if pd.api.types.is_integer_dtype(ds):
        return ds.to_numpy().astype(object)
    return np.array([t.isoformat() for t in ds], dtype=object)
