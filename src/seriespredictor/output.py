"""Forecast frames: forecasts ``[S, h]`` as the long frame users get, and files written in chunks.

A frame is ``id_col, time_col, <alias>`` (plus ``<alias>-lo-<l>``, ``<alias>-hi-<l>``), each
series' times continuing its last observed time at the data's frequency.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_output
from .calendar import future_times
from .errors import SeriesValidationError
from .params import path_arg


def check_finite(columns: dict[str, np.ndarray], ids: list) -> dict[str, np.ndarray]:
    """The forecast path's last guard: every value ``[S, h]`` is finite, or the series is named."""
    for name, values in columns.items():
        bad = ~np.isfinite(values)
        if bad.any():
            r = int(np.argmax(bad.any(1)))
            raise SeriesValidationError(
                f"series {ids[r]!r}: the forecast {name!r} is {float(values[bad][0])!r}: "
                "it cannot be represented (values too large for the model or the float range); "
                "rescale the series (e.g. divide it by a power of ten) and refit"
            )
    return columns


def forecast_frame(ids: list, last_times: list, freq, columns: dict[str, np.ndarray], id_col: str, time_col: str) -> pd.DataFrame:
    """The long frame of forecasts ``columns`` (each ``[S, h]``) of series ``ids``."""
    h = next(iter(columns.values())).shape[1]
    out = pd.DataFrame({
        id_col: np.repeat(np.asarray(ids, dtype=object), h),
        time_col: np.concatenate([np.asarray(future_times(t, freq, h)) for t in last_times]),
    })
    for name, values in columns.items():
        out[name] = values.ravel()
    return out


CSV_SUFFIXES, PARQUET_SUFFIXES = ("", ".csv", ".txt"), (".parquet", ".pq")


def output_path(path) -> Path:
    """``path`` as a Path whose suffix says CSV or Parquet; any other (``.xlsx``, ``.gz``...) is
    refused, since the file would hold CSV text under a name that promises something else."""
    path = path_arg("path", path)
    if path.suffix.lower() not in CSV_SUFFIXES + PARQUET_SUFFIXES:
        raise SeriesValidationError(f"{str(path)!r}: forecasts are written as CSV (.csv) or Parquet (.parquet), by the file's "
                                    f"suffix, not {path.suffix!r}; name the file .csv or .parquet", argument="path")
    return path


def write_frames(path, frames: Iterable[pd.DataFrame]) -> Path:
    """Append each frame to ``path`` (CSV, or Parquet by its suffix) as soon as it comes, so
    memory stays bounded by one frame; the file appears only when complete."""
    path = output_path(path)
    parquet = path.suffix.lower() in PARQUET_SUFFIXES
    if parquet:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise SeriesValidationError(f"writing {str(path)!r} needs pyarrow: pip install 'seriespredictor[parquet]'") from None
    with atomic_output(path) as tmp, contextlib.ExitStack() as writers:
        writer = None
        for k, frame in enumerate(frames):
            if parquet:
                table = pa.Table.from_pandas(frame, preserve_index=False)
                writer = writer or writers.enter_context(pq.ParquetWriter(tmp, table.schema))
                writer.write_table(table)
            else:
                frame.to_csv(tmp, mode="a" if k else "w", header=not k, index=False)
    return path
