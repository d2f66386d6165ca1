import warnings

import numpy as np
import pandas as pd
import pytest

from seriespredictor import Forecaster, Naive, Naive2, SeasonalNaive, SeriesValidationError
from seriespredictor.backtest import cross_validation, evaluate
from seriespredictor.data import to_panel


def panel(n=96, ids=("a", "b"), seed=0):
    """Daily cycles with a phase of their own per series, and noise (the same for a given seed)."""
    t = np.arange(n)
    frames = []
    for k, sid in enumerate(ids):
        rng = np.random.default_rng([seed, k])
        phase, noise = rng.uniform(0, 2 * np.pi), rng.normal(0, 0.5, 1000)[:n]
        frames.append(pd.DataFrame({"unique_id": sid, "ds": pd.date_range("2024-01-01", periods=n, freq="h"),
                                    "y": 40 + 10 * k + 5 * np.sin(2 * np.pi * t / 24 + phase) + noise}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def model():
    return Forecaster(ensemble=1, refit=False, h=6, seq_size=24, hidden_dim=8, steps=60, val_size=6, seed=0).fit(panel())


def test_cutoffs_and_timestamps_match_a_plain_loop(model):
    data = panel()
    cv = model.cross_validation(data, h=6, n_windows=3, step_size=4)
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "y", "LSTM"]
    rows = []
    for sid, g in data.groupby("unique_id"):
        ds, y = g["ds"].to_numpy(), g["y"].to_numpy()
        for w in range(3):
            c = len(g) - 6 - (2 - w) * 4  # points of history
            for k in range(6):
                rows.append((sid, ds[c + k], ds[c - 1], y[c + k]))
    oracle = pd.DataFrame(rows, columns=["unique_id", "ds", "cutoff", "y"])
    pd.testing.assert_frame_equal(cv[["unique_id", "ds", "cutoff", "y"]], oracle, check_dtype=False)


def test_a_copy_is_fitted_before_the_first_cutoff_and_forecasts_every_window_from_its_history(model):
    data = panel()
    cv = model.cross_validation(data, h=6, n_windows=2)
    # Oracle: a model with the same settings fitted on the points before the first cutoff, its
    # predict() from the end of that history, then from the history cut at the last cutoff.
    before = Forecaster(**model.get_params()).fit(data.groupby("unique_id").head(96 - 12))
    first = cv[cv.cutoff == cv.cutoff.min()]
    np.testing.assert_allclose(first["LSTM"].to_numpy(), before.predict()["LSTM"].to_numpy(), rtol=1e-6)
    before.tail_ = np.stack([g["y"].to_numpy()[-6 - 24 : -6] for _, g in data.groupby("unique_id")])
    np.testing.assert_allclose(cv[cv.cutoff == cv.cutoff.max()]["LSTM"].to_numpy(), before.predict()["LSTM"].to_numpy(), rtol=1e-6)
    assert not np.allclose(first["LSTM"], model.forecast_windows(to_panel(data), np.array([[84], [84]]), 6)["LSTM"].ravel())


@pytest.mark.parametrize("refit", [False, True])
def test_no_data_after_a_cutoff_reaches_its_forecast(model, refit):
    data = panel()
    base = model.cross_validation(data, h=6, n_windows=2, refit=refit)
    poisoned = data.copy()
    first_cutoff = base.cutoff.min()
    poisoned.loc[poisoned.ds > first_cutoff, "y"] *= 50  # everything after the first cutoff
    again = model.cross_validation(poisoned, h=6, n_windows=2, refit=refit)
    first = base.cutoff == first_cutoff
    np.testing.assert_array_equal(again[first]["LSTM"].to_numpy(), base[first]["LSTM"].to_numpy())
    assert not np.allclose(again[~first]["LSTM"], base[~first]["LSTM"])  # later windows do see it


def test_baselines_run_through_the_same_function():
    data = panel()
    cv = cross_validation(SeasonalNaive(), data, h=6, n_windows=2)
    a = data[data.unique_id == "a"]["y"].to_numpy()
    first = cv[(cv.unique_id == "a") & (cv.cutoff == cv.cutoff.min())]["SeasonalNaive"].to_numpy()
    np.testing.assert_array_equal(first, a[96 - 12 - 24 : 96 - 12 - 24 + 6])


def test_intervals_are_nested_and_ordered(model):
    fc = model.predict(level=[80, 95])
    assert list(fc.columns) == ["unique_id", "ds", "LSTM", "LSTM-lo-80", "LSTM-hi-80", "LSTM-lo-95", "LSTM-hi-95"]
    assert (fc["LSTM-lo-95"] <= fc["LSTM-lo-80"]).all() and (fc["LSTM-lo-80"] <= fc["LSTM"]).all()
    assert (fc["LSTM"] <= fc["LSTM-hi-80"]).all() and (fc["LSTM-hi-80"] <= fc["LSTM-hi-95"]).all()
    cv = model.cross_validation(panel(), n_windows=2, level=[95])
    assert {"LSTM-lo-95", "LSTM-hi-95"} <= set(cv.columns)


@pytest.mark.parametrize("refit", [False, True])
def test_a_backtest_flags_levels_calibrated_on_too_few_errors(model, refit):
    with pytest.warns(RuntimeWarning, match="95% intervals need at least 19"):
        cv = model.cross_validation(panel(), n_windows=2, level=[80, 95], refit=refit)
    assert list(cv.attrs["interval_warnings"]) == ["95"]  # 2 series, 6 errors each: enough for 80% only
    assert model.cross_validation(panel(), n_windows=2, level=[80], refit=refit).attrs["interval_warnings"] == {}


def test_conformal_widths_follow_the_residuals_in_units_of_each_series_spread(model):
    r = np.abs(model.calibration_.errors) / model.calibration_.spread[:, None, None]
    assert r.shape == (2, 1, 6)  # val_size = h: one calibration window per series
    # 12 errors, too few for 95%: the widest interval they give holds every one of them
    with pytest.warns(RuntimeWarning, match="95% intervals need at least 19 held-out errors but there are 12"):
        widths = model.calibration_.widths(95, 6)
    np.testing.assert_allclose(widths / model.calibration_.spread[:, None], np.repeat(widths[:1] / model.calibration_.spread[0], 2, axis=0))
    assert (r[:, 0] <= widths / model.calibration_.spread[:, None] + 1e-12).all() and (np.diff(widths) >= 0).all()
    with pytest.warns(RuntimeWarning):
        longer = model.calibration_.widths(95, 12)
    np.testing.assert_allclose(longer[:, 6:], widths[:, -1:] * np.sqrt(np.arange(7, 13) / 6))


def test_spread_is_the_mean_seasonal_change_in_model_space(model):
    data = panel()
    a = data[data.unique_id == "a"]["y"].to_numpy()[:-6]  # the training part
    z = (np.log(a) - model.scaler_.shift[0]) / model.scaler_.scale[0]
    assert model.calibration_.spread[0] == pytest.approx(np.mean(np.abs(z[24:] - z[:-24])))


def test_intervals_cover_on_many_series():
    m = Forecaster(ensemble=1, refit=False, h=6, seq_size=24, hidden_dim=8, steps=100, seed=0)
    cv = m.cross_validation(panel(132, ids=[f"s{i}" for i in range(40)], seed=1), n_windows=2, level=[90])  # trained on the first 120 points
    inside = ((cv.y >= cv["LSTM-lo-90"]) & (cv.y <= cv["LSTM-hi-90"])).mean()
    assert 0.8 <= inside <= 0.98


def test_errors_name_the_problem(model):
    with pytest.raises(SeriesValidationError, match=r"^2 series are too short for 20 windows of h=6 every 6 steps: they need 121 points \(one "
                       r"before the first cutoff\), e.g. \[\('a', 96\), \('b', 96\)\]; use a smaller h=, fewer windows or a smaller step_size=, or drop"):
        model.cross_validation(panel(), n_windows=20)
    with pytest.raises(SeriesValidationError, match=r"^2 series are too short for 1 window of h=96: they need 97 points .*; use a smaller h=, or drop those series$"):
        model.cross_validation(panel(), h=96)
    with pytest.raises(SeriesValidationError, match=r"^fitting on the history before cutoff 1 of 2, at most 10 points \('a'; fewer windows "
                                                    r"or a smaller step leave more\): no series has more than h=43 points"):
        model.cross_validation(panel(), h=43, n_windows=2)  # 96 - 2 * 43 = 10 points before the first cutoff: each series holds them
    with pytest.raises(SeriesValidationError, match="n_windows=0 must be a positive integer"):
        model.cross_validation(panel(), n_windows=0)
    with pytest.raises(SeriesValidationError, match=r"^series 'zz' has 3 points, but the model reads the last \d+ of a series it was not fitted on"):
        model.forecast_windows(to_panel(panel(ids=("a", "zz"))), np.array([[90], [3]]), 6)
    with pytest.raises(SeriesValidationError, match="but Naive2 gives point forecasts only"):
        cross_validation(Naive2(), panel(), h=6, n_windows=1, level=[90])
    with pytest.raises(SeriesValidationError, match="fitted with val_size=0"):
        Forecaster(ensemble=1, refit=False, h=6, seq_size=24, steps=1, val_size=0).fit(panel()).predict(level=[90])


def test_quantile_head_learns_bounds_that_cover(tmp_path):
    data = panel(120, ids=[f"s{i}" for i in range(20)], seed=2)
    m = Forecaster(ensemble=1, refit=False, h=6, seq_size=24, hidden_dim=16, steps=400, seed=0, intervals="quantile", quantile_levels=(80,)).fit(data)
    assert m.nets_[0].head.out_features == 6 * 3  # median, lower, upper
    fc = m.predict(level=[80])
    assert (fc["LSTM-lo-80"] <= fc["LSTM"]).all() and (fc["LSTM"] <= fc["LSTM-hi-80"]).all()
    later = to_panel(panel(132, ids=[f"s{i}" for i in range(20)], seed=2))
    cv = m.forecast_windows(later, np.array([[120, 126]] * 20), 6, level=[80])  # the 12 points after the training data
    actual = np.stack([later.series(i)[120:] for i in range(20)]).reshape(20, 2, 6)
    inside = ((actual >= cv["LSTM-lo-80"]) & (actual <= cv["LSTM-hi-80"])).mean()
    assert 0.6 <= inside <= 0.97
    m.save(tmp_path / "q")
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "q").predict(level=[80]), fc)
    with pytest.raises(SeriesValidationError, match=r"level=\[95\] was not learned: .* quantile_levels=\[80\]"):
        m.predict(level=[95])
    with pytest.raises(SeriesValidationError, match="quantile intervals reach h=6"):
        m.predict(h=12, level=[80])
    with pytest.raises(SeriesValidationError, match="intervals='quantile' needs head='direct'"):
        Forecaster(h=6, head="recursive", intervals="quantile").fit(data)


def test_refit_fits_a_copy_before_each_cutoff_and_leaves_the_model_as_it_was():
    data = panel()
    model = Forecaster(ensemble=1, refit=False, h=3, seq_size=12, hidden_dim=4, steps=3, val_size=3, seed=0)
    cv = model.cross_validation(data, h=6, n_windows=2, step_size=5, refit=True)
    assert not hasattr(model, "nets_") and model.h == 3  # the copies were trained for the backtest's h
    for w, cut in enumerate((85, 90)):
        fresh = Forecaster(**{**model.get_params(), "h": 6}).fit(data.groupby("unique_id").head(cut))
        got = cv[cv.cutoff == sorted(cv.cutoff.unique())[w]]["LSTM"].to_numpy()
        np.testing.assert_allclose(got, fresh.predict()["LSTM"].to_numpy(), rtol=1e-6)


class Last:
    """The smallest model of the protocol: the value before each cutoff, with a fixed interval."""

    alias = "Last"

    def get_params(self):
        return {}

    def fit(self, data):
        self.fitted_on_ = to_panel(data).lengths
        return self

    def forecast_windows(self, panel, cuts, h, level=None):
        last = panel.values[panel.offsets[:-1, None] + cuts - 1][:, :, None].repeat(h, 2)
        return {"Last": last, **{f"Last-{side}-{lv}": last + sign for lv in level for side, sign in (("lo", -1), ("hi", 1))}}

    def interval_warnings(self, level=None):
        return {f"{lv}": "made up" for lv in level}


def test_any_model_of_the_protocol_is_backtested_and_scored_like_the_baselines():
    data = panel()
    cv = cross_validation(Last(), data, h=6, n_windows=2, level=[80])
    naive = cross_validation(Naive(), data, h=6, n_windows=2, level=[80])
    np.testing.assert_array_equal(cv["Last"], naive["Naive"])
    assert cv.attrs["interval_warnings"] == {"80": "made up"}
    cv[["Naive", "Naive-lo-80", "Naive-hi-80"]] = naive[["Naive", "Naive-lo-80", "Naive-hi-80"]]
    table = evaluate(cv, to_panel(data), ["Last", "Naive"], 24, level=[80, 95])
    for alias in ("Last", "Naive"):
        inside = ((cv.y >= cv[f"{alias}-lo-80"]) & (cv.y <= cv[f"{alias}-hi-80"])).mean() * 100
        assert table.loc[alias, "coverage-80"] == pytest.approx(inside)
    assert table.loc["Last", "MASE"] == table.loc["Naive", "MASE"] and table["coverage-95"].isna().all()  # no 95% bounds in the frame


def test_histories_shorter_than_the_input_window_are_padded_as_in_training_and_predict():
    data = panel(20)
    model = Forecaster(ensemble=1, refit=False, h=3, seq_size=24, hidden_dim=4, steps=3, val_size=0, seed=0)
    cv = model.cross_validation(data, n_windows=2)  # cutoffs after 14 and 17 points
    fitted = Forecaster(**model.get_params()).fit(data.groupby("unique_id").head(14))
    first = cv[cv.cutoff == cv.cutoff.min()]["LSTM"].to_numpy()
    np.testing.assert_allclose(first, fitted.predict()["LSTM"].to_numpy(), rtol=1e-6)


def test_a_metric_undefined_in_every_window_is_nan_without_a_numpy_warning():
    flat = pd.DataFrame({"unique_id": "c", "ds": np.arange(30), "y": 5.0})  # MASE of a constant: 0 / 0
    cv = cross_validation(Naive(), flat, h=4, n_windows=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = evaluate(cv, to_panel(flat), ["Naive"], season=1)
    assert [str(w.message) for w in caught if not str(w.message).startswith("MASE is undefined")] == []  # no "Mean of empty slice"
    assert np.isnan(table.loc["Naive", "MASE"]) and table.loc["Naive", "MAE"] == 0
