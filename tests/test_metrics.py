import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from utilsforecast import losses as uf

from seriespredictor.metrics import mae, mape, mase, msis, owa, rmse, score_panel, smape


def read_m4(path):
    frame = pd.read_csv(path)
    return {row[0]: np.array([v for v in row[1:] if not pd.isna(v)], dtype=float) for row in frame.itertuples(index=False)}


def test_hand_computed_values():
    y, f = np.array([1.0, 2, 4]), np.array([2.0, 2, 2])
    assert mae(y, f) == pytest.approx(1.0)
    assert rmse(y, f) == pytest.approx(np.sqrt(5 / 3))
    assert mape(y, f) == pytest.approx(100 * (1 + 0 + 0.5) / 3)
    assert smape(y, f) == pytest.approx((200 / 3 + 0 + 200 * 2 / 6) / 3)
    assert mase(y, f, insample=[1.0, 3, 2, 6], season=2) == pytest.approx(1.0 / 2.0)
    assert owa(9.0, 1.0, 18.0, 2.0) == pytest.approx(0.5)


def test_agrees_with_utilsforecast():
    rng = np.random.default_rng(0)
    ids = np.repeat(["a", "b", "c"], 6)
    df = pd.DataFrame({"unique_id": ids, "ds": np.tile(np.arange(6), 3), "y": rng.uniform(1, 10, 18), "m": rng.uniform(1, 10, 18)})
    train = pd.DataFrame({"unique_id": np.repeat(["a", "b", "c"], 30), "ds": np.tile(np.arange(-30, 0), 3), "y": rng.uniform(1, 10, 90)})
    groups = {k: g for k, g in df.groupby("unique_id")}
    tgroups = {k: g for k, g in train.groupby("unique_id")}
    for ours, theirs, factor in [(mae, uf.mae, 1), (rmse, uf.rmse, 1), (mape, uf.mape, 100), (smape, uf.smape, 200)]:
        ref = theirs(df, ["m"]).set_index("unique_id")["m"]
        for k, g in groups.items():
            assert ours(g["y"], g["m"]) == pytest.approx(factor * ref[k])
    ref = uf.mase(df, ["m"], seasonality=5, train_df=train).set_index("unique_id")["m"]
    for k, g in groups.items():
        assert mase(g["y"], g["m"], tgroups[k]["y"], 5) == pytest.approx(ref[k])


@pytest.mark.parametrize("method,smape_ref,mase_ref", [("Naive2", 18.383, 2.395), ("sNaive", 13.912, 1.193), ("Naive", 43.003, 11.608), ("SES", 18.094, 2.385)])
def test_reproduces_the_m4_organisers_hourly_figures(shared_data, method, smape_ref, mase_ref):
    d = shared_data / "m4_hourly"
    train, test = read_m4(d / "Hourly-train.csv"), read_m4(d / "Hourly-test.csv")
    ref = read_m4(d / "reference_forecasts" / f"{method}-Hourly.csv")
    ids = list(train)
    scores = score_panel([test[i] for i in ids], [ref[i] for i in ids], [train[i] for i in ids], season=24)
    assert round(scores["smape"], 3) == smape_ref
    assert round(scores["mase"], 3) == mase_ref


def test_zero_denominators_warn_instead_of_failing():
    with pytest.warns(RuntimeWarning, match="MAPE skipped 1 zero"):
        assert mape([0.0, 2.0], [1.0, 1.0]) == pytest.approx(50.0)
    with pytest.warns(RuntimeWarning, match="MASE is undefined"):
        assert np.isnan(mase([1.0], [2.0], insample=[3.0, 3.0, 3.0]))
    assert smape([0.0, 0.0], [0.0, 0.0]) == 0.0


def test_msis_penalises_misses():
    insample = np.arange(10.0)
    assert msis([5.0], [4.0], [6.0], insample) == pytest.approx(2.0)
    assert msis([8.0], [4.0], [6.0], insample) == pytest.approx(2.0 + 40 * 2.0)


def test_shape_mismatch():
    with pytest.raises(ValueError, match=r"y has shape \(2,\) but y_hat has \(3,\)"):
        mae([1, 2], [1, 2, 3])


vals = arrays(np.float64, st.integers(1, 30), elements=st.floats(0.1, 1e4))


@given(y=vals, scale=st.floats(0.01, 100))
@settings(max_examples=50, deadline=None)
def test_properties(y, scale):
    assert mae(y, y) == 0 and smape(y, y) == 0
    f = y[::-1].copy()
    assert 0 <= smape(y, f) <= 200
    insample = np.concatenate([y, y + 1.0])
    assert mase(y * scale, f * scale, insample * scale, 1) == pytest.approx(mase(y, f, insample, 1), rel=1e-9)


def test_mase_scale_skips_missing_insample_pairs():
    # pairs 2 apart: (1, 2) and (5, 8) are present, (NaN, 5) and (2, NaN) are skipped -> scale (1 + 3) / 2
    insample = [1.0, np.nan, 2.0, 5.0, np.nan, 8.0]
    assert mase([4.0], [2.0], insample, season=2) == pytest.approx(2.0 / 2.0)
    with pytest.warns(RuntimeWarning, match="two present in-sample values season=1 apart; got 3 values, 1 of them missing"):
        assert np.isnan(mase([1.0], [2.0], [1.0, np.nan, 3.0], season=1))
    with pytest.raises(ValueError, match="y has the value nan at position 0"):
        mase([np.nan], [2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="insample has the value inf at position 1"):
        mase([1.0], [2.0], [1.0, np.inf])


def test_values_near_the_float_limit_score_as_the_same_values_scaled_down():
    y, f, x = np.array([1.0, 1.5, 1.7]), np.array([1.2, 1.4, 1.6]), np.array([0.1, 1.0, 1.7, 1.1])
    big = 1e308
    assert mae(y * big, f * big) == pytest.approx(mae(y, f) * big) and rmse(y * big, f * big) == pytest.approx(rmse(y, f) * big)
    assert smape(y * big, f * big) == pytest.approx(smape(y, f))
    assert mase(y * big, f * big, x * big) == pytest.approx(mase(y, f, x))  # was 0: an infinite scale
    assert msis(y * big, f * big * 0.9, f * big * 1.05, x * big) == pytest.approx(msis(y, f * 0.9, f * 1.05, x))
    assert mape(-y * big, f * big) == pytest.approx(mape(-y, f))
