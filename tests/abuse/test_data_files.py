"""Hostile data files, by category: each gives a correct panel or one clear SeriesValidationError line.

A few go through the real CLI in a subprocess, where the error must be one line and exit code 2.
"""

import os
import sys
import threading

import numpy as np
import pandas as pd
import pytest

from seriespredictor import Forecaster, SeriesValidationError
from seriespredictor.data import to_panel

DAYS = pd.date_range("2024-01-01", periods=8, freq="D").strftime("%Y-%m-%d")


def csv(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def rows(values, sep=",", days=DAYS):
    return "".join(f"{d}{sep}{v}\n" for d, v in zip(days, values))


def refused(data, match, **kwargs):
    with pytest.raises(SeriesValidationError, match=match) as err:
        to_panel(data, **kwargs)
    msg = str(err.value)
    assert "\n" not in msg and not msg.rstrip().endswith(":") and "You might want to try" not in msg
    return msg


def cli(tmp_path, path, *args, timeout=60):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    import subprocess

    return subprocess.run([sys.executable, "-m", "seriespredictor", "forecast", str(path), "--h", "2", "--steps", "5",
                           "--out", str(tmp_path / "out"), *args], capture_output=True, text=True, timeout=timeout, env=env)


# -- empty and odd shapes ------------------------------------------------------------------------

@pytest.mark.parametrize("text,match", [
    ("", "is empty; it needs a header"),
    ("ds,y\n", r"has no data rows \(columns: \['ds', 'y'\]\)"),
    ("ds,y\n2024-01-01,5\n", "fewer than 3 timestamps; pass freq="),
    ("\n\n\n", "could not read|no data rows|is empty"),
])
def test_empty_header_only_and_one_row(tmp_path, text, match):
    refused(csv(tmp_path, text), match)


def test_one_row_with_a_freq_is_a_one_point_series(tmp_path):
    assert to_panel(csv(tmp_path, "ds,y\n2024-01-01,5\n"), freq="D").lengths.tolist() == [1]


def test_ten_thousand_columns_and_very_long_lines(tmp_path):
    wide = ",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" for _ in range(10_000)) + "\n"
    refused(csv(tmp_path, wide), r"has columns \['c0', 'c1', .*missing \['ds', 'y'\]")
    long_id = "x" * 200_000
    p = to_panel(csv(tmp_path, "unique_id,ds,y\n" + "".join(f"{long_id},{d},{i}\n" for i, d in enumerate(DAYS))))
    assert p.ids == [long_id] and p.lengths.tolist() == [8]


def test_rows_longer_than_the_header_are_refused(tmp_path):
    refused(csv(tmp_path, "ds,y\n2024-01-01,1,5,6\n2024-01-02,2\n2024-01-03,3\n"),
            r"has rows with more fields than its header \(2 columns\); check the delimiter")


# -- encodings and delimiters --------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_byte_order_marks_are_read(tmp_path, encoding):
    p = to_panel(csv(tmp_path, "ds,y\n" + rows(range(8)), encoding=encoding))
    assert p.ids == ["y"] and p.series(0).tolist() == list(range(8))


@pytest.mark.parametrize("sep", [";", "\t"])
def test_other_delimiters_are_detected_from_the_header(tmp_path, sep):
    p = to_panel(csv(tmp_path, f"ds{sep}y\n" + rows(range(8), sep)))
    assert p.series(0).tolist() == list(range(8))


def test_binary_garbage_and_other_encodings_are_refused(tmp_path):
    garbage = bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8))
    refused(csv(tmp_path, garbage), "is binary .*not CSV text")
    refused(csv(tmp_path, "ds,y\n2024-01-01,\xe9\n".encode("latin-1")), "not UTF-8 text|non-numeric")


# -- cells --------------------------------------------------------------------------------------

def test_quoted_numbers_are_numbers_and_thousands_separators_are_named(tmp_path):
    assert to_panel(csv(tmp_path, "ds,y\n" + rows(f'"{i}"' for i in range(8)))).series(0).tolist() == list(range(8))
    refused(csv(tmp_path, "ds,y\n" + rows(f'"1,{i}00"' for i in range(8))), r"non-numeric value\(s\), the first '1,000'")


@pytest.mark.parametrize("cell,match", [
    ("", r"1 NaN or infinite value\(s\) in 'y', the first at 2024-01-04"),
    ("NaN", "NaN or infinite"),
    ("inf", "NaN or infinite"),
    ("-inf", "NaN or infinite"),
    ("1e400", "NaN or infinite"),
])
def test_missing_infinite_and_huge_cells_are_named(tmp_path, cell, match):
    refused(csv(tmp_path, "ds,y\n" + rows([cell if i == 3 else i for i in range(8)])), match)


def test_a_value_near_the_float64_limit_among_small_ones_is_read_and_forecast_finite(tmp_path):
    data = csv(tmp_path, "ds,y\n" + rows([1e308 if i == 3 else i for i in range(40)]))
    assert to_panel(data).values[3] == 1e308
    assert np.isfinite(Forecaster(ensemble=1, refit=False, h=2, seq_size=4, steps=5, seed=0).fit(data).predict()["LSTM"]).all()


def test_empty_cells_are_filled_and_counted_on_request(tmp_path):
    p = to_panel(csv(tmp_path, "ds,y\n" + rows(["" if i in (2, 3) else i for i in range(8)])), fill_missing="interpolate")
    assert p.filled == 2 and p.series(0).tolist() == list(range(8))


def test_tiny_values_keep_their_precision(tmp_path):
    p = to_panel(csv(tmp_path, "ds,y\n" + rows(f"{i + 1}e-300" for i in range(8))))
    assert p.series(0).tolist() == [(i + 1) * 1e-300 for i in range(8)]


# -- series and rows ----------------------------------------------------------------------------

def test_unsorted_rows_constant_and_short_series_among_long_ones(tmp_path):
    days = pd.date_range("2024-01-01", periods=30, freq="D").strftime("%Y-%m-%d")
    lines = [f"long,{d},{i}\n" for i, d in enumerate(days)] + [f"flat,{d},5\n" for d in days] + [f"short,{d},1\n" for d in days[:2]]
    order = np.random.default_rng(0).permutation(len(lines))
    p = to_panel(csv(tmp_path, "unique_id,ds,y\n" + "".join(lines[k] for k in order)))
    assert p.ids == ["flat", "long", "short"] and p.lengths.tolist() == [30, 30, 2]
    assert p.series(1).tolist() == list(range(30)) and set(p.series(0)) == {5.0}


def test_duplicated_timestamps_are_named(tmp_path):
    refused(csv(tmp_path, "ds,y\n" + rows(range(8)) + f"{DAYS[2]},9\n"),
            r"series 'y' has 2 rows with duplicate timestamps in 'ds', the first at 2024-01-03")


# -- ids ----------------------------------------------------------------------------------------

def test_ids_with_leading_zeros_missing_and_mixed_types(tmp_path):
    text = "unique_id,ds,y\n" + "".join(f"{sid},{d},{i}\n" for sid in ("007", "7", "7.0") for i, d in enumerate(DAYS))
    assert to_panel(csv(tmp_path, text)).ids == ["007", "7", "7.0"]
    na = "unique_id,ds,y\n" + "".join(f"NA,{d},{i}\n" for i, d in enumerate(DAYS))  # Namibia
    assert to_panel(csv(tmp_path, na)).ids == ["NA"]
    refused(csv(tmp_path, text.replace("\n007,", "\n,", 1)), r"the id column 'unique_id' has 1 missing value\(s\), the first at row 0")
    df = pd.DataFrame({"unique_id": [1, 1, 1, "a", "a", "a"], "ds": [0, 1, 2] * 2, "y": 1.0})
    refused(df, r"the id column 'unique_id' mixes value types \(int, str\)")


# -- times --------------------------------------------------------------------------------------

def test_spaces_around_dates_are_ignored(tmp_path):
    p = to_panel(csv(tmp_path, "ds,y\n" + rows(range(8), days=[f" {d} " for d in DAYS])))
    assert p.starts == [pd.Timestamp(DAYS[0])] and p.lengths.tolist() == [8]


def test_mixed_time_zones_are_refused_and_one_offset_is_kept(tmp_path):
    refused(csv(tmp_path, "ds,y\n2024-01-01T00:00+01:00,1\n2024-01-02T00:00+02:00,2\n2024-01-03T00:00Z,3\n"),
            "the time column 'ds' mixes time zones")
    p = to_panel(csv(tmp_path, "ds,y\n" + rows(range(8), days=[f"{d}T00:00+01:00" for d in DAYS])))
    assert p.lengths.tolist() == [8] and p.starts[0].utcoffset() == pd.Timedelta("1h")


def test_dst_ambiguous_local_times_repeat_and_are_named(tmp_path):
    hours = ["2024-10-27 00:00", "2024-10-27 01:00", "2024-10-27 02:00", "2024-10-27 02:00", "2024-10-27 03:00"]
    refused(csv(tmp_path, "ds,y\n" + rows(range(5), days=hours)), "duplicate timestamps in 'ds', the first at 2024-10-27 02:00")
    p = to_panel(csv(tmp_path, "ds,y\n" + rows(range(5), days=hours)), aggregate_duplicates="mean")
    assert p.series(0).tolist() == [0, 1, 2.5, 4]


@pytest.mark.parametrize("fmt", ["%Y%m%d", "%d/%m/%Y", "%m/%d/%Y", "%b-%d-%Y", "%d.%m.%Y", "%Y/%m/%d %H:%M"])
def test_dates_in_many_formats_read_with_time_format(tmp_path, fmt):
    days = pd.date_range("2024-01-25", periods=8, freq="D")
    path = csv(tmp_path, "Date,Sales\n" + rows(range(8), days=days.strftime(fmt)))
    if fmt not in ("%Y/%m/%d %H:%M",):  # pandas reads that one as ISO-like
        refused(path, r"'Date'.*time_format")
    p = to_panel(path, time_format=fmt)
    assert p.freq == "D" and p.starts == [days[0]] and p.ids == ["Sales"]


# -- paths that are not data files --------------------------------------------------------------

def test_a_directory_a_missing_file_and_devices_are_refused(tmp_path):
    (tmp_path / "empty_dir").mkdir()
    refused(tmp_path / "empty_dir", "is a directory")
    refused(tmp_path / "nope.csv", "does not exist")
    refused("/dev/zero", "is not a regular file")
    (tmp_path / "zero.parquet").symlink_to("/dev/zero")
    refused(tmp_path / "zero.parquet", "is not a regular file")


@pytest.mark.parametrize("name", ["pipe.csv", "pipe.parquet"])
def test_a_fifo_is_refused_without_blocking(tmp_path, name):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    result = []
    reader = threading.Thread(target=lambda: result.append(refused(fifo, "is not a regular file")), daemon=True)
    reader.start()
    reader.join(10)
    assert result, "reading a FIFO blocked"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_read_permission_is_refused(tmp_path):
    path = csv(tmp_path, "ds,y\n" + rows(range(8)))
    path.chmod(0)
    refused(path, "permission denied")


# -- Parquet ------------------------------------------------------------------------------------

@pytest.mark.parametrize("column,values,match", [
    ("y", ["a"] * 8, "the target column 'y' has type (large_)?string"),
    ("ds", np.arange(8) + 0.5, "the time column 'ds' has type double"),
    ("ds", [True, False] * 4, "the time column 'ds' has type bool"),
])
def test_parquet_with_wrong_types_is_refused(tmp_path, column, values, match):
    df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=8), "y": np.arange(8.0)})
    df[column] = values
    df.to_parquet(tmp_path / "x.parquet")
    refused(tmp_path / "x.parquet", match)


@pytest.mark.parametrize("fill", [None, "ffill"])  # streamed, and read in memory
def test_a_truncated_parquet_file_is_refused(tmp_path, fill):
    pd.DataFrame({"unique_id": "a", "ds": np.arange(50), "y": np.arange(50.0)}).to_parquet(tmp_path / "x.parquet")
    data = (tmp_path / "x.parquet").read_bytes()
    (tmp_path / "x.parquet").write_bytes(data[: len(data) // 2])
    refused(tmp_path / "x.parquet", r"could not read '.*x.parquet'", fill_missing=fill)


# -- the same through the CLI -------------------------------------------------------------------

@pytest.mark.parametrize("make,match", [
    (lambda d: "/dev/zero", "is not a regular file"),
    (lambda d: csv(d, bytes(range(256)) * 8), "is binary"),
    (lambda d: csv(d, "Date,Passengers\n" + rows(range(8), days=pd.date_range("1958-04-05", periods=8).strftime("%Y%m%d"))),
     "--time-format %Y%m%d"),  # the CLI's flag, not the library's time_format='%Y%m%d'
    (lambda d: csv(d, "ds,y,y\n2024-01-01,1,2\n"), "has the column 'y' more than once"),
])
def test_cli_refuses_bad_files_in_one_line_with_exit_2(tmp_path, make, match):
    r = cli(tmp_path, make(tmp_path))
    assert r.returncode == 2, r.stderr
    lines = (r.stdout + r.stderr).strip().splitlines()
    assert len(lines) == 1 and match in lines[0] and "Traceback" not in r.stderr


def test_cli_forecasts_ids_as_written(tmp_path):
    days = pd.date_range("2024-01-01", periods=30, freq="D").strftime("%Y-%m-%d")
    text = "unique_id,ds,y\n" + "".join(f"{sid},{d},{i % 7 + k}\n" for k, sid in enumerate(("007", "7")) for i, d in enumerate(days))
    r = cli(tmp_path, csv(tmp_path, text), "--seq-size", "7")
    assert r.returncode == 0, r.stderr
    out = pd.read_csv(tmp_path / "out" / "forecast.csv", dtype={"unique_id": str})
    assert sorted(set(out["unique_id"])) == ["007", "7"] and np.isfinite(out.select_dtypes("number")).all().all()
