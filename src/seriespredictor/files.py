"""Reading a data file: a CSV (its encoding and delimiter found from its first bytes) or a
Parquet file or folder, into a frame; every failure of the parsers becomes one
``SeriesValidationError`` naming the file and the fix.

Ids in a CSV are labels, read as written: ``007`` stays ``007`` and ``NA`` (Namibia) is an id.
"""

from __future__ import annotations

import os
import reprlib
import stat
import warnings
from pathlib import Path

import pandas as pd

from .errors import SeriesValidationError, first_sentence


def is_parquet(path) -> bool:
    """Whether ``path`` is a Parquet file, or a folder holding one, by its name."""
    path = Path(path)
    if path.is_dir():
        try:
            return any(p.suffix.lower() in (".parquet", ".pq") for p in path.iterdir())
        except OSError:  # an unreadable folder is refused by name when it is opened
            return False
    return path.suffix.lower() in (".parquet", ".pq")


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
        raise SeriesValidationError(f"data file {str(path)!r} has no data rows (columns: {reprlib.repr(list(frame.columns))})")
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

