import numpy as np
import pandas as pd
import pytest

from seriespredictor import SeriesValidationError
from seriespredictor.calendar import future_times
from seriespredictor.data import to_panel


def long_frame():
    return pd.DataFrame({
        "unique_id": ["b"] * 4 + ["a"] * 3,
        "ds": list(pd.date_range("2024-01-01", periods=4, freq="D")) + list(pd.date_range("2024-03-01", periods=3, freq="D")),
        "y": [1.0, 2, 3, 4, 10, 20, 30],
    })


def test_long_frame_becomes_one_contiguous_store():
    p = to_panel(long_frame())
    assert p.ids == ["a", "b"]
    assert p.values.dtype == np.float64 and p.values.flags["C_CONTIGUOUS"]
    assert p.offsets.tolist() == [0, 3, 7]
    assert p.series(0).tolist() == [10, 20, 30] and p.series(1).tolist() == [1, 2, 3, 4]
    assert p.freq == "D"
    assert p.last_time(1) == pd.Timestamp("2024-01-04")


def test_unsorted_rows_are_sorted():
    df = long_frame().sample(frac=1.0, random_state=0)
    assert to_panel(df).series(1).tolist() == [1, 2, 3, 4]


def test_custom_column_names():
    df = long_frame().rename(columns={"unique_id": "store", "ds": "date", "y": "sales"})
    assert to_panel(df, id_col="store", time_col="date", target_col="sales").ids == ["a", "b"]


def test_series_array_and_one_column_frame():
    s = pd.Series([1.0, 2, 3], index=pd.date_range("2020", periods=3, freq="h"), name="load")
    assert to_panel(s).ids == ["load"] and to_panel(s).freq == "h"
    assert to_panel(s.to_frame()).ids == ["load"]
    p = to_panel(np.arange(5.0))
    assert p.freq == 1 and list(future_times(p.last_time(0), p.freq, 2)) == [5, 6]
    assert to_panel(pd.Series([1.0, 2, 3])).freq == 1


def test_timezone_aware_times_are_kept():
    s = pd.Series([1.0, 2, 3, 4], index=pd.date_range("2024-03-30", periods=4, freq="D", tz="Europe/Berlin"))
    p = to_panel(s)
    assert str(p.last_time(0).tz) == "Europe/Berlin"


def test_fill_missing_options():
    df = long_frame().drop(index=1)  # series b loses 2024-01-02
    with pytest.raises(SeriesValidationError, match="series 'b' is missing 1 timestamp"):
        to_panel(df, freq="D")
    assert to_panel(df, freq="D", fill_missing="interpolate").series(1).tolist() == [1, 2, 3, 4]
    assert to_panel(df, freq="D", fill_missing="ffill").series(1).tolist() == [1, 1, 3, 4]
    assert to_panel(df, freq="D", fill_missing="zero").series(1).tolist() == [1, 0, 3, 4]


def _with(df, **changes):
    df = df.copy()
    for col, (row, value) in changes.items():
        df[col] = df[col].astype(object)
        df.loc[row, col] = value
    return df


BAD = [
    (lambda: long_frame().drop(columns="y"), r"missing \['y'\]"),
    (lambda: _with(long_frame(), y=(2, "abc")), r"non-numeric value\(s\), the first 'abc' at row 2 \(series 'b'\)"),
    (lambda: _with(long_frame(), y=(2, np.nan)), r"series 'b' has 1 NaN or infinite value\(s\) in 'y', the first at 2024-01-03"),
    (lambda: _with(long_frame(), y=(5, np.inf)), r"series 'a' has 1 NaN or infinite"),
    (lambda: _with(long_frame(), ds=(1, pd.Timestamp("2024-01-01"))), r"series 'b' has 2 rows with duplicate timestamps"),
    (lambda: long_frame().iloc[[0, 1, 3]], r"series 'b'.*irregular or have gaps \(observed steps \['1 days', '2 days'\]\)"),
    (lambda: pd.DataFrame({"unique_id": "a", "ds": ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-07"], "y": 1.0}), "irregular or have gaps .* pass freq="),
    (lambda: pd.DataFrame({"unique_id": "a", "ds": ["2024-01-01", "2024-13-45", "2024-01-03"], "y": 1.0}), "could not parse the time column 'ds'"),
    (lambda: pd.DataFrame({"unique_id": "a", "ds": ["2024-01-01T00:00+01:00", "2024-01-01T01:00+02:00", "2024-01-01T02:00"], "y": 1.0}), "time zone|naive and aware"),
    (lambda: pd.DataFrame({"unique_id": [], "ds": [], "y": []}), "the data is empty"),
    (lambda: pd.DataFrame({"unique_id": "a", "ds": [True, False], "y": 1.0}), "holds booleans"),
    (lambda: np.zeros((3, 2)), "must be 1-D"),
    (lambda: {"a": 1}, "cannot read data of type dict"),
]


@pytest.mark.parametrize("make,message", BAD)
def test_bad_data_is_refused_by_name(make, message):
    with pytest.raises(SeriesValidationError, match=message):
        to_panel(make())


def test_aggregate_duplicates_option():
    df = pd.concat([long_frame(), long_frame().iloc[[0]].assign(y=3.0)], ignore_index=True)
    assert to_panel(df, aggregate_duplicates="mean").series(1).tolist() == [2, 2, 3, 4]
    assert to_panel(df, aggregate_duplicates="sum").series(1).tolist() == [4, 2, 3, 4]
    with pytest.raises(SeriesValidationError, match="aggregate_duplicates='max' is not one of"):
        to_panel(df, aggregate_duplicates="max")


# -- properties: every clean input is accepted as is, every dirty one refused -------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

finite = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)


@st.composite
def clean_frames(draw):
    n_series = draw(st.integers(1, 4))
    frames = []
    for k in range(n_series):
        n = draw(st.integers(3, 20))
        start = pd.Timestamp("2020-01-01") + pd.Timedelta(days=draw(st.integers(0, 30)))
        values = draw(st.lists(finite, min_size=n, max_size=n))
        frames.append(pd.DataFrame({"unique_id": f"s{k}", "ds": pd.date_range(start, periods=n, freq="D"), "y": values}))
    return pd.concat(frames, ignore_index=True)


@given(frame=clean_frames(), seed=st.integers(0, 1000))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_clean_input_is_accepted_unchanged_in_any_row_order(frame, seed):
    p = to_panel(frame.sample(frac=1.0, random_state=seed))
    assert p.freq == "D" and p.ids == sorted(frame["unique_id"].unique())
    for i, sid in enumerate(p.ids):
        assert p.series(i).tolist() == frame[frame.unique_id == sid]["y"].tolist()


DIRT = ["nan", "inf", "duplicate", "gap", "text"]


@given(frame=clean_frames(), dirt=st.sampled_from(DIRT), where=st.integers(0, 10_000))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_dirty_input_is_refused(frame, dirt, where):
    row = where % len(frame)
    frame = frame.copy()
    if dirt == "nan":
        frame.loc[row, "y"] = np.nan
    elif dirt == "inf":
        frame.loc[row, "y"] = -np.inf
    elif dirt == "duplicate":
        frame = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
    elif dirt == "gap":  # drop an inner point of a series
        sid = frame.loc[row, "unique_id"]
        inner = frame.index[frame.unique_id == sid][1:-1]
        frame = frame.drop(index=inner[where % len(inner)])
    else:
        frame["y"] = frame["y"].astype(object)
        frame.loc[row, "y"] = "n/a"
    with pytest.raises(SeriesValidationError):
        to_panel(frame, freq="D")


def test_ids_of_mixed_types_are_refused_by_name():
    df = pd.DataFrame({"store": [7, 7, 7, "7", "7", "7"], "ds": [0, 1, 2] * 2, "y": 1.0})
    with pytest.raises(SeriesValidationError, match=r"the id column 'store' mixes value types \(int, str\)"):
        to_panel(df, id_col="store")


@pytest.mark.parametrize("option", [dict(id_col="store"), dict(time_col="date"), dict(target_col="sales")])
def test_a_named_column_that_is_not_there_is_refused(tmp_path, option):
    f = tmp_path / "air.csv"
    f.write_text("Date,Passengers\n1949-01,112\n1949-02,118\n1949-03,132\n")
    name = next(iter(option.values()))
    with pytest.raises(SeriesValidationError, match=rf"has columns \['Date', 'Passengers'\] but is missing \['{name}'\]"):
        to_panel(f, **option)
    assert to_panel(f, time_col="Date").ids == ["Passengers"]
    assert to_panel(f, target_col="Passengers").series(0).tolist() == [112, 118, 132]


def trading_days(n=40, holidays=("2024-01-15", "2024-02-19")):
    days = pd.bdate_range("2024-01-01", periods=n)
    return days[~days.isin(pd.to_datetime(list(holidays)))]


def test_filled_counts_the_points_any_fill_added():
    df = long_frame().drop(index=1)  # one gap in 'b'
    assert to_panel(df, fill_missing="ffill").filled == 1
    df.loc[5, "y"] = np.nan  # and one NaN in 'a'
    assert to_panel(df, fill_missing="interpolate").filled == 2
    assert to_panel(long_frame()).filled == 0


def test_a_forecaster_on_trading_days_predicts_saves_loads_and_backtests(tmp_path):
    from seriespredictor import Forecaster

    days = trading_days(60)
    df = pd.DataFrame({"unique_id": "AAPL", "ds": days, "y": 100 + np.sin(np.arange(len(days)))})
    model = Forecaster(ensemble=1, refit=False, h=3, seq_size=8, hidden_dim=8, steps=5, freq="obs", seed=0).fit(df)
    forecast = model.predict()
    assert list(forecast["ds"]) == list(pd.bdate_range(days[-1], periods=4)[1:]) and model.freq_ == "obs:B"
    model.save(tmp_path / "m")
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "m").predict(), forecast)
    cv = model.cross_validation(df, n_windows=2)
    assert set(cv["ds"]) <= set(days) and set(cv["cutoff"]) <= set(days)  # real trading days, holidays skipped


def test_an_integer_freq_on_timestamps_is_refused():
    with pytest.raises(SeriesValidationError, match="the time column 'ds' holds timestamps but freq=3 is an integer step"):
        to_panel(long_frame(), freq=3)


def test_integer_ids_come_back_as_python_ints():
    df = pd.DataFrame({"unique_id": np.repeat([7, 8], 3), "ds": np.tile(np.arange(3), 2), "y": 1.0})
    for p in (to_panel(df), to_panel(df, freq="obs"), to_panel(df, fill_missing="zero")):
        assert [type(i) for i in p.ids] == [int, int]  # JSON-safe for model files


def test_a_frame_without_series_ids_is_asked_only_for_its_time_and_value_columns(tmp_path):
    f = tmp_path / "prices.csv"
    f.write_text("Date,Open,Close\n2024-01-02,1,2\n2024-01-03,2,3\n2024-01-04,3,4\n")
    with pytest.raises(SeriesValidationError, match=r"prices.csv' has columns \['Date', 'Open', 'Close'\] but is missing \['ds'\]; "
                                                    r"name the time and value columns with time_col=, target_col="):
        to_panel(f, target_col="Close")
    assert to_panel(f, time_col="Date", target_col="Close").series(0).tolist() == [2, 3, 4]


def test_bad_freq_and_fill_options():
    with pytest.raises(SeriesValidationError, match="freq='fortnight' is not a pandas frequency"):
        to_panel(long_frame(), freq="fortnight")
    with pytest.raises(SeriesValidationError, match="fill_missing='mean' is not one of"):
        to_panel(long_frame(), fill_missing="mean")
