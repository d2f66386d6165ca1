import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seriespredictor import SeriesValidationError
from seriespredictor.calendar import future_times
from seriespredictor.data import to_panel
from test_data import long_frame


def test_two_column_file_with_any_header(tmp_path):
    f = tmp_path / "air.csv"
    f.write_text("Date,Passengers\n1949-01,112\n1949-02,118\n1949-03,132\n1949-04,129\n")
    p = to_panel(f)
    assert p.ids == ["Passengers"] and p.freq == "MS" and p.series(0).tolist() == [112, 118, 132, 129]
    assert list(future_times(p.last_time(0), p.freq, 2)) == [pd.Timestamp("1949-05-01"), pd.Timestamp("1949-06-01")]


def test_parquet_file(tmp_path):
    long_frame().to_parquet(tmp_path / "d.parquet")
    p = to_panel(tmp_path / "d.parquet")  # streamed: series in file order
    assert dict(zip(p.ids, p.lengths.tolist())) == {"b": 4, "a": 3}


@pytest.mark.parametrize("content,message", [
    (b"", "is empty; it needs a header"),
    (b"ds,y\n", "has no data rows"),
    (b"ds,y\n2024-01-01,1\n2024-01-02,2,3\n", "could not read .*Expected 2 fields"),
    (b'ds,y\n"2024-01-01,1\n', "could not read"),
])
def test_malformed_files(tmp_path, content, message):
    f = tmp_path / "bad.csv"
    f.write_bytes(content)
    with pytest.raises(SeriesValidationError, match=message):
        to_panel(f)


def test_broken_parquet_and_missing_file(tmp_path):
    (tmp_path / "x.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(SeriesValidationError, match="could not read .*x.parquet"):
        to_panel(tmp_path / "x.parquet")
    with pytest.raises(SeriesValidationError, match="does not exist"):
        to_panel(tmp_path / "nope.csv")


@given(content=st.binary(max_size=400))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzzed_files_raise_only_the_documented_error(tmp_path_factory, content):
    d = tmp_path_factory.mktemp("fuzz")
    for name in ("f.csv", "f.parquet"):
        (d / name).write_bytes(content)
        try:
            to_panel(d / name)
        except SeriesValidationError:
            pass


@given(text=st.text(alphabet="0123456789-:,.\nabeinfNa \"'T", max_size=200))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzzed_csv_text_raises_only_the_documented_error(tmp_path_factory, text):
    f = tmp_path_factory.mktemp("fuzz") / "f.csv"
    f.write_text("ds,y\n" + text)
    try:
        p = to_panel(f)
    except SeriesValidationError:
        return
    assert np.isfinite(p.values).all()  # whatever is accepted is clean


def test_ids_in_a_file_are_labels_kept_as_written(tmp_path):
    f = tmp_path / "ids.csv"
    rows = "".join(f"{sid},2024-01-0{d},{d}\n" for sid in ("007", "7", "02134") for d in range(1, 5))
    f.write_text("unique_id,ds,y\n" + rows)
    assert to_panel(f).ids == ["007", "02134", "7"]
    df = pd.DataFrame({"unique_id": np.repeat([7, 8], 3), "ds": np.tile(np.arange(3), 2), "y": 1.0})
    assert to_panel(df).ids == [7, 8]  # a frame keeps the user's dtype


def test_duplicate_column_names_are_refused(tmp_path):
    f = tmp_path / "dup.csv"
    f.write_text("ds,y,y\n2024-01-01,1,9\n2024-01-02,2,9\n2024-01-03,3,9\n")
    with pytest.raises(SeriesValidationError, match=r"dup.csv' has the column 'y' more than once"):
        to_panel(f)
    df = pd.DataFrame([[0, 1.0, 2.0]], columns=["ds", "y", "y"])
    with pytest.raises(SeriesValidationError, match=r"the data has the column 'y' more than once"):
        to_panel(df)


def test_compressed_csv_is_read(tmp_path):
    long_frame().to_csv(tmp_path / "d.csv.gz", index=False)
    assert to_panel(tmp_path / "d.csv.gz").lengths.tolist() == [3, 4]


def test_a_file_separated_by_spaces_is_refused_as_such(tmp_path):
    f = tmp_path / "sunspots.txt"  # as sunspots_monthly_1749_1983.txt: 12 values a line, no header
    f.write_text(" 58.0  62.6  70.0  55.7\n 73.3  75.9  89.2  88.3\n 70.0  43.5  45.3  56.4\n")
    with pytest.raises(SeriesValidationError, match=r"sunspots.txt' has fields separated by spaces .*, not by commas"):
        to_panel(f)
    g = tmp_path / "sales.csv"  # a header with a space in a name is still CSV
    g.write_text("ds,monthly sales\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n")
    assert to_panel(g).ids == ["monthly sales"]
