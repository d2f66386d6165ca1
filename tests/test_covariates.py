"""Covariates (issue #14): known-future, past-only and static columns, and calendar features, read
by real (tiny) LSTMs: they are used, never leak the future, survive a save, and bad input is
refused by name."""

import warnings

import numpy as np
import pandas as pd
import pytest

from seriespredictor import Forecaster
from seriespredictor.errors import SeriesValidationError

H = 6
NOISE = 0.1


def promotions(n_series=8, n=500, seed=0) -> pd.DataFrame:
    """The issue's synthetic panel: ``y`` rises by 3 on promotion days (a flag known ahead, at
    random times) and follows ``lead`` six steps later (past-only), under noise of sd 0.1."""
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(n_series):
        promo = (rng.random(n) < 0.15).astype(float)
        lead = rng.normal(size=n)
        y = 5 + 3 * promo + 1.5 * np.r_[np.zeros(H), lead[:-H]] + rng.normal(0, NOISE, n)
        frames.append(pd.DataFrame({"unique_id": f"s{s}", "ds": np.arange(n), "y": y, "promo": promo, "lead": lead}))
    return pd.concat(frames, ignore_index=True)


def shop(n_series=4, n=100, future=H, seed=1) -> pd.DataFrame:
    """Daily series with every kind of covariate: ``promo`` (known ahead; filled on the ``future``
    rows after each series' last target), ``temp`` (past-only), ``store`` (a category) and
    ``size`` (a number), both static."""
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(n_series):
        t = np.arange(n + future)
        promo = (rng.random(n + future) < 0.2).astype(float)
        temp = rng.normal(size=n + future)
        y = 10 + 2 * s + 3 * promo + np.sin(2 * np.pi * t / 7) + 0.5 * np.r_[0.0, temp[:-1]] + rng.normal(0, 0.1, n + future)
        y[n:], temp[n:] = np.nan, np.nan
        frames.append(pd.DataFrame({"unique_id": f"s{s}", "ds": pd.date_range("2024-01-01", periods=n + future, freq="D"), "y": y,
                                    "promo": promo, "temp": temp, "store": "ab"[s % 2], "size": 100.0 + 10 * s}))
    return pd.concat(frames, ignore_index=True)


ALL = dict(futr_exog=["promo"], hist_exog=["temp"], stat_exog=["store", "size"], calendar=True)


def small(**kw) -> Forecaster:
    return Forecaster(**{**dict(h=H, seq_size=14, hidden_dim=8, steps=40, batch_size=16, ensemble=1, seed=0), **kw})


@pytest.fixture(scope="module")
def fitted():
    """A tiny model with every kind of covariate, fitted on :func:`shop`."""
    return small(**ALL).fit(shop())


def history_and_future(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    future = frame["y"].isna()
    return frame[~future], frame.loc[future, ["unique_id", "ds", "promo"]]


# -- 1. the covariates are used ---------------------------------------------------------------------
def test_a_future_promotion_flag_and_a_leading_past_covariate_bring_the_error_to_the_noise_level():
    df = promotions()

    def errors(**covs):
        model = Forecaster(h=H, seq_size=12, hidden_dim=32, steps=500, lr=0.01, ensemble=1, seed=0, **covs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the columns a model without covariates leaves out
            cv = model.cross_validation(df, n_windows=10, step_size=H)
        cv = cv.merge(df[["unique_id", "ds", "promo"]], on=["unique_id", "ds"])
        error = (cv["y"] - cv["LSTM"]).abs()
        return error[cv["promo"] == 1].mean(), error[cv["promo"] == 0].mean()

    noise_mae = NOISE * np.sqrt(2 / np.pi)  # 0.08
    both = errors(futr_exog=["promo"], hist_exog=["lead"])  # measured: 0.21, 0.19
    promo_only = errors(futr_exog=["promo"])  # the lead's 1.5 * N(0, 1) left unexplained: about 1.2
    none = errors()  # measured: 2.7, 1.35
    assert both[0] < 5 * noise_mae and both[1] < 5 * noise_mae, both
    assert none[0] > 3 * both[0], (none, both)  # the "at least 3x lower" on promotion days
    assert promo_only[1] > 3 * both[1], (promo_only, both)  # the past-only covariate is read too
    assert none[0] > 2 * promo_only[0], (none, promo_only)  # and the flag alone already helps on promotion days


def test_the_recursive_head_learns_a_known_future_flag_to_the_noise_level():
    df = promotions()
    df["y"] -= 1.5 * df.groupby("unique_id")["lead"].shift(H).fillna(0.0)  # y = 5 + 3 * promo + noise: no past-only term
    model = Forecaster(h=H, seq_size=12, hidden_dim=32, steps=500, lr=0.01, ensemble=1, seed=0, head="recursive", futr_exog=["promo"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # lead, left out
        cv = model.cross_validation(df, n_windows=10, step_size=H).merge(df[["unique_id", "ds", "promo"]], on=["unique_id", "ds"])
    error = (cv["y"] - cv["LSTM"]).abs()
    assert error[cv["promo"] == 1].mean() < 3 * NOISE * np.sqrt(2 / np.pi)  # measured 0.098 (noise: 0.08; none: 2.7)


# -- 2. no future leak ------------------------------------------------------------------------------
def test_cross_validation_never_reads_the_target_or_past_only_values_after_a_cutoff():
    df = shop(n_series=3, n=90, future=0).drop(columns=["store", "size"])
    model = small(futr_exog=["promo"], hist_exog=["temp"], calendar=True)
    cv = model.cross_validation(df, n_windows=3, step_size=H)
    cutoffs = np.sort(cv["cutoff"].unique())
    changed = df.copy()
    after = changed["ds"] > cutoffs[1]
    changed.loc[after, ["y", "temp"]] *= 50  # the target and the past-only covariate after the second cutoff
    again = model.cross_validation(changed, n_windows=3, step_size=H)
    for cut in cutoffs[:2]:
        a, b = cv[cv["cutoff"] == cut], again[again["cutoff"] == cut]
        np.testing.assert_allclose(b["LSTM"].to_numpy(), a["LSTM"].to_numpy(), rtol=1e-6, err_msg=str(cut))
    last = cv["cutoff"] == cutoffs[2]
    assert not np.allclose(cv.loc[last, "LSTM"], again.loc[again["cutoff"] == cutoffs[2], "LSTM"], rtol=1e-3)  # a change it reads


# -- 3. consistency ---------------------------------------------------------------------------------
def test_predict_from_the_training_frame_is_predict(fitted):
    np.testing.assert_allclose(fitted.predict(data=shop())["LSTM"], fitted.predict()["LSTM"], rtol=1e-6)


def test_a_saved_model_forecasts_and_bands_as_the_fitted_one(fitted, tmp_path):
    loaded = Forecaster.load(fitted.save(tmp_path / "m"))
    before, after = fitted.predict(level=[80, 95]), loaded.predict(level=[80, 95])
    pd.testing.assert_frame_equal(after, before)
    pd.testing.assert_frame_equal(loaded.predict(data=shop(), level=[80]), fitted.predict(data=shop(), level=[80]))


def test_futr_df_gives_what_the_future_rows_of_the_data_give(fitted):
    frame = shop()
    history, future = history_and_future(frame)
    in_data = fitted.predict(data=frame)
    np.testing.assert_allclose(fitted.predict(data=history, futr_df=future)["LSTM"], in_data["LSTM"], rtol=1e-6)
    np.testing.assert_allclose(fitted.predict(futr_df=future)["LSTM"], fitted.predict()["LSTM"], rtol=1e-6)
    flipped = future.assign(promo=1 - future["promo"])
    assert not np.allclose(fitted.predict(futr_df=flipped)["LSTM"], in_data["LSTM"], rtol=1e-3)  # the values are read


def test_futr_df_duplicates_are_refused_and_what_it_does_not_use_is_reported(fitted):
    _, future = history_and_future(shop())
    with pytest.raises(SeriesValidationError, match=r"futr_df has 2 rows at the same time of one series, the first of series 's0'"):
        fitted.predict(futr_df=pd.concat([future.iloc[:1], future]))
    extra = pd.concat([future.assign(note="x"), future.iloc[:2].assign(unique_id="other", note="x")])
    with pytest.warns(UserWarning) as seen:
        fitted.predict(futr_df=extra)
    assert {str(w.message).split(" (")[0] for w in seen} == {"futr_df: ignored columns: note",
                                                             "futr_df: ignored rows of 1 series not forecast here, e.g. 'other'"}


def test_a_calendar_model_takes_a_frame_with_future_rows():
    frame = shop()[["unique_id", "ds", "y"]]  # the future rows: dates with the target empty
    model = small(calendar=True).fit(frame)
    pd.testing.assert_frame_equal(model.predict(), small(calendar=True).fit(frame.dropna()).predict())


def test_statics_in_a_table_of_their_own_as_neuralforecast_takes_them(fitted):
    frame = shop()
    statics = frame.groupby("unique_id", as_index=False)[["store", "size"]].first()
    own = small(**ALL).fit(frame.drop(columns=["store", "size"]), static_df=statics)
    pd.testing.assert_frame_equal(own.predict(), fitted.predict())
    pd.testing.assert_frame_equal(own.predict(data=frame.drop(columns=["store", "size"]), static_df=statics), fitted.predict())
    with pytest.raises(SeriesValidationError, match="static covariate 'store' is both a column of the data and of static_df="):
        small(**ALL).fit(frame, static_df=statics)
    with pytest.raises(SeriesValidationError, match="static_df= has 2 rows for series 's0'"):
        small(**ALL).fit(frame.drop(columns=["store", "size"]), static_df=pd.concat([statics, statics.iloc[:1]]))
    with pytest.raises(SeriesValidationError, match="static_df= holds static covariates, but this model takes none"):
        small().fit(frame.dropna(), static_df=statics)
    with pytest.raises(SeriesValidationError, match="series 's3' has no value of static covariate 'store'"):
        small(**ALL).fit(frame.drop(columns=["store", "size"]), static_df=statics.iloc[:3])


def test_future_rows_are_found_by_time_whatever_the_row_order(fitted):
    frame = shop()
    expected = fitted.predict(data=frame)
    for shuffled in (frame.sample(frac=1, random_state=0), frame.iloc[::-1], pd.concat([frame[frame["y"].isna()], frame.dropna()])):
        pd.testing.assert_frame_equal(fitted.predict(data=shuffled), expected)


def test_text_in_the_target_is_refused_not_taken_for_a_future_row(fitted):
    frame = shop()
    frame["y"] = frame["y"].astype(object)
    frame.loc[99, "y"] = "oops"  # s0's last observed target
    with pytest.raises(SeriesValidationError, match=r"the target column 'y' has 1 non-numeric value\(s\), the first 'oops'"):
        fitted.predict(data=frame)


def test_futr_df_times_are_read_in_the_series_zone_and_times_of_another_kind_refused():
    frame = shop(n_series=2)
    frame["ds"] = frame["ds"].dt.tz_localize("America/New_York")
    model = small(futr_exog=["promo"], calendar=["dayofweek"]).fit(frame[["unique_id", "ds", "y", "promo"]])
    _, future = history_and_future(frame)
    expected = model.predict(futr_df=future)
    pd.testing.assert_frame_equal(model.predict(futr_df=future.assign(ds=future["ds"].dt.tz_convert("UTC"))), expected)
    with pytest.raises(SeriesValidationError, match=r"futr_df's times are tz-naive timestamps, but the series' are timestamps in "
                                                    r"America/New_York \(the last 2024-04-09 00:00:00-04:00\)"):
        model.predict(futr_df=future.assign(ds=future["ds"].dt.tz_localize(None)))
    with pytest.raises(SeriesValidationError, match=r"futr_df's times are integers, but the series' are timestamps"):
        model.predict(futr_df=future.assign(ds=np.arange(len(future))))


def test_futr_df_of_integer_times():
    df = promotions(2, 80)
    last = df["ds"] >= 74
    model = small(futr_exog=["promo"]).fit(df.assign(y=df["y"].where(~last))[["unique_id", "ds", "y", "promo"]])
    expected = model.predict()
    pd.testing.assert_frame_equal(model.predict(futr_df=df.loc[last, ["unique_id", "ds", "promo"]]), expected)
    assert expected["ds"].tolist() == [74, 75, 76, 77, 78, 79] * 2


def test_a_new_series_is_scaled_by_its_own_history(fitted):
    one = shop().query("unique_id == 's1'")
    new = one.assign(unique_id="new", store="b")
    big = new.assign(unique_id="big", y=100 * new["y"], promo=100 * new["promo"], temp=100 * new["temp"])
    out = fitted.predict(data=pd.concat([new, big])).set_index("unique_id")
    assert np.isfinite(out["LSTM"]).all()
    np.testing.assert_allclose(out.loc["big", "LSTM"], 100 * out.loc["new", "LSTM"], rtol=1e-4)  # invariant to its units


@pytest.mark.parametrize("unit", [1e200, 1e-15])
def test_covariates_are_read_in_any_unit(unit, tmp_path):
    frame = shop()
    expected = small(**ALL).fit(frame).predict()
    model = small(**ALL).fit(frame.assign(temp=unit * frame["temp"], promo=unit * frame["promo"], size=unit * frame["size"]))
    np.testing.assert_allclose(model.predict()["LSTM"], expected["LSTM"], rtol=1e-4)  # standardised: the same inputs
    pd.testing.assert_frame_equal(Forecaster.load(model.save(tmp_path / "m")).predict(), model.predict())


def test_the_recursive_head_reads_known_future_values_and_the_calendar():
    frame = shop()
    model = small(head="recursive", futr_exog=["promo"], calendar=["dayofweek"]).fit(frame.drop(columns=["temp", "store", "size"]))
    out = model.predict()
    assert out.shape == (4 * H, 3) and np.isfinite(out["LSTM"]).all()
    _, future = history_and_future(frame)
    flipped = model.predict(futr_df=future.assign(promo=1 - future["promo"]))
    assert not np.allclose(flipped["LSTM"], out["LSTM"], rtol=1e-3)


def test_past_only_covariates_with_the_recursive_head_are_refused_by_name():
    with pytest.raises(SeriesValidationError, match=r"hist_exog=\['temp'\] needs head='direct'"):
        small(head="recursive", hist_exog=["temp"]).fit(shop())


def test_an_unseen_category_takes_code_0_and_still_forecasts(fitted):
    scaler = fitted.exog_scaler_
    assert scaler.categories == {"store": ["a", "b"]} and scaler.numeric == ["size"]
    codes = scaler.statics(pd.DataFrame({"store": ["b", "zz", "a"], "size": [100.0, 110.0, 120.0]}))
    assert codes[:, 1].tolist() == [2, 0, 1]
    frame = shop()
    seen = fitted.predict(data=frame)
    unseen = fitted.predict(data=frame.assign(store=frame["store"].replace("a", "zz")))
    assert np.isfinite(unseen["LSTM"]).all()
    a = frame.groupby("unique_id")["store"].first().eq("a").to_numpy().repeat(H)
    np.testing.assert_allclose(unseen["LSTM"][~a], seen["LSTM"][~a], rtol=1e-6)
    assert not np.allclose(unseen["LSTM"][a], seen["LSTM"][a], rtol=1e-4)  # the embedding of code 0, not of "a"


# -- 4. refusals by name ----------------------------------------------------------------------------
@pytest.mark.parametrize("settings, match", [
    (dict(futr_exog="promo"), r"futr_exog='promo' must be a list of distinct column names"),
    (dict(futr_exog=["promo", "promo"]), r"futr_exog=\['promo', 'promo'\] must be a list of distinct"),
    (dict(futr_exog=["y"]), r"futr_exog names 'y', which is the id, time or target column"),
    (dict(futr_exog=["promo"], hist_exog=["promo"]), r"column 'promo' is in both futr_exog and hist_exog"),
])
def test_bad_covariate_settings_are_refused_by_name(settings, match):
    with pytest.raises(SeriesValidationError, match=match):
        small(**settings).fit(shop())


def test_a_missing_covariate_column_is_named():
    with pytest.raises(SeriesValidationError, match=r"the data has no column 'price' \(named in futr_exog\)"):
        small(futr_exog=["price"]).fit(shop())


def test_missing_future_values_name_the_series_the_column_and_the_time(fitted):
    frame = shop()
    short = frame.drop(frame.index[(frame["unique_id"] == "s2") & (frame["ds"] >= "2024-04-13")])  # s2's last 2 future rows
    with pytest.raises(SeriesValidationError, match=r"series 's2' has no value of known-future covariate 'promo' from 2024-04-13"):
        fitted.predict(data=short)
    history, future = history_and_future(frame)
    with pytest.raises(SeriesValidationError, match=r"series 's3' has no value of known-future covariate 'promo' from 2024-04-10"):
        fitted.predict(futr_df=future[future["unique_id"] != "s3"])
    with pytest.raises(SeriesValidationError, match=r"series 's0' has no value of known-future covariate 'promo'"):
        fitted.predict(data=history)


def test_two_future_rows_at_one_time_are_refused_unless_aggregated(fitted):
    frame = shop()
    twice = pd.concat([frame, frame[frame["y"].isna()].iloc[[0]].assign(promo=7.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor a warning about the columns that the model reads
        with pytest.raises(SeriesValidationError, match=r"series 's0' has two future rows at 2024-04-10 00:00:00; keep one row per"):
            fitted.predict(data=twice)
    averaged = twice.groupby(["unique_id", "ds"], as_index=False).mean(numeric_only=True).merge(frame[["unique_id", "ds", "store"]])
    model = small(**ALL, steps=2, aggregate_duplicates="mean").fit(twice)
    pd.testing.assert_frame_equal(model.predict(data=twice), model.predict(data=averaged))


def test_a_missing_past_covariate_value_is_refused_by_name_unless_filled():
    frame = shop()
    frame.loc[10, "temp"] = np.nan
    with pytest.raises(SeriesValidationError, match=r"series 's0' has 1 missing value\(s\) of covariate 'temp', the first at 2024-01-11"):
        small(**ALL).fit(frame)
    model = small(**ALL, steps=2, fill_missing="ffill").fit(frame)
    assert model.exog_tail_.shape == (4, 14, 2 + 4) and np.isfinite(model.exog_tail_).all()  # temp, promo, 2 x (sin, cos)
    assert np.isfinite(model.predict()["LSTM"]).all()


def test_future_rows_with_a_gap_or_a_panel_without_covariates_are_refused(fitted):
    from seriespredictor.data import to_panel

    frame = shop()
    gap = frame.drop(frame.index[(frame["unique_id"] == "s1") & frame["y"].isna()][2])
    with pytest.raises(SeriesValidationError, match=r"series 's1' has a future row at 2024-04-15 00:00:00, off its frequency 'D'"):
        fitted.predict(data=gap)
    panel = to_panel(frame.dropna()[["unique_id", "ds", "y"]])
    with pytest.raises(SeriesValidationError, match=r"this model takes covariates, but the data was read without them"):
        small(**ALL).fit(panel)


def test_text_in_a_dynamic_covariate_is_refused_by_name():
    frame = shop()
    frame["promo"] = frame["promo"].astype(object)
    frame.loc[7, "promo"] = "yes"
    with pytest.raises(SeriesValidationError, match=r"covariate column 'promo' has 1 value\(s\) that are not finite numbers, the first 'yes'"):
        small(futr_exog=["promo"]).fit(frame.drop(columns=["temp", "store", "size"]))


def test_a_static_that_changes_within_a_series_is_refused_by_name():
    frame = shop(future=0)
    frame.loc[frame.index[5], "size"] = 1.0
    with pytest.raises(SeriesValidationError, match=r"series 's0' has 2 different values of static covariate 'size'"):
        small(stat_exog=["size"]).fit(frame[["unique_id", "ds", "y", "size"]])


def test_futr_df_to_a_model_without_known_future_covariates_is_refused():
    model = small(hist_exog=["temp"]).fit(shop().dropna(subset=["y"]).drop(columns=["promo", "store", "size"]))
    with pytest.raises(SeriesValidationError, match=r"futr_df= gives known-future covariates, but this model takes none"):
        model.predict(futr_df=history_and_future(shop())[1])


def test_calendar_features_of_integer_times_are_refused():
    with pytest.raises(SeriesValidationError, match=r"calendar=True: freq=1 is an integer time step, which carries no calendar"):
        small(calendar=True).fit(promotions(2, 60).drop(columns=["promo", "lead"]))


def test_update_and_onnx_export_refuse_a_covariate_model(fitted, tmp_path):
    with pytest.raises(SeriesValidationError, match=r"update continues models without covariates only"):
        fitted.update(shop())
    with pytest.raises(SeriesValidationError, match=r"export_onnx takes models without covariates"):
        fitted.export_onnx(tmp_path / "m.onnx")


def test_columns_not_named_are_reported_once():
    frame = shop().assign(note="x", other=1.0)
    with pytest.warns(UserWarning, match=r"ignored columns: temp, store, size, note, other") as caught:
        small(futr_exog=["promo"], steps=2).fit(frame)
    assert sum("ignored columns" in str(w.message) for w in caught) == 1


# -- 5. intervals -----------------------------------------------------------------------------------
def test_intervals_of_a_covariate_model_are_nested_and_finite(fitted):
    out = fitted.predict(level=[80, 95])
    values = out.drop(columns=["unique_id", "ds"]).to_numpy()
    assert np.isfinite(values).all()
    assert (out["LSTM-lo-95"] <= out["LSTM-lo-80"]).all() and (out["LSTM-lo-80"] <= out["LSTM"]).all()
    assert (out["LSTM"] <= out["LSTM-hi-80"]).all() and (out["LSTM-hi-80"] <= out["LSTM-hi-95"]).all()
    assert (out["LSTM-hi-95"] > out["LSTM-lo-95"]).all()


def test_futr_df_rows_may_come_in_any_order(fitted):
    future = history_and_future(shop())[1]
    np.testing.assert_allclose(fitted.predict(futr_df=future.iloc[::-1])["LSTM"], fitted.predict(futr_df=future)["LSTM"], rtol=1e-6)


def test_futr_df_without_an_id_column_is_the_one_series_of_a_model_fitted_without_one():
    frame = shop(n_series=1).drop(columns=["unique_id", "temp", "store", "size"])
    model = small(futr_exog=["promo"], steps=5).fit(frame)
    future = frame.loc[frame["y"].isna(), ["ds", "promo"]]
    np.testing.assert_allclose(model.predict(futr_df=future)["LSTM"], model.predict()["LSTM"], rtol=1e-6)


def test_an_infinite_static_is_refused_by_name():
    frame = shop(n_series=2, future=0)
    with pytest.raises(SeriesValidationError, match="series 's1' has static covariate 'size' = inf"):
        small(stat_exog=["size"]).fit(frame.assign(size=frame["size"].replace(110.0, np.inf)))


def test_text_in_a_static_that_was_a_number_at_fit_is_refused_by_name(fitted):
    frame = shop()
    with pytest.raises(SeriesValidationError, match="static covariate 'size' was a number at fit, but here has 'large'"):
        fitted.predict(data=frame.assign(unique_id="new" + frame["unique_id"], size="large"))


def test_covariates_near_the_float64_limit_are_scaled_without_overflow():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"unique_id": "a", "ds": np.arange(80), "y": rng.normal(size=80), "x": rng.choice([-1e308, 1e308], 80)})
    assert np.isfinite(small(hist_exog=["x"]).fit(frame).predict()["LSTM"]).all()


def test_holidays_are_checked_against_the_datas_own_calendar_features():
    daily = shop()[["unique_id", "ds", "y"]].dropna()
    with pytest.raises(SeriesValidationError, match=r"calendar=\['dayofweek', 'dayofyear', 'holiday'\]"):  # daily defaults, no hour
        small(calendar=True, holidays=["2024-01-05"]).fit(daily)
    with pytest.raises(SeriesValidationError, match="holidays=.* needs calendar= with 'holiday'"):
        small(holidays=["2024-01-05"]).fit(daily)
    model = small(calendar=["dayofweek", "holiday"], holidays=["2024-01-05"]).fit(daily)
    assert model.exog_["calendar"] == ["dayofweek", "holiday"]


def test_a_column_of_times_as_a_covariate_is_refused_by_name():
    frame = shop().assign(when=lambda f: f["ds"])
    with pytest.raises(SeriesValidationError, match=r"covariate column 'when' holds times \(datetime64"):
        small(hist_exog=["when"]).fit(frame.dropna(subset=["y"]))


def test_rows_ahead_are_left_out_with_a_note_by_a_model_that_reads_none():
    frame = shop()
    with pytest.warns(UserWarning, match="ignored 24 rows after the last observed target of their series"):
        model = small(stat_exog=["store", "size"]).fit(frame.drop(columns=["promo", "temp"]))
    assert len(model.predict()) == 4 * H
