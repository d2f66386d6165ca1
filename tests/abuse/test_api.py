"""The Python API, abused: every bad argument ends in one SeriesValidationError naming it,
before any large allocation or long run; numpy scalars and other reasonable spellings work."""

import time
import warnings

import numpy as np
import pandas as pd
import pytest

from seriespredictor import Drift, Forecaster, Naive, Naive2, SeasonalNaive, SeriesPredictor
from seriespredictor.backtest import cross_validation
from seriespredictor.errors import SeriesValidationError
from seriespredictor.metrics import mae, mase, msis, owa, score_panel, smape


def series(n=60):
    return pd.Series(10 + np.sin(np.arange(n) / 3) + 0.05 * np.arange(n), index=pd.date_range("2000-01-01", periods=n, freq="D"))


@pytest.fixture(scope="module")
def fitted():
    return Forecaster(ensemble=1, refit=False, h=3, hidden_dim=4, steps=3, seed=0).fit(series())


def quick(**kwargs):
    return Forecaster(**{"h": 3, "hidden_dim": 4, "steps": 3, "ensemble": 1, "refit": False, "seed": 0, **kwargs})


@pytest.mark.parametrize("kwargs,message", [
    (dict(hidden_dim=10**6), r"hidden_dim=1000000, num_layers=1 need .* GiB .* use a smaller hidden_dim"),
    (dict(num_layers=10**6), r"num_layers=1000000 must be a positive integer \(at most 1000\)"),
    (dict(ensemble=10**6), r"ensemble=1000000 must be a positive integer or None \(at most 1000\)"),
    (dict(steps=10**12), r"steps=1000000000000 must be a positive integer or None \(at most 10000000\)"),
    (dict(batch_size=10**9), r"batch_size=1000000000 must be a positive integer"),
    (dict(threads=0), r"threads=0 must be a positive integer or None"),
    (dict(threads=10**6), r"threads=1000000 must be a positive integer or None \(at most 1024\)"),
    (dict(seed="x"), r"seed='x' must be a non-negative integer or None"),
    (dict(seed=1.5), r"seed=1.5 must be"),
    (dict(seed=2**70), r"seed=1180591620717411303424 must be"),
    (dict(seed=True), r"seed=True must be"),
    (dict(hidden_dim=4.0), r"hidden_dim=4.0 must be a positive integer"),
    (dict(lr=float("inf")), r"lr=inf must be a positive number or None \(at most 1\)"),
    (dict(lr=1e308), r"lr=1e\+308 must be a positive number"),
    (dict(lr=True), r"lr=True must be a positive number"),
    (dict(grad_clip=float("nan")), r"grad_clip=nan must be a positive number or None"),
    (dict(grad_clip="1"), r"grad_clip='1' must be a positive number or None"),
    (dict(grad_clip=0), r"grad_clip=0 must be a positive number or None"),
    (dict(dropout=float("nan")), r"dropout=nan must be a number in \[0, 0.999\]"),
    (dict(device="gpu"), r"device='gpu' is not 'cpu', 'cuda' or 'cuda:N'"),
    (dict(device=None), r"device=None is not"),
    (dict(device="meta"), r"device='meta' is not"),
    (dict(log=1), r"log=1 is not one of \('auto', True, False\)"),
    (dict(val_size=True), r"val_size=True must be a non-negative integer"),
    (dict(season=10**9), r"season=1000000000 must be a positive integer or None \(at most 1000000\)"),
    (dict(seasonal_base="yes"), r"seasonal_base='yes' is not one of \(True, False, None\)"),
    (dict(alias="ds"), r"alias='ds' must be a non-empty column name other than 'unique_id', 'ds', 'cutoff' and 'y'"),
    (dict(alias=""), r"alias='' must be"),
    (dict(alias=None), r"alias=None must be"),
    (dict(id_col=1), r"id_col, time_col, target_col = \(1, 'ds', 'y'\) must be three distinct non-empty column names"),
    (dict(time_col="y"), r"must be three distinct"),
    (dict(time_format=1), r"time_format=1 must be a strftime format"),
    (dict(checkpoint_dir=""), r"checkpoint_dir='' must be a non-empty path"),
    (dict(checkpoint_dir=1), r"checkpoint_dir=1 must be a non-empty path"),
    (dict(intervals="quantile", quantile_levels=[80, 80]), r"quantile_levels=\[80, 80\] must be a list of distinct percentages"),
    (dict(intervals="quantile", quantile_levels={80}), r"quantile_levels=\{80\} must be a list"),
    (dict(intervals="quantile", quantile_levels=[float("nan")]), r"quantile_levels=\[nan\] must be"),
])
def test_bad_settings_are_refused_before_any_work(kwargs, message):
    start = time.perf_counter()
    with pytest.raises(SeriesValidationError, match=message):
        quick(**kwargs).fit(series())
    assert time.perf_counter() - start < 10


def test_numpy_scalar_settings_train_save_and_load(tmp_path):
    model = quick(h=np.int64(3), hidden_dim=np.int64(4), seq_size=np.int32(6), lr=np.float32(0.01), dropout=np.float64(0.0),
                  log=np.True_, seed=np.int64(1)).fit(series())
    loaded = Forecaster.load(model.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.predict(), model.predict())
    assert type(model.hidden_dim) is int and type(model.lr) is float and model.log is True


@pytest.mark.parametrize("h,message", [
    (10**9, r"h=1000000000 must be a positive integer \(at most 10000\)"),
    (True, "h=True must be a positive integer"), (2.5, "h=2.5 must be"), ("3", "h='3' must be"), (0, "h=0 must be"),
])
def test_bad_predict_horizons_are_refused_at_once(fitted, h, message):
    start = time.perf_counter()
    with pytest.raises(SeriesValidationError, match=message):
        fitted.predict(h=h)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("level", [0, 100, 150, float("nan"), "80", [80, "x"], [True], [None], {"a": 80}])
def test_bad_levels_are_refused(fitted, level):
    with pytest.raises(SeriesValidationError, match=r"level=.* must be percentages strictly between 0 and 100, e\.g\. level=\[80, 95\]"):
        fitted.predict(level=level)


def test_levels_in_any_reasonable_spelling(fitted):
    expected = fitted.predict(level=[80, 95])
    for level in (np.array([80, 95]), (80, 95), {95, 80}, [80, 95, 80], [np.float64(80), np.int64(95)]):
        pd.testing.assert_frame_equal(fitted.predict(level=level), expected)
    assert list(fitted.predict(level=80).columns) == ["unique_id", "ds", "LSTM", "LSTM-lo-80", "LSTM-hi-80"]


@pytest.mark.parametrize("kwargs,message", [
    (dict(n_windows=10**9), r"too short for 1000000000 windows of h=3"),
    (dict(n_windows=2**70), r"n_windows=1180591620717411303424 must be a positive integer"),
    (dict(step_size=True), r"step_size=True must be a positive integer"),
    (dict(refit="yes"), r"refit='yes' must be True or False"),
    (dict(level=[150]), r"level=\[150\] must be percentages"),
])
def test_bad_backtest_arguments_are_refused_at_once(fitted, kwargs, message):
    start = time.perf_counter()
    with pytest.raises(SeriesValidationError, match=message):
        fitted.cross_validation(series(), **kwargs)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("path", [None, 1, b"model", ""])
def test_save_to_what_is_not_a_path(fitted, path):
    with pytest.raises(SeriesValidationError, match=r"path=.* must be a non-empty path"):
        fitted.save(path)


def test_predict_to_a_folder_is_refused_and_a_missing_folder_is_made(fitted, tmp_path):
    with pytest.raises(SeriesValidationError, match="exists and is not a regular file"):
        fitted.predict_to(tmp_path)
    written = fitted.predict_to(tmp_path / "missing" / "f.csv")
    assert len(pd.read_csv(written)) == len(fitted.predict())
    with pytest.raises(SeriesValidationError, match="chunk_size=True must be a positive integer"):
        fitted.predict_to(tmp_path / "f.csv", chunk_size=True)
    assert list(tmp_path.iterdir()) == [tmp_path / "missing"]


def test_set_params_with_an_unknown_name(fitted):
    with pytest.raises(SeriesValidationError, match="invalid parameter 'hiden_dim' for Forecaster"):
        fitted.set_params(hiden_dim=3)


@pytest.mark.parametrize("kwargs,message", [
    (dict(seed="x"), "seed='x' must be"), (dict(threads=10**6), "threads=1000000 must be"),
    (dict(grad_clip=float("nan")), "grad_clip=nan must be"), (dict(scaler="robust"), "scaler='robust' is not one of"),
    (dict(hidden_dim=10**6), r"hidden_dim=1000000, num_layers=1 need"), (dict(lr=float("inf")), "lr=inf must be"),
    (dict(batch_size=True), "batch_size=True must be"),
])
def test_series_predictor_bad_settings(kwargs, message):
    with pytest.raises(SeriesValidationError, match=message):
        SeriesPredictor(1, 4, steps=2, **kwargs).fit([[[1], [2], [3], [4]]], [[1, 2, 3, 4]])


@pytest.mark.parametrize("call,message", [
    (lambda: mae(["a", "b"], [1, 2]), "y must hold numbers"),
    (lambda: mae([], []), r"y must be a non-empty 1-D array"),
    (lambda: mae([[1, 2]], [[1, 2]]), r"y must be a non-empty 1-D array .* shape \(1, 2\)"),
    (lambda: smape([1, np.nan], [1, 2]), "y has the value nan at position 1"),
    (lambda: mae([1, 2], [1, np.inf]), "y_hat has the value inf at position 1"),
    (lambda: mase([1, 2], [1, 2], [1, 2, 3], season=0), "season=0 must be a positive integer"),
    (lambda: msis([1, 2], [0, 1], [2], [1, 2, 3]), r"y has shape \(2,\) but hi has \(1,\)"),
    (lambda: msis([1, 2], [0, 1], [2, 3], [1, 2, 3], alpha=0), "alpha=0 must be a number strictly between 0 and 1"),
    (lambda: owa(1.0, 1.0, 0.0, 1.0), "smape_naive2=0.0 must be a finite positive score"),
    (lambda: score_panel([], [], []), "actuals, forecasts and insamples hold 0, 0 and 0 series"),
    (lambda: score_panel([[1.0]], [[1.0], [2.0]], [[1.0, 2.0]]), "hold 1, 2 and 1 series"),
])
def test_metrics_refuse_what_they_cannot_score(call, message):
    with pytest.raises(SeriesValidationError, match=message):
        call()


def long_frame(ids, y=None, n=40):
    y = 10 + np.sin(np.arange(n) / 3) if y is None else y
    return pd.DataFrame({"unique_id": ids, "ds": pd.date_range("2000-01-01", periods=n, freq="D"), "y": y})


@pytest.mark.parametrize("data,message", [
    (long_frame([("a", 1)] * 40), r"the id column 'unique_id' holds tuple values like \('a', 1\) at row 0; ids are labels"),
    (long_frame(["a"] * 40, y=np.arange(40) + 1j), "the target column 'y' holds complex numbers; it needs real numbers"),
])
def test_data_the_api_cannot_forecast_is_refused(data, message):
    for model in (quick(), Naive()):
        with pytest.raises(SeriesValidationError, match=message):
            model.fit(data)


def test_period_index_and_an_id_time_multiindex_are_read():
    frame = long_frame(["a"] * 40)
    expected = Naive().fit(frame).predict(3)
    pd.testing.assert_frame_equal(Naive().fit(frame.set_index(["unique_id", "ds"])).predict(3), expected)
    monthly = pd.Series(np.arange(1.0, 41.0), index=pd.period_range("2000-01", periods=40, freq="M"))
    assert list(Naive().fit(monthly).predict(2)["ds"]) == list(pd.to_datetime(["2003-05-01", "2003-06-01"]))
    assert len(quick().fit(monthly).predict()) == 3


@pytest.mark.parametrize("baseline,call,message", [
    (SeasonalNaive(season=0), lambda m: m.fit(series()), r"season=0 must be a positive integer or None"),
    (SeasonalNaive(season=2.5), lambda m: m.fit(series()), r"season=2.5 must be"),
    (Naive(alias=""), lambda m: m.fit(series()), r"alias='' must be a non-empty column name, e.g. alias='Naive'"),
    (Naive(alias="ds"), lambda m: m.fit(series()).predict(3), r"alias='ds' is also the name of the time column"),
    (Naive(alias="y"), lambda m: cross_validation(m, series(), h=3, n_windows=1), r"alias='y' would overwrite the backtest's own column"),
    (Naive(), lambda m: m.fit(series()).predict(True), r"h=True must be a positive integer"),
    (Naive(), lambda m: m.fit(series()).predict(10**9), r"h=1000000000 must be a positive integer \(at most 100000\)"),
    (Drift(), lambda m: cross_validation(m, series(), h=3, n_windows=10**9), r"too short for 1000000000 windows"),
])
def test_baselines_refuse_bad_arguments(baseline, call, message):
    with pytest.raises(SeriesValidationError, match=message):
        call(baseline)


def test_naive2_on_a_seasonal_series_with_zeros_stays_finite():
    y = np.maximum(5 * np.sin(np.arange(48) * 2 * np.pi / 12), 0)  # seasonal, half of it zeros
    assert np.isfinite(Naive2(season=12).fit(y).predict(12)["Naive2"]).all()


def test_naive2_seasonality_test_on_values_near_the_float_limit():
    y = 1e299 * (2 + np.sin(np.arange(48) * 2 * np.pi / 12))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fc = Naive2(season=12).fit(y).predict(12)["Naive2"]
    np.testing.assert_allclose(fc, Naive2(season=12).fit(y / 1e299).predict(12)["Naive2"] * 1e299)


BOOK_X = [[[1], [2], [5], [6]], [[5], [7], [7], [8]], [[3], [4], [5], [7]]]
BOOK_Y = [[1, 3, 7, 11], [5, 12, 14, 15], [3, 7, 9, 12]]


@pytest.mark.parametrize("x,y,message", [
    (BOOK_X, [], r"y is empty \(shape \(0,\)\); pass at least one window, shaped \[batch, seq_size=4\]$"),
    (BOOK_X, [1, 2, 3], r"y must be 2-D, shaped \[batch, seq_size=4\]; got shape \(3,\): pass one row of targets per window"),
    ([[[1e308], [-1e308], [3], [4]]], [[1, 2, 3, 4]], r"x holds values too large for float64 arithmetic \(e\.g\. 1e\+308 at index \(0, 0, 0\)\)"),
    (np.array(BOOK_X) + 1j, BOOK_Y, "x holds complex numbers; it needs real numbers"),
    ([[[1], [2]], [[1], [2], [3], [4]]], BOOK_Y[:2], "x must be numbers shaped"),
])
def test_series_predictor_bad_windows(x, y, message):
    with pytest.raises(SeriesValidationError, match=message):
        SeriesPredictor(1, 4, steps=2, seed=0).fit(x, y)


def test_series_predictor_nan_at_predict_does_not_speak_of_fitting():
    fitted = SeriesPredictor(1, 4, steps=2, seed=0).fit(BOOK_X, BOOK_Y)
    with pytest.raises(SeriesValidationError, match=r"x holds 1 NaN or infinite value\(s\), the first at index \(0, 1, 0\) \(nan\); remove or fill them$"):
        fitted.predict([[[1], [np.nan], [3], [4]]])


@pytest.mark.parametrize("path", [None, 1, b"model"])
def test_load_from_what_is_not_a_path(path):
    for cls in (Forecaster, SeriesPredictor):
        with pytest.raises(SeriesValidationError, match=r"path=.* must be a non-empty path"):
            cls.load(path)


def test_resume_must_be_a_bool():
    with pytest.raises(SeriesValidationError, match="resume='yes' must be True or False"):
        quick().fit(series(), resume="yes")
