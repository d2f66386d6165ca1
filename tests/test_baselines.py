import numpy as np
import pandas as pd
import pytest

from seriespredictor import Drift, Forecaster, Mean, Naive, Naive2, NotFittedError, SeasonalNaive, SeriesValidationError
from seriespredictor.baselines import is_seasonal, seasonal_indices
from test_metrics import read_m4


def monthly(n=36):
    t = np.arange(n)
    return pd.Series(100 + t + 10 * np.sin(2 * np.pi * t / 12), index=pd.date_range("2020-01", periods=n, freq="MS"), name="s")


def test_each_baseline_against_a_hand_oracle():
    s = monthly()
    y = s.to_numpy()
    assert Naive().fit(s).predict(3)["Naive"].tolist() == [y[-1]] * 3
    assert SeasonalNaive().fit(s).predict(14)["SeasonalNaive"].tolist() == list(y[-12:]) + list(y[-12:-10])
    slope = (y[-1] - y[0]) / (len(y) - 1)
    np.testing.assert_allclose(Drift().fit(s).predict(2)["Drift"], [y[-1] + slope, y[-1] + 2 * slope])
    np.testing.assert_allclose(Mean().fit(s).predict(2)["Mean"], [y.mean()] * 2)


@pytest.mark.parametrize("model", [Naive(), SeasonalNaive(), Drift(), Mean(), Naive2(), Forecaster(ensemble=1, refit=False, h=3, steps=5, seed=0)])
@pytest.mark.filterwarnings("ignore:80% intervals need")  # one series calibrates the LSTM on 3 errors
def test_one_contract_for_every_model(model):
    s = monthly()
    assert type(model)(**model.get_params()).get_params() == model.get_params()
    out = model.fit(s).predict(3)
    assert list(out.columns) == ["unique_id", "ds", model.alias]
    assert out["ds"].tolist() == list(pd.date_range("2023-01", periods=3, freq="MS"))
    assert np.isfinite(out[model.alias]).all()
    a = model.alias
    cv = model.cross_validation(s, h=3, n_windows=2, level=None if a == "Naive2" else [80])
    bounds = [] if a == "Naive2" else [f"{a}-lo-80", f"{a}-hi-80"]
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "y", a, *bounds] and len(cv) == 6
    if bounds:
        assert list(model.predict(3, level=[80]).columns) == ["unique_id", "ds", a, *bounds]
        assert (cv[bounds[0]] < cv[a]).all() and (cv[a] < cv[bounds[1]]).all()


@pytest.mark.parametrize("model", [Naive(), Naive2(), Forecaster(h=3)])
def test_predict_before_fit(model):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.predict(3)


def test_seasonality_test_and_indices():
    rng = np.random.default_rng(0)
    seasonal = 100 + 10 * np.sin(2 * np.pi * np.arange(60) / 12) + rng.normal(0, 1, 60)
    assert is_seasonal(seasonal, 12)
    assert not is_seasonal(100 + rng.normal(0, 1, 60), 12)
    assert not is_seasonal(seasonal[:30], 12)  # fewer than 3 seasons
    si = seasonal_indices(seasonal, 12)
    assert si.mean() == pytest.approx(1.0) and si.shape == (12,)
    assert np.argmax(si) == 3  # the sine peaks at position 3 of 12


def test_naive2_matches_the_m4_organisers_forecasts(shared_data):
    d = shared_data / "m4_hourly"
    train, ref = read_m4(d / "Hourly-train.csv"), read_m4(d / "reference_forecasts" / "Naive2-Hourly.csv")
    ids = list(train)[:120]
    long = pd.DataFrame({"unique_id": np.repeat(ids, [len(train[i]) for i in ids]),
                         "ds": np.concatenate([np.arange(len(train[i])) for i in ids]), "y": np.concatenate([train[i] for i in ids])})
    fc = Naive2(season=24).fit(long, freq=1).predict(48)
    worst = max(np.abs(g["Naive2"].to_numpy() - ref[i]).max() for i, g in fc.groupby("unique_id"))
    assert worst < 1e-3  # the reference file is rounded


Z80, Z95 = 1.2815515655446004, 1.959963984540054  # standard normal quantiles 0.9 and 0.975


def test_interval_closed_forms_against_a_hand_computation():
    y = np.array([3.0, 5, 4, 8, 6, 9, 7, 12, 10, 11])
    T, k = len(y), np.arange(1, 6)
    d, d4 = np.diff(y), y[4:] - y[:-4]
    naive = np.sqrt(np.mean(d**2)) * np.sqrt(k)
    seasonal = np.sqrt(np.mean(d4**2)) * np.sqrt([1, 1, 1, 1, 2])  # floor((k - 1) / 4) + 1
    slope = (y[-1] - y[0]) / (T - 1)
    drift = np.sqrt(np.sum((d - slope) ** 2) / (T - 2)) * np.sqrt(k * (1 + k / (T - 1)))
    mean = np.full(5, np.std(y, ddof=1) * np.sqrt(1 + 1 / T))
    for model, point, sd in [(Naive(), np.full(5, 11.0), naive), (SeasonalNaive(4), np.r_[y[-4:], y[-4]], seasonal),
                             (Drift(), y[-1] + slope * k, drift), (Mean(), np.full(5, y.mean()), mean)]:
        fc = model.fit(y).predict(5, level=[80, 95])
        a = model.alias
        np.testing.assert_allclose(fc[a], point, rtol=1e-12)
        np.testing.assert_allclose(fc[f"{a}-hi-80"] - fc[a], Z80 * sd, rtol=1e-9, err_msg=a)
        np.testing.assert_allclose(fc[a] - fc[f"{a}-lo-95"], Z95 * sd, rtol=1e-9, err_msg=a)


def test_each_series_gets_its_own_spread_whatever_the_levels_of_the_others():
    rng = np.random.default_rng(0)
    walks = {"huge": 1e9 + np.cumsum(rng.normal(0, 1, 50)), "tiny": 1e-3 * (1 + np.cumsum(rng.normal(0, 1e-3, 50)))}
    long = pd.DataFrame({"unique_id": np.repeat(list(walks), 50), "ds": np.tile(np.arange(50), 2), "y": np.concatenate(list(walks.values()))})
    fc = Mean().fit(long, freq=1).predict(1, level=[95]).set_index("unique_id")
    for sid, y in walks.items():  # sums of squares about the level would lose the huge series' spread to rounding
        assert fc.loc[sid, "Mean-hi-95"] - fc.loc[sid, "Mean"] == pytest.approx(Z95 * np.std(y, ddof=1) * np.sqrt(1 + 1 / 50), rel=1e-6)
    fc = Naive().fit(long, freq=1).predict(1, level=[95]).set_index("unique_id")
    for sid, y in walks.items():
        assert fc.loc[sid, "Naive-hi-95"] - fc.loc[sid, "Naive"] == pytest.approx(Z95 * np.sqrt(np.mean(np.diff(y) ** 2)), rel=1e-6)


@pytest.mark.parametrize("model,make", [
    (Naive(), lambda e: np.cumsum(e, axis=1)),
    (SeasonalNaive(4), lambda e: np.concatenate([np.cumsum(e[:, k::4], axis=1)[:, :, None] for k in range(4)], axis=2).reshape(len(e), -1)),
    (Drift(), lambda e: np.cumsum(0.5 + e, axis=1)),
    (Mean(), lambda e: 10 + e),
])
def test_intervals_cover_as_nominal_on_the_process_each_assumes(model, make):
    """Random walks (with drift), seasonal random walks and white noise: 300 series, 3 windows of 8 steps."""
    e = np.random.default_rng(1).normal(0, 1, (300, 96))
    y = make(e)
    long = pd.DataFrame({"unique_id": np.repeat(np.arange(300), 96), "ds": np.tile(np.arange(96), 300), "y": y.ravel()})
    cv = model.cross_validation(long, h=8, n_windows=3, level=[80, 95], freq=1)
    for lv in (80, 95):
        inside = ((cv.y >= cv[f"{model.alias}-lo-{lv}"]) & (cv.y <= cv[f"{model.alias}-hi-{lv}"])).mean() * 100
        assert abs(inside - lv) < 3, (lv, inside)


@pytest.mark.parametrize("cls", [Naive, SeasonalNaive, Drift, Mean, Naive2])
def test_params_round_trip_through_the_constructor(cls):
    model = cls(season=7, alias="mine")
    assert model.get_params() == {"season": 7, "alias": "mine"}
    assert cls(**model.get_params()).get_params() == model.get_params()
    assert cls().get_params() == {"season": None, "alias": cls.alias}
    assert model.set_params(season=3) is model and model.season == 3
    with pytest.raises(SeriesValidationError, match=r"invalid parameter 'h' for " + cls.__name__):
        model.set_params(h=3)


@pytest.mark.parametrize("model", [Naive(), SeasonalNaive(), Drift(), Mean(), Naive2()])
def test_cross_validation_equals_a_fit_and_predict_at_each_cutoff(model):
    data = pd.concat([monthly(40).to_frame("y").rename_axis("ds").reset_index().assign(unique_id="a"),
                      (monthly(31) * 2).to_frame("y").rename_axis("ds").reset_index().assign(unique_id="b")])
    level = [80] if model.alias != "Naive2" else None
    cv = model.cross_validation(data, h=4, n_windows=3, step_size=2, level=level)
    for (sid, cutoff), got in cv.groupby(["unique_id", "cutoff"]):
        history = data[(data.unique_id == sid) & (data.ds <= cutoff)]
        expected = type(model)().fit(history).predict(4, level=level)
        np.testing.assert_allclose(got.drop(columns=["cutoff", "y"]).iloc[:, 2:].to_numpy(), expected.iloc[:, 2:].to_numpy(), rtol=1e-10)
        assert list(got["ds"]) == list(expected["ds"])
    assert len(cv) == 2 * 3 * 4 and cv.attrs["interval_warnings"] == {}


def test_a_model_without_intervals_refuses_a_level_by_name():
    with pytest.raises(SeriesValidationError, match=r"^level=\[90\] needs intervals, but Naive2 gives point forecasts only; use Naive"):
        Naive2().fit(monthly()).predict(3, level=[90])
    with pytest.raises(SeriesValidationError, match="but Naive2 gives point forecasts only"):
        Naive2().cross_validation(monthly(), h=3, level=90)


def test_reading_options_name_the_output_columns():
    frame = monthly().rename("sales").rename_axis("month").reset_index().assign(store="s1")
    options = dict(id_col="store", time_col="month", target_col="sales")
    assert list(Naive().fit(frame, **options).predict(2).columns) == ["store", "month", "Naive"]
    cv = Naive().cross_validation(frame, h=2, n_windows=2, **options)
    assert list(cv.columns) == ["store", "month", "cutoff", "y", "Naive"] and cv["store"].eq("s1").all()


def test_a_history_shorter_than_the_season_takes_the_naive_forecast():
    two = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2020-01-01", periods=2, freq="QS"), "y": [3.0, 5.0]})
    fc = SeasonalNaive(season=4).fit(two, freq="QS").predict(2, level=[80])
    assert fc["SeasonalNaive"].tolist() == [5.0, 5.0]
