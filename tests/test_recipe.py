import numpy as np
import pandas as pd
import pytest
import torch

from seriespredictor import Forecaster, runtime, settings
from seriespredictor.errors import SeriesValidationError
from seriespredictor.recipe import CHOSEN, choose


def params(**given):
    return dict({k: None for k in CHOSEN}, h=given.pop("h", 6), head="direct", log=given.pop("log", "auto"), **given)


def test_hourly_panels_get_the_m4_recipe():
    p = choose(params(h=48), np.full(414, 900), season=24)
    assert {k: p[k] for k in ("seq_size", "patch_size", "seasonal_base", "loss", "lr", "lr_schedule", "batch_size",
                              "hidden_dim", "steps", "eval_every", "ensemble", "val_size", "refit")} == dict(
        seq_size=168, patch_size=24, seasonal_base=True, loss="mae", lr=3e-3, lr_schedule="cosine", batch_size=256,
        hidden_dim=128, steps=6000, eval_every=100, ensemble=5, val_size=48, refit=False)


def test_explicit_settings_win():
    given = dict(seq_size=30, patch_size=5, seasonal_base=False, loss="mse", lr=1e-3, steps=7, ensemble=2, val_size=0, refit=True)
    p = choose(params(h=48, **given), np.full(414, 900), season=24)
    assert {k: p[k] for k in given} == given


def test_batches_steps_and_width_grow_with_the_windows():
    small, large = (choose(params(h=12), np.full(n, 200), season=12) for n in (1, 2000))
    assert (small["batch_size"], small["hidden_dim"], small["steps"]) == (32, 64, 1500)
    assert (large["batch_size"], large["hidden_dim"]) == (256, 128) and large["steps"] > small["steps"]
    assert small["refit"] and not large["refit"]  # a cheap fit trains again on every point


def test_few_series_hold_out_more_points_for_calibration():
    one, many = (choose(params(h=12), np.full(n, 144), season=12)["val_size"] for n in (1, 500))
    assert many == 12 and 12 < one <= 144 // 4


def test_short_yearly_series_get_an_input_they_have():
    lengths = np.random.default_rng(0).integers(9, 21, size=100)  # yearly: 9 to 20 points
    p = choose(params(h=6), lengths, season=1)
    assert p["patch_size"] == 1 and not p["seasonal_base"] and 1 <= p["seq_size"] <= 12


def test_only_seasonal_models_take_logs():
    assert choose(params(h=48), np.full(414, 900), season=24)["log"] == "auto"
    assert choose(params(h=6), np.full(100, 15), season=1)["log"] is False
    with pytest.warns(UserWarning, match=r"season=4 is longer than a typical series holds after its last 16 points \(held out, then the "
                                         r"horizon\): 2 of 18; the recipe models no season"):
        assert choose(params(h=8), np.full(100, 18), season=4)["log"] is False  # too short to model the season
    assert choose(params(h=6, log=True), np.full(100, 15), season=1)["log"] is True  # explicit settings win


def test_yearly_fits_without_logs_and_a_seasonal_one_with_them():
    rng = np.random.default_rng(3)
    trend = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 30), "ds": np.tile(np.arange(30), 2),
                          "y": 100 + np.cumsum(rng.normal(2, 1, 60))})
    assert not Forecaster(h=4, season=1, steps=2, ensemble=1, seed=0).fit(trend).scaler_.log.any()
    assert Forecaster(h=4, season=4, steps=2, ensemble=1, seed=0).fit(trend).scaler_.log.all()


def test_a_yearly_panel_of_9_to_20_points_fits_with_nothing_set():
    rng = np.random.default_rng(1)
    frames = [pd.DataFrame({"unique_id": f"s{i}", "ds": np.arange(n), "y": 100 + np.cumsum(rng.normal(1, 3, n))})
              for i, n in enumerate(rng.integers(9, 21, size=30))]
    model = Forecaster(h=6, steps=30, ensemble=1, seed=0).fit(pd.concat(frames))
    fc = model.predict(level=[95])
    assert len(fc) == 30 * 6 and np.isfinite(fc.drop(columns=["unique_id", "ds"]).to_numpy()).all()
    assert model.params_["refit"] and len(model.history_) == 2  # validated, then trained again on every point
    assert model.history_[1].steps_run == (model.history_[0].best_step or 30)


def test_the_time_budget_ends_training_with_the_best_weights():
    rng = np.random.default_rng(2)
    data = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 400), "ds": np.tile(np.arange(400), 2),
                         "y": rng.normal(size=800).cumsum()})
    with pytest.warns(RuntimeWarning, match=r"time_budget=1 s ran out: the networks trained \d+ to \d+ of their 1000000 steps"):
        model = Forecaster(h=8, steps=10**6, ensemble=2, refit=False, eval_every=10, time_budget=1.0, seed=0).fit(data)
    assert sum(r.seconds for r in model.history_) < 3
    assert all(r.steps_run < 10**6 for r in model.history_)
    for r in model.history_:  # the kept weights are those of the best validation score, the last step scored too
        steps, losses = zip(*r.val_losses)
        assert steps[-1] == r.steps_run and r.best_step == steps[int(np.argmin(losses))]


@pytest.mark.parametrize("budget", [0, -1, float("nan"), "10"])
def test_a_bad_time_budget_is_refused(budget):
    from seriespredictor.errors import SeriesValidationError

    with pytest.raises(SeriesValidationError, match="time_budget"):
        Forecaster(h=4, time_budget=budget).fit(pd.Series(np.arange(50.0)))


def test_precision_auto_takes_bf16_only_for_large_networks_on_native_hardware(monkeypatch):
    import seriespredictor.settings as settings

    def precision(**given):
        return settings.resolve(Forecaster(h=4, **given).get_params(), np.full(3, 80), 1)["precision"]

    monkeypatch.setattr(settings, "native_bf16", lambda device: True)
    assert (precision(), precision(hidden_dim=128)) == ("fp32", "bf16")
    monkeypatch.setattr(settings, "native_bf16", lambda device: False)
    assert (precision(hidden_dim=128), precision(hidden_dim=128, precision="bf16")) == ("fp32", "bf16")
    if runtime.bf16_lstm_runs(torch.device("cpu")):
        data = pd.Series(np.sin(np.arange(80.0)) + 5)
        assert Forecaster(h=4, steps=2, ensemble=1, precision="bf16", seed=0).fit(data).params_["precision"] == "bf16"


def test_bf16_is_never_chosen_where_the_lstm_cannot_run_in_it(monkeypatch, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags\t: fpu avx2 avx512_bf16 amx_bf16\n")
    monkeypatch.setattr(runtime, "bf16_lstm_runs", lambda device: False)  # an AVX2-only CPU: oneDNN has no bf16 LSTM
    assert not runtime.native_bf16(torch.device("cpu"), cpuinfo=str(cpuinfo))
    monkeypatch.setattr(runtime, "bf16_lstm_runs", lambda device: True)
    assert runtime.native_bf16(torch.device("cpu"), cpuinfo=str(cpuinfo))
    monkeypatch.setattr(settings, "bf16_lstm_runs", lambda device: False)
    with pytest.raises(SeriesValidationError, match="precision='bf16' but this CPU cannot run the LSTM in bfloat16"):
        Forecaster(h=4, precision="bf16").fit(pd.Series(np.sin(np.arange(80.0)) + 5))


def test_nonseasonal_data_take_two_to_six_horizons_of_input_and_the_drift_as_base():
    yearly = choose(params(h=6), np.full(181, 15), season=1)
    assert yearly["seq_size"] == 12 and yearly["drift_base"] and not yearly["seasonal_base"]  # short: two horizons, padded
    assert choose(params(h=6), np.full(181, 40), season=1)["seq_size"] == 28  # what a typical series holds after h held out twice
    prices = choose(params(h=10), np.array([1490]), season=1)  # one long series
    assert prices["seq_size"] == 60 and prices["drift_base"]  # six horizons at most
    monthly = choose(params(h=18), np.full(600, 120), season=12)
    assert monthly["seasonal_base"] and not monthly["drift_base"]
    assert not choose(dict(params(h=6), head="recursive"), np.full(10, 30), season=1)["drift_base"]
    assert not choose(params(h=6, drift_base=False), np.full(10, 30), season=1)["drift_base"]  # explicit settings win
