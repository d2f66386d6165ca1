"""Histories given after the fit (:mod:`seriespredictor.histories`): ``predict(data=...)`` forecasts from them, no training."""

import numpy as np
import pandas as pd
import pytest

from seriespredictor import Forecaster, SeriesValidationError


def panel(n=120, ids=("a", "b"), scale=(1, 2)):
    t = np.arange(n)
    return pd.concat([pd.DataFrame({"unique_id": sid, "ds": pd.date_range("2024-01-01", periods=n, freq="h"),
                                    "y": k * (50 + 10 * np.sin(2 * np.pi * t / 24) + 0.1 * t)})
                      for sid, k in zip(ids, scale)], ignore_index=True)


@pytest.fixture(scope="module", params=["direct", "recursive"])
def model(request):
    return Forecaster(h=6, seq_size=24, hidden_dim=8, steps=60, ensemble=2, val_size=18, head=request.param, seed=0).fit(panel())


def test_the_training_data_gives_what_predict_gives(model):
    a, b = model.predict(level=[80, 95]), model.predict(data=panel(), level=[80, 95])
    pd.testing.assert_frame_equal(a, b)
    assert b.attrs["interval_warnings"] == a.attrs["interval_warnings"]


def test_new_points_move_the_forecast_on(model):
    out = model.predict(data=panel(130))
    assert out.groupby("unique_id")["ds"].min().tolist() == [pd.Timestamp("2024-01-01") + pd.Timedelta(hours=130)] * 2
    fitted = model.predict()
    assert not np.allclose(out["LSTM"], fitted["LSTM"])
    # the fitted series keep their scaling: the same forecast as a backtest window ending there
    windows = model.forecast_windows(model.read_new(panel(130)), np.array([[130], [130]]), 6)
    np.testing.assert_array_equal(out["LSTM"].to_numpy(), windows["LSTM"].ravel())


def test_a_new_series_is_scaled_by_its_own_history(model):
    """A series seven times another is forecast seven times as large, intervals included: each
    takes its statistics from its own history (a fixed scaling would not scale with it)."""
    new = panel(100, ids=("x", "x7"), scale=(3, 21))
    out = model.predict(data=new, level=[80]).set_index(["unique_id", "ds"])
    x, x7 = out.loc["x"].to_numpy(), out.loc["x7"].to_numpy()
    np.testing.assert_allclose(x7, 7 * x, rtol=1e-9)
    assert (out.loc["x", "LSTM-hi-80"] > out.loc["x", "LSTM-lo-80"]).all()
    # and a fitted series' values under a new name get a forecast of the same size
    renamed = panel(120, ids=("b2",), scale=(2,))
    level = model.predict(data=renamed)["LSTM"].mean()
    assert abs(level / model.predict().query("unique_id == 'b'")["LSTM"].mean() - 1) < 0.1


def test_chunks_written_to_a_file_are_the_forecast(model, tmp_path):
    data = pd.concat([panel(130), panel(60, ids=("c",), scale=(4,))])
    path = model.predict_to(tmp_path / "f.csv", data=data, level=[95], chunk_size=2)
    written = pd.read_csv(path, parse_dates=["ds"])
    pd.testing.assert_frame_equal(written, model.predict(data=data, level=[95]), check_exact=False, rtol=1e-6)  # batches of another size round differently


def test_histories_the_model_cannot_read_are_refused_by_name(model):
    with pytest.raises(SeriesValidationError, match=r"^series 'new' has 20 points, but the model reads the last 24 of a series "
                                                    r"it was not fitted on; give at least 24 points of its history$"):
        model.predict(data=pd.concat([panel(), panel(20, ids=("new",))]))
    daily = panel().assign(ds=lambda d: d.groupby("unique_id").cumcount().map(lambda k: pd.Timestamp("2024-01-01") + pd.Timedelta(days=k)))
    with pytest.raises(SeriesValidationError, match=r"^the data's frequency is 'D', but the model was fitted at 'h'"):
        model.predict(data=daily)
    with pytest.raises(SeriesValidationError, match="missing"):
        model.predict(data=panel().drop(index=[5]))  # a gap, read as the fit read its data: refused


def test_an_id_given_as_text_is_the_fitted_series_of_that_number():
    """JSON (the service) and some files carry ids as text: "7" is the series 7 fitted, with its scaling."""
    data = panel(ids=(7, 8))
    model = Forecaster(h=6, seq_size=24, hidden_dim=8, steps=20, ensemble=1, val_size=6, seed=0).fit(data)
    as_text = model.predict(data=data.assign(unique_id=data["unique_id"].astype(str)))
    np.testing.assert_array_equal(as_text["LSTM"].to_numpy(), model.predict()["LSTM"].to_numpy())


def test_a_new_series_gets_the_same_band_whatever_comes_with_it(model):
    """Its interval unit (spread) is its own: a request's neighbours never change it."""
    alone = model.predict(data=panel(100, ids=("x",), scale=(3,)), level=[80])
    crowd = model.predict(data=pd.concat([panel(100, ids=("x",), scale=(3,)), panel(24, ids=("calm",), scale=(0.01,))]), level=[80])
    pd.testing.assert_frame_equal(crowd[crowd.unique_id == "x"].reset_index(drop=True), alone, check_exact=False, rtol=1e-6)


def test_one_new_point_continues_a_fitted_series_at_the_models_frequency(model):
    """Too few points to infer a frequency: the model's is taken."""
    one = pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2024-01-06")], "y": [60.0]})
    out = model.predict(data=one)
    assert out["ds"].iloc[0] == pd.Timestamp("2024-01-06 01:00")


def test_trading_days_continue_at_the_models_step_whatever_comes_with_them():
    days = pd.bdate_range("2024-01-01", periods=80)
    prices = pd.DataFrame({"unique_id": "a", "ds": days, "y": 100 + np.sin(np.arange(80))})
    model = Forecaster(h=3, seq_size=10, hidden_dim=4, steps=10, ensemble=1, val_size=3, freq="obs", seed=0).fit(prices)
    daily = pd.DataFrame({"unique_id": "b", "ds": pd.date_range("2024-01-01", periods=200, freq="D"), "y": 50.0 + np.arange(200) % 7})
    alone, both = model.predict(data=prices), model.predict(data=pd.concat([prices, daily]))
    assert alone["ds"].dt.day_of_week.max() < 5  # business days
    assert both.query("unique_id == 'a'")["ds"].tolist() == alone["ds"].tolist()


def test_predict_to_a_file_named_for_another_format_is_refused_before_forecasting(model, tmp_path):
    with pytest.raises(SeriesValidationError, match=r"f\.xlsx': forecasts are written as CSV \(\.csv\) or Parquet \(\.parquet\), by the "
                                                    r"file's suffix, not '\.xlsx'"):
        model.predict_to(tmp_path / "f.xlsx")
    assert not (tmp_path / "f.xlsx").exists()
