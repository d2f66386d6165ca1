import numpy as np
import pandas as pd
import pytest

from seriespredictor import Forecaster, SeriesValidationError
from seriespredictor.data import to_panel
from seriespredictor.parquet import read_parquet_panel


def frame(n_series=5, n=30, freq="h", integer=False, start="2024-01-01"):
    rng = np.random.default_rng(0)
    parts = []
    for k in range(n_series):
        ds = np.arange(n) * 2 + 10 if integer else pd.date_range(start, periods=n, freq=freq)
        parts.append(pd.DataFrame({"unique_id": f"s{k}", "ds": ds, "y": rng.normal(100, 5, n)}))
    return pd.concat(parts, ignore_index=True)


def same(a, b):
    assert list(a.ids) == list(b.ids)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    assert a.freq == b.freq and list(a.starts) == list(b.starts)


@pytest.mark.parametrize("kwargs", [dict(freq="h"), dict(freq="MS"), dict(integer=True), dict(freq="D")])
def test_streaming_equals_reading_in_memory_across_batches_and_files(tmp_path, kwargs):
    df = frame(**kwargs)
    folder = tmp_path / "dataset"
    folder.mkdir()
    df.iloc[:70].to_parquet(folder / "part-0.parquet")  # a series split across two files
    df.iloc[70:].to_parquet(folder / "part-1.parquet")
    streamed = read_parquet_panel(folder, batch_rows=7)  # and across many small batches
    same(streamed, to_panel(df))


def test_timezones_survive_streaming(tmp_path):
    df = frame(freq="h")
    df["ds"] = df["ds"].dt.tz_localize("Europe/Berlin")
    df.to_parquet(tmp_path / "tz.parquet")
    p = read_parquet_panel(tmp_path / "tz.parquet")
    assert str(p.last_time(0).tz) == "Europe/Berlin" and p.last_time(0) == df["ds"].iloc[29]


def test_a_forecaster_fits_from_a_parquet_folder(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    frame(n=80).to_parquet(folder / "a.parquet")
    fc = Forecaster(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=10, seed=0).fit(folder).predict()
    assert len(fc) == 20


def _write(tmp_path, df):
    df.to_parquet(tmp_path / "x.parquet")
    return tmp_path / "x.parquet"


@pytest.mark.parametrize("change,message", [
    (lambda d: pd.concat([d.iloc[:10], d.iloc[40:], d.iloc[10:40]]), r"rows of series 's0' are not together"),
    (lambda d: d.drop(index=5), r"series 's0' has a step of 0 days 02:00:00 after 2024-01-01 04:00:00"),
    (lambda d: pd.concat([d.iloc[:6], d.iloc[5:]]), r"series 's0' has duplicate timestamps at 2024-01-01 05:00:00"),
    (lambda d: d.assign(y=np.where(d.index == 33, np.nan, d.y)), r"series 's1' has NaN or infinite values in 'y'"),
    (lambda d: d.drop(columns="y"), r"is missing \['y'\]"),
    (lambda d: d.assign(y="x"), r"the target column 'y' has type (large_)?string"),
])
def test_bad_streamed_data_is_refused_by_name(tmp_path, change, message):
    with pytest.raises(SeriesValidationError, match=message):
        read_parquet_panel(_write(tmp_path, change(frame())), batch_rows=8)


def test_fill_options_read_in_memory_instead(tmp_path):
    path = _write(tmp_path, frame().drop(index=5))
    p = to_panel(path, freq="h", fill_missing="interpolate")
    assert p.lengths.tolist() == [30] * 5


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_in_chunks_equals_predict(tmp_path, suffix):
    model = Forecaster(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=10, seed=0).fit(frame(n_series=7, n=60))
    out = model.predict_to(tmp_path / f"f{suffix}", chunk_size=3, level=[80])
    got = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out, parse_dates=["ds"])
    pd.testing.assert_frame_equal(got, model.predict(level=[80]), check_dtype=False)
    assert not list(tmp_path.glob(".*tmp"))


def trading_frame(n_series=3, n=40):
    days = pd.bdate_range("2024-01-01", periods=n)
    days = days[~days.isin(pd.to_datetime(["2024-01-15", "2024-02-19"]))]  # holidays
    return pd.concat([pd.DataFrame({"unique_id": f"s{k}", "ds": days[k:], "y": np.arange(len(days) - k, dtype=float)})
                      for k in range(n_series)], ignore_index=True)


def test_obs_freq_streams_like_in_memory_with_real_timestamps(tmp_path):
    df = trading_frame()
    folder = tmp_path / "d"
    folder.mkdir()
    df.iloc[:50].to_parquet(folder / "part-0.parquet")
    df.iloc[50:].to_parquet(folder / "part-1.parquet")
    streamed, memory = read_parquet_panel(folder, freq="obs", batch_rows=7), to_panel(df, freq="obs")
    same(streamed, memory)
    assert streamed.freq == "obs:B"
    for i in range(3):
        assert streamed.times(i).equals(memory.times(i)) and streamed.last_time(i) == memory.last_time(i)


def test_streamed_time_format_and_integer_date_hint(tmp_path):
    df = frame(n_series=2, n=10, freq="D")
    as_ints = df.assign(ds=df.ds.dt.strftime("%Y%m%d").astype(int))
    with pytest.raises(SeriesValidationError, match=r"the time column 'ds' holds integers like 20240101 .* time_format='%Y%m%d'"):
        read_parquet_panel(_write(tmp_path, as_ints))
    same(read_parquet_panel(_write(tmp_path, as_ints), time_format="%Y%m%d"), to_panel(df))
    as_text = df.assign(ds=df.ds.dt.strftime("%d/%m/%Y"))
    same(read_parquet_panel(_write(tmp_path, as_text), time_format="%d/%m/%Y"), to_panel(df))


def test_streamed_duplicate_column_names_are_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table([pa.array(["a"] * 3), pa.array([0, 1, 2]), pa.array([1.0] * 3), pa.array([2.0] * 3)],
                     names=["unique_id", "ds", "y", "y"])
    pq.write_table(table, tmp_path / "dup.parquet")
    with pytest.raises(SeriesValidationError, match=r"dup.parquet' has the column 'y' more than once"):
        read_parquet_panel(tmp_path / "dup.parquet")


def test_streamed_missing_ids_are_named(tmp_path):
    df = frame(n_series=2, n=5, integer=True)
    df.loc[3, "unique_id"] = None
    with pytest.raises(SeriesValidationError, match="the id column 'unique_id' has missing values"):
        read_parquet_panel(_write(tmp_path, df))


def test_a_parquet_file_without_series_ids_is_one_series_like_a_csv(tmp_path):
    """The README's "a plain two-column file such as Date,Passengers just works" holds for Parquet too."""
    air = pd.DataFrame({"Date": ["1949-01", "1949-02", "1949-03", "1949-04"], "Passengers": [112.0, 118.0, 132.0, 129.0]})
    air.to_parquet(tmp_path / "air.parquet")
    air.to_csv(tmp_path / "air.csv", index=False)
    same(to_panel(tmp_path / "air.parquet"), to_panel(tmp_path / "air.csv"))
    prices = air.rename(columns={"Passengers": "Close"}).assign(Open=1.0, Volume=5)
    prices.to_parquet(tmp_path / "prices.parquet")
    assert to_panel(tmp_path / "prices.parquet", time_col="Date", target_col="Close").series(0).tolist() == [112, 118, 132, 129]
    with pytest.raises(SeriesValidationError, match=r"prices.parquet' has columns .* but is missing \['ds', 'y'\]"):
        to_panel(tmp_path / "prices.parquet")


def test_a_folder_whose_files_name_their_columns_differently_is_refused(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    df = frame(n=80)
    df.iloc[:40].to_parquet(folder / "a.parquet")
    df.iloc[40:].rename(columns={"y": "sales"}).to_parquet(folder / "b.parquet")
    with pytest.raises(SeriesValidationError, match=r"the files of a Parquet folder must have the same columns, but .*a\.parquet' has "
                                                    r"\['unique_id', 'ds', 'y'\] and .*b\.parquet' has \['unique_id', 'ds', 'sales'\]"):
        read_parquet_panel(folder)
    rest = df.iloc[40:][["y", "ds", "unique_id"]]  # the same columns in another order, and a pandas index column: read
    rest.set_axis(np.arange(len(rest)) * 2).to_parquet(folder / "b.parquet")
    assert len(read_parquet_panel(folder).values) == len(df)
