import numpy as np
import pandas as pd
import pytest

from seriespredictor import Drift, Forecaster, Mean, Naive, Naive2, NotFittedError, SeasonalNaive
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
def test_one_contract_for_every_model(model):
    s = monthly()
    out = model.fit(s).predict(3)
    assert list(out.columns) == ["unique_id", "ds", model.alias]
    assert out["ds"].tolist() == list(pd.date_range("2023-01", periods=3, freq="MS"))
    assert np.isfinite(out[model.alias]).all()


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
    model = Naive2(season=24)
    model.season_ = 24
    worst = max(np.abs(model.forecast(train[i], 48) - ref[i]).max() for i in list(train)[:120])
    assert worst < 1e-3  # the reference file is rounded
