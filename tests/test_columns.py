import warnings

import pandas as pd
import pytest

from seriespredictor import SeriesValidationError
from seriespredictor.data import to_panel


def test_numbers_in_an_object_time_column_are_integers_or_refused():
    def parse(values):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # pandas warns that it will read such numbers as epochs
            return to_panel(pd.DataFrame({"ds": pd.Series(values, dtype=object), "y": [1.0, 2.0, 3.0]}))

    assert parse([1, 2, 3]).starts == [1]
    assert parse([1.0, 2.0, 3.0]).starts == [1]
    with pytest.raises(SeriesValidationError, match=r"the time column 'ds' mixes numbers \(e.g. 1\) with other values"):
        parse([1, "2024-01-02", "2024-01-03"])
    with pytest.raises(SeriesValidationError, match="the time column 'ds' holds integers beyond 64 bits"):
        parse([2**70, 2**70 + 1, 2**70 + 2])


def test_integer_dates_get_a_time_format_hint_naming_the_column(tmp_path):
    f = tmp_path / "air.csv"
    f.write_text("Date,Passengers\n19580405,1\n19580406,2\n19580407,3\n19580408,4\n")
    hint = r"the time column 'Date' holds integers like 19580405 .* YYYYMMDD; pass time_format='%Y%m%d' \(CLI: --time-format %Y%m%d\)"
    with pytest.raises(SeriesValidationError, match=hint):
        to_panel(f)
    p = to_panel(f, time_format="%Y%m%d")
    assert p.freq == "D" and p.starts == [pd.Timestamp("1958-04-05")]
    assert to_panel(f, freq=1).freq == 1  # an explicit integer step takes them as integers


def test_time_format_reads_other_date_styles_and_errors_end_with_the_fix(tmp_path):
    f = tmp_path / "b.csv"
    f.write_text("Date,P\nApr-05-1958,1\nApr-06-1958,2\nApr-07-1958,3\n")
    assert to_panel(f, time_format="%b-%d-%Y").starts == [pd.Timestamp("1958-04-05")]
    for kwargs, fix in [({}, "pass time_format="), ({"time_format": "%Y%m%d"}, "pass the format its dates are written in")]:
        with pytest.raises(SeriesValidationError) as err:
            to_panel(f, **kwargs)
        msg = str(err.value)
        assert "'Date'" in msg and "'ds'" not in msg and fix in msg
        assert "\n" not in msg and "You might want to try" not in msg and not msg.endswith(":")


def test_an_empty_time_cell_is_named_by_its_row(tmp_path):
    (tmp_path / "d.csv").write_text("ds,y\n2020-01-01,1\n,2\n2020-01-03,3\n")
    with pytest.raises(SeriesValidationError, match=r"^the time column 'ds' has 1 empty value\(s\), the first at row 1; every row needs its time"):
        to_panel(tmp_path / "d.csv")


@pytest.mark.parametrize("written", ['"1,120"', '"112,5"', '"1.120,5"'])
def test_numbers_with_separators_are_refused_with_the_way_to_write_them(tmp_path, written):
    (tmp_path / "d.csv").write_text(f"ds,y\n2020-01-01,{written}\n2020-01-02,3\n")
    with pytest.raises(SeriesValidationError, match=r"fix or remove those rows: numbers are read with a decimal point and no thousands "
                                                    r"separator \(1120\.5, not 1,120\.5 or 1120,5\)$"):
        to_panel(tmp_path / "d.csv")
    (tmp_path / "e.csv").write_text("ds,y\n2020-01-01,abc\n2020-01-02,3\n")
    with pytest.raises(SeriesValidationError, match=r"non-numeric value\(s\), the first 'abc' at row 0 \(series 'y'\); fix or remove those rows$"):
        to_panel(tmp_path / "e.csv")
