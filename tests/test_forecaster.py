import re
import copy

import numpy as np
import pandas as pd
import pytest
import torch

from seriespredictor import Forecaster, SeriesValidationError, load_airline_passengers, network
from seriespredictor.metrics import mase


def panel(n=120, ids=("a", "b")):
    t = np.arange(n)
    frames = [
        pd.DataFrame({"unique_id": sid, "ds": pd.date_range("2024-01-01", periods=n, freq="h"),
                      "y": (k + 1) * 50 + (k + 1) * 10 * np.sin(2 * np.pi * t / 24) + 0.1 * t})
        for k, sid in enumerate(ids)
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def direct():
    return Forecaster(ensemble=1, refit=False, h=6, seq_size=24, hidden_dim=16, steps=300, val_size=6, seed=0).fit(panel())


@pytest.fixture(scope="module")
def recursive():
    return Forecaster(ensemble=1, refit=False, h=6, seq_size=24, hidden_dim=16, steps=300, val_size=6, head="recursive", seed=0).fit(panel())


def test_predict_continues_each_series(direct):
    out = direct.predict()
    assert list(out.columns) == ["unique_id", "ds", "LSTM"]
    assert out["unique_id"].tolist() == ["a"] * 6 + ["b"] * 6
    assert out["ds"].iloc[0] == pd.Timestamp("2024-01-01") + pd.Timedelta(hours=120)
    assert (out.groupby("unique_id")["ds"].diff().dropna() == pd.Timedelta(hours=1)).all()


def test_both_heads_learn_and_agree(direct, recursive):
    full = panel(126).groupby("unique_id")["y"].apply(lambda s: s.to_numpy())
    for model in (direct, recursive):
        fc = model.predict()
        for sid in ("a", "b"):
            truth = full[sid][-6:]
            err = np.abs(fc[fc.unique_id == sid]["LSTM"].to_numpy() - truth).mean()
            naive = np.abs(full[sid][-7] - truth).mean()
            assert err < 0.5 * naive, (model.head, sid, err, naive)
    gap = np.abs(direct.predict()["LSTM"] - recursive.predict()["LSTM"]).mean()
    assert gap < 0.25 * panel()["y"].std()


@pytest.mark.parametrize("name", ["direct", "recursive"])
def test_any_horizon(name, request):
    model = request.getfixturevalue(name)
    long = model.predict(15)
    assert len(long) == 30
    short = model.predict(6)
    np.testing.assert_allclose(long.groupby("unique_id").head(6)["LSTM"], short["LSTM"], rtol=1e-6)


def test_scaling_uses_the_training_part_only():
    data = panel()
    m1 = Forecaster(h=6, seq_size=24, hidden_dim=8, steps=2, ensemble=1, seed=0).fit(data)
    held = m1.val_size_  # more than h: few series calibrate on windows rolling over more points
    changed = data.copy()
    last = changed.groupby("unique_id").tail(held).index  # the held-out points
    changed.loc[last, "y"] *= 100
    m2 = Forecaster(h=6, seq_size=24, hidden_dim=8, steps=2, ensemble=1, seed=0).fit(changed)
    np.testing.assert_array_equal(m1.scaler_.shift, m2.scaler_.shift)
    np.testing.assert_array_equal(m1.scaler_.scale, m2.scaler_.scale)
    a = data[data.unique_id == "a"]["y"].to_numpy()[:-held]
    assert m1.scaler_.shift[0] == pytest.approx(np.log(a).mean())


def test_validation_keeps_the_best_weights(direct):
    assert direct.val_size_ == 6
    steps, losses = zip(*direct.history_[0].val_losses)
    assert direct.history_[0].best_step == steps[int(np.argmin(losses))]


def test_same_seed_same_forecast_different_seed_differs():
    kw = dict(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=20)
    a = Forecaster(seed=1, **kw).fit(panel(60)).predict()
    b = Forecaster(seed=1, **kw).fit(panel(60)).predict()
    c = Forecaster(seed=2, **kw).fit(panel(60)).predict()
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["LSTM"], c["LSTM"])
    drawn = Forecaster(seed=None, **kw).fit(panel(60))  # a fresh seed, saved with the fit: it can be repeated
    again = Forecaster(seed=drawn.params_["seed"], **kw).fit(panel(60))
    assert type(drawn.params_["seed"]) is int and drawn.seed is None
    pd.testing.assert_frame_equal(drawn.predict(), again.predict())


def test_nonpositive_series_are_not_logged():
    data = panel()
    data.loc[data.unique_id == "b", "y"] -= 1000
    m = Forecaster(ensemble=1, refit=False, h=6, seq_size=24, hidden_dim=8, steps=5, seed=0).fit(data)
    assert m.scaler_.log.tolist() == [True, False]
    assert np.isfinite(m.predict()["LSTM"]).all()
    with pytest.raises(SeriesValidationError, match="log=True needs positive values, but series 'b'"):
        Forecaster(ensemble=1, refit=False, h=6, seq_size=24, steps=1, log=True).fit(data)


def test_constant_series_forecasts_the_constant():
    s = pd.Series(np.full(60, 7.0))
    fc = Forecaster(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=200, seed=0).fit(s).predict()
    np.testing.assert_array_equal(fc["LSTM"], 7.0)  # a constant in, the constant out


@pytest.mark.parametrize("value", [0.0, 5.0, -3.0])
def test_a_new_constant_series_is_forecast_at_its_value_inside_its_intervals(value):
    # the networks never saw it: their output on its all-zero window is some offset, which must not reach the forecast
    model = Forecaster(ensemble=1, h=6, seq_size=24, hidden_dim=8, steps=20, seed=0).fit(panel(ids=("a", "b")))
    fc = model.predict(data=pd.DataFrame({"unique_id": "new", "ds": pd.date_range("2024-01-01", periods=48, freq="h"),
                                          "y": np.full(48, value)}), level=[80, 95])
    np.testing.assert_array_equal(fc["LSTM"], value)
    assert (fc["LSTM-lo-95"] < value).all() and (fc["LSTM-hi-95"] > value).all()


def test_short_series_are_padded_and_forecast_not_refused():
    # "tiny" has fewer points than seq_size + h: its windows repeat its first point before it
    data = pd.concat([panel(), panel(20, ids=("tiny",))])
    model = Forecaster(ensemble=1, refit=False, h=6, seq_size=24, hidden_dim=8, steps=5, val_size=6, seed=0).fit(data)
    fc = model.predict(level=[80])
    assert np.isfinite(fc[fc.unique_id == "tiny"]["LSTM"]).all() and len(fc[fc.unique_id == "tiny"]) == 6
    assert (model.tail_[2, :4] == data[data.unique_id == "tiny"]["y"].iloc[0]).all()  # 20 points padded to 24
    assert 2 in model.calibration_.rows  # 20 points hold out val_size = 6 and keep h + 1


def test_series_too_short_to_hold_out_points_train_on_all_of_them():
    data = pd.concat([panel(), panel(8, ids=("tiny",))])  # 8 points: fewer than val_size + h + 1
    model = Forecaster(ensemble=1, refit=False, h=6, seq_size=24, hidden_dim=8, steps=5, val_size=6, seed=0).fit(data)
    assert list(model.calibration_.rows) == [0, 1]
    assert np.isfinite(model.predict(level=[80])["LSTM-hi-80"]).all()


def test_no_series_longer_than_h_is_refused_by_name():
    with pytest.raises(SeriesValidationError, match=r"no series has more than h=6 points \(the longest, 'a', has 5\)"):
        Forecaster(h=6, steps=1).fit(panel(5))


@pytest.mark.parametrize("kwargs,message", [
    (dict(h=0), "h=0 must be a positive integer"),
    (dict(h=3, head="sideways"), "head='sideways' is not one of"),
    (dict(h=3, seq_size=-2), "seq_size=-2 must be a positive integer or None"),
    (dict(h=3, log="maybe"), "log='maybe' is not one of"),
    (dict(h=3, val_size=-1), "val_size=-1 must be"),
    (dict(h=3, micro_batch_size=0), "micro_batch_size=0 must be a positive integer or None"),
    (dict(h=3, micro_batch_size=7), r"micro_batch_size=7 must divide the windows each process takes per step \(32\)"),
])
def test_bad_settings(kwargs, message):
    with pytest.raises(SeriesValidationError, match=message):
        Forecaster(**kwargs).fit(panel())


def test_save_load_round_trip(direct, tmp_path):
    direct.save(tmp_path / "m")
    loaded = Forecaster.load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.predict(), direct.predict())
    pd.testing.assert_frame_equal(loaded.predict(9), direct.predict(9))


def test_integer_time_and_ids_round_trip(tmp_path):
    df = pd.DataFrame({"unique_id": np.repeat([3, 4], 40), "ds": np.tile(np.arange(0, 80, 2), 2), "y": np.tile(np.sin(np.arange(40.0)) + 5, 2)})
    m = Forecaster(ensemble=1, refit=False, h=3, seq_size=8, hidden_dim=8, steps=10, seed=0).fit(df)
    assert m.predict()["ds"].tolist()[:3] == [80, 82, 84]
    m.save(tmp_path / "m")
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "m").predict(), m.predict())


def test_airline_default_beats_seasonal_naive():
    s = load_airline_passengers()
    train, test = s.iloc[:-12], s.to_numpy()[-12:]
    fc = Forecaster(h=12, seed=0).fit(train).predict()["LSTM"].to_numpy()
    assert mase(test, fc, train.to_numpy(), 12) < 1.0  # seasonal naive scores 1.571; benchmarks/ holds the real figure


def test_patches_and_seasonal_base_learn_a_daily_pattern():
    data = panel(24 * 12)
    model = Forecaster(ensemble=1, refit=False, h=24, seq_size=72, patch_size=24, seasonal_base=True, hidden_dim=16, steps=200, seed=0).fit(data)
    assert model.nets_[0].config.patch_size == 24 and model.nets_[0].lstm.input_size == 24
    full = panel(24 * 13).groupby("unique_id")["y"].apply(lambda s: s.to_numpy())
    fc = model.predict()
    for sid in ("a", "b"):
        truth = full[sid][-24:]
        err = np.abs(fc[fc.unique_id == sid]["LSTM"].to_numpy() - truth).mean()
        assert err < 0.5 * np.abs(full[sid][-25] - truth).mean()  # far better than naive


def test_seasonal_base_alone_starts_from_seasonal_naive():
    # With the head's weights at zero the forecast is exactly the last season, repeated.
    data = panel(24 * 6)
    model = Forecaster(ensemble=1, refit=False, h=30, seq_size=48, patch_size=24, seasonal_base=True, hidden_dim=4, steps=1, seed=0, val_size=0).fit(data)
    torch.nn.init.zeros_(model.nets_[0].head.weight)
    torch.nn.init.zeros_(model.nets_[0].head.bias)
    fc = model.predict()
    last = data[data.unique_id == "a"]["y"].to_numpy()[-24:]
    np.testing.assert_allclose(fc[fc.unique_id == "a"]["LSTM"].to_numpy(), np.r_[last, last[:6]], rtol=1e-5)


@pytest.mark.parametrize("kwargs,message", [
    (dict(h=6, seq_size=30, patch_size=24), "seq_size=30 must be a multiple of patch_size=24; use seq_size=24"),
    (dict(h=6, seq_size=24, patch_size=24, head="recursive"), "work with head='direct' only"),
    (dict(h=6, seq_size=12, seasonal_base=True), r"seasonal_base needs seq_size >= season \(24\)"),
    (dict(h=6, dropout=1.5), r"dropout=1.5 must be a number in \[0, 0.999\]"),
    (dict(h=6, drift_base=True, head="recursive"), "patch_size, seasonal_base and drift_base work with head='direct' only"),
    (dict(h=6, drift_base=True, seasonal_base=True), "seasonal_base and drift_base are two bases for one forecast; set one of them"),
    (dict(h=6, seq_size=1, drift_base=True), r"drift_base needs seq_size >= 2 \(a slope\); got seq_size=1"),
])
def test_bad_patch_settings(kwargs, message):
    with pytest.raises(SeriesValidationError, match=message):
        Forecaster(ensemble=1, refit=False, steps=1, **kwargs).fit(panel())


def test_ensemble_averages_its_members_and_round_trips(tmp_path):
    kw = dict(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=20)
    ens = Forecaster(seed=5, **dict(kw, ensemble=2)).fit(panel(60))
    members = [Forecaster(seed=s, **kw).fit(panel(60)) for s in (5, 5 + 10_007)]
    rows = np.arange(2)
    z = torch.as_tensor(ens.scaler_.at(rows).transform(ens.tail_), dtype=torch.float32)
    with torch.no_grad():
        mean_z = torch.stack([network.forecast(m.nets_[0], m.nets_[0].config, z, 4) for m in members]).mean(0)
    np.testing.assert_allclose(ens.predict()["LSTM"], ens.scaler_.at(rows).inverse(mean_z.double().numpy()).ravel(), rtol=1e-6)
    assert len(ens.history_) == 2
    ens.save(tmp_path / "m")
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "m").predict(), ens.predict())


def test_same_seed_in_two_processes_gives_identical_forecasts(tmp_path):
    from conftest import run_python

    panel(60).to_csv(tmp_path / "d.csv", index=False)
    code = ("import sys; from seriespredictor import Forecaster;"
            "Forecaster(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=30, seed=int(sys.argv[2])).fit(sys.argv[1])"
            ".predict().to_csv(sys.argv[3], index=False)")
    for name, seed in (("a", 4), ("b", 4), ("c", 5)):
        r = run_python("-c", code, str(tmp_path / "d.csv"), str(seed), str(tmp_path / f"{name}.csv"))
        assert r.returncode == 0, r.stderr
    a, b, c = (pd.read_csv(tmp_path / f"{n}.csv") for n in "abc")
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["LSTM"], c["LSTM"])


@pytest.mark.parametrize("precision,dtype", [("bf16", torch.bfloat16), ("fp32", torch.float32)])
def test_bf16_autocast_trains_and_forecasts(precision, dtype):
    from seriespredictor.model import LSTMNetwork
    from seriespredictor.runtime import bf16_lstm_runs

    if precision == "bf16" and not bf16_lstm_runs(torch.device("cpu")):  # an AVX2-only CPU: refused before any work, by name
        with pytest.raises(SeriesValidationError, match="precision='bf16' but this CPU cannot run the LSTM in bfloat16"):
            Forecaster(h=4, precision="bf16").fit(panel(60))
        return

    trained_in = []  # the output dtype of every training forward pass

    def hook(module, args, out):
        if isinstance(module, LSTMNetwork) and module.training:
            trained_in.append(out[0].dtype)

    handle = torch.nn.modules.module.register_module_forward_hook(hook)
    try:
        model = Forecaster(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=20, seed=0, precision=precision).fit(panel(60))
    finally:
        handle.remove()
    assert trained_in == [dtype] * 20  # every step ran under autocast (bf16), or none did (fp32)
    assert np.isfinite(model.predict()["LSTM"]).all()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on machines without a GPU")
def test_cuda_without_a_gpu_is_refused_clearly():
    with pytest.raises(SeriesValidationError, match="device='cuda' but no CUDA GPU is available here"):
        Forecaster(h=4, device="cuda").fit(panel(60))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_model_trained_on_the_gpu_loads_and_predicts_on_the_cpu(tmp_path):
    gpu = Forecaster(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=20, seed=0, device="cuda").fit(panel(60))
    gpu.save(tmp_path / "m")
    cpu = Forecaster.load(tmp_path / "m")
    assert next(cpu.nets_[0].parameters()).device.type == "cpu"
    np.testing.assert_allclose(cpu.predict()["LSTM"], gpu.predict()["LSTM"], rtol=1e-4)


def test_micro_batches_train_like_the_whole_batch():
    whole = Forecaster(ensemble=1, refit=False, h=6, seq_size=24, hidden_dim=16, steps=60, seed=0).fit(panel())
    parts = Forecaster(ensemble=1, refit=False, h=6, seq_size=24, hidden_dim=16, steps=60, seed=0, micro_batch_size=8).fit(panel())
    np.testing.assert_allclose(parts.predict()["LSTM"], whole.predict()["LSTM"], rtol=1e-4)


def test_log_is_decided_on_every_value_of_a_series(tmp_path):
    data = panel()
    data.loc[data.index[data.unique_id == "b"][-3:], "y"] = [5.0, 0.0, -2.0]  # positive in training, not at its end
    m = Forecaster(ensemble=1, refit=False, h=6, seq_size=24, hidden_dim=8, steps=5, seed=0).fit(data)
    assert m.scaler_.log.tolist() == [True, False]
    assert np.isfinite(m.predict(level=[80])[["LSTM", "LSTM-lo-80", "LSTM-hi-80"]].to_numpy()).all()
    assert all(np.isfinite(v) for _, v in m.history_[0].val_losses)
    m.save(tmp_path / "m")  # no NaN reaches the JSON settings
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "m").predict(), m.predict())


def test_nn5_with_missing_days_forecasts_every_series(shared_data):
    df = pd.read_csv(shared_data / "nn5" / "nn5_long.csv").groupby("unique_id").head(735)
    fc = Forecaster(ensemble=1, refit=False, h=56, freq="D", fill_missing="interpolate", hidden_dim=8, steps=5, seed=0).fit(df).predict()
    assert fc["unique_id"].nunique() == 111 and np.isfinite(fc["LSTM"]).all()  # NN5-056 and -086 were NaN


def test_a_non_finite_forecast_fails_and_names_the_series(direct):
    broken = copy.deepcopy(direct)
    with torch.no_grad():
        broken.nets_[0].head.bias[2] = float("nan")
    with pytest.raises(SeriesValidationError, match=r"series 'a': the forecast 'LSTM' is nan: it cannot be represented"):
        broken.predict()


@pytest.mark.parametrize("values", [
    pytest.param(lambda t, rng: 1e300 * np.sin(t / 3) + 1e299 * rng.standard_normal(len(t)), id="1e300-both-signs"),
    pytest.param(lambda t, rng: -1e-300 * (2 + np.sin(t / 3) + 0.1 * rng.standard_normal(len(t))), id="tiny-negative"),
    pytest.param(lambda t, rng: np.full(len(t), -3e300), id="huge-constant"),
    pytest.param(lambda t, rng: 1e12 + rng.standard_normal(len(t)), id="offset-1e12-plus-noise"),
    pytest.param(lambda t, rng: 1e20 + 2e5 * np.sin(t / 3) + 3e3 * t, id="offset-1e20-moves-of-1e5"),  # a few ulps per move
])
def test_extreme_magnitudes_forecast_in_their_own_units(values):
    t = np.arange(60.0)
    y = values(t, np.random.default_rng(0))
    fc = Forecaster(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=30, seed=0).fit(pd.Series(y)).predict()["LSTM"].to_numpy()
    assert np.isfinite(fc).all()
    slack = y.max() - y.min() + 1e-3 * np.abs(y).max()  # a constant's forecast is within a thousandth
    assert (fc >= y.min() - slack).all() and (fc <= y.max() + slack).all()


def test_values_beyond_what_float64_can_forecast_are_refused_not_capped():
    y = pd.Series(1e307 * (2 + np.sin(np.arange(60.0) / 3)))
    m = Forecaster(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=5, seed=0).fit(y)
    with torch.no_grad():
        m.nets_[0].head.bias[:] = 1e3  # a forecast of about e^(log(1e307) + 1e3 * scale): beyond float64
    with pytest.raises(SeriesValidationError, match=r"series 'series': the forecast 'LSTM' is inf: it cannot be represented"):
        m.predict()
    jump = pd.Series(np.r_[np.full(56, -1.0), -1e300, np.full(3, -1.0)])  # a constant, then a value far from it
    with pytest.raises(SeriesValidationError, match=r"series 'series' cannot be scaled: its value -1e\+300 at position 56"):
        Forecaster(ensemble=1, refit=False, h=4, seq_size=12, steps=1).fit(jump)


def test_settings_changed_after_fit_change_only_the_next_fit(tmp_path):
    model = Forecaster(ensemble=1, refit=False, h=6, seq_size=24, patch_size=2, hidden_dim=8, steps=5, seed=0, intervals="quantile", quantile_levels=(80,)).fit(panel())
    before = model.predict(level=[80])
    model.set_params(h=3, head="recursive", patch_size=4, seasonal_base=True, intervals="conformal", quantile_levels=(50,),
                     alias="Other", id_col="series", time_col="when")
    pd.testing.assert_frame_equal(model.predict(level=[80]), before)
    model.save(tmp_path / "m")
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "m").predict(level=[80]), before)
    data = panel().rename(columns={"unique_id": "series", "ds": "when"})
    refit = model.set_params(head="direct", patch_size=1, seasonal_base=False).fit(data).predict()  # a refit reads them
    assert list(refit.columns) == ["series", "when", "Other"] and len(refit) == 6


def test_a_backtest_on_values_the_fitted_log_cannot_take_names_the_series():
    later = panel(132)
    later.loc[later.index[later.unique_id == "b"][-10], "y"] = -5.0  # after the first cutoff (120), before the second
    with pytest.raises(SeriesValidationError, match=r"series 'b' has the value -5.0, but the model log-transforms it"):
        Forecaster(ensemble=1, refit=False, h=6, seq_size=24, hidden_dim=4, steps=2, val_size=6, seed=0).cross_validation(later, n_windows=2)


def test_forecasts_of_a_small_model_run_on_one_thread_like_its_training():
    """torch's default (a thread per core) made predict(h=600) of a small model take 20 s instead of
    0.02 s on a machine whose cores other processes were using."""
    model = Forecaster(ensemble=1, refit=False, h=4, steps=5, hidden_dim=8, seed=0).fit(np.sin(np.arange(60) / 3) + 2)
    seen = []
    for net in model.nets_:
        net.register_forward_pre_hook(lambda module, args: seen.append(torch.get_num_threads()))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        model.predict(h=40, level=[90])
        assert seen and set(seen) == {1}
        assert torch.get_num_threads() == 2  # the caller's setting is given back
    finally:
        torch.set_num_threads(before)


def test_a_horizon_past_the_bound_is_refused_before_any_work():
    model = Forecaster(ensemble=1, refit=False, h=3, steps=5, hidden_dim=8).fit(np.arange(1.0, 40.0))
    with pytest.raises(SeriesValidationError, match=r"h=1000000000 must be a positive integer \(at most 10000\)"):
        model.predict(h=10**9)  # took memory and time without end
    with pytest.raises(SeriesValidationError, match=r"h=100001 must be a positive integer \(at most 100000\)"):
        Forecaster(h=100_001).fit(np.arange(1.0, 40.0))


def test_levels_are_one_number_or_a_list_of_percentages():
    model = Forecaster(ensemble=1, refit=False, h=3, steps=5, hidden_dim=8).fit(np.arange(1.0, 60.0))
    assert list(model.predict(level=95).columns[-2:]) == ["LSTM-lo-95", "LSTM-hi-95"]
    for bad, shown in (("95", "'95'"), (["95"], "'95'"), ([80, None], "None"), ([True], "True"), ({"a": 1}, "'a'"), (object(), "<object")):
        with pytest.raises(SeriesValidationError, match=rf"level=.*{re.escape(shown)}.* must be percentages strictly between 0 and 100"):
            model.predict(level=bad)


def test_learned_quantile_bands_are_nested_across_levels():
    # barely trained, the head's 95% quantiles can fall inside its 80% ones; the bands must still nest
    model = Forecaster(ensemble=1, refit=False, h=12, seed=0, steps=10, intervals="quantile").fit(load_airline_passengers())
    fc = model.predict(level=[80, 95])
    assert (fc["LSTM-lo-95"] <= fc["LSTM-lo-80"]).all() and (fc["LSTM-lo-80"] <= fc["LSTM"]).all()
    assert (fc["LSTM"] <= fc["LSTM-hi-80"]).all() and (fc["LSTM-hi-80"] <= fc["LSTM-hi-95"]).all()
    pd.testing.assert_frame_equal(model.predict(level=[95]), fc.drop(columns=["LSTM-lo-80", "LSTM-hi-80"]))


def test_a_single_series_calibrates_on_rolling_windows_of_its_held_out_part(tmp_path):
    data = load_airline_passengers()
    model = Forecaster(ensemble=1, refit=False, h=6, seq_size=24, val_size=18, hidden_dim=8, steps=20, loss="mse", seed=0).fit(data)
    assert model.calibration_.errors.shape == (1, 13, 6) and model.calibration_.stride == 1  # cutoffs 0, 1, ..., 12 points into it
    # Oracle: each window's residuals are the model's own forecast errors from that cutoff, in model space.
    y = data.to_numpy()
    cuts = len(y) - 18 + np.arange(13)
    fc = model.forecast_windows(model._read(data), cuts[None, :], 6)["LSTM"][0]  # [13, 6]
    truth = np.stack([y[c : c + 6] for c in cuts])
    to_z = lambda v: model.scaler_.at(np.array([0])).transform(v.reshape(1, -1)).reshape(v.shape)
    np.testing.assert_allclose(model.calibration_.errors[0], to_z(truth) - to_z(fc), atol=1e-5)
    # the early-stopping score is the mean squared error over those windows
    steps, losses = zip(*model.history_[0].val_losses)
    assert min(losses) == pytest.approx(np.mean(model.calibration_.errors**2), rel=1e-4)
    widths = model.calibration_.widths(80, 6)
    assert (np.diff(widths) >= 0).all()
    model.save(tmp_path / "m")
    loaded = Forecaster.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.calibration_.errors, model.calibration_.errors)
    assert loaded.calibration_.stride == 1
    pd.testing.assert_frame_equal(loaded.predict(level=[80, 95]), model.predict(level=[80, 95]))


def test_levels_calibrated_on_too_few_errors_are_flagged_in_the_frame(direct):
    # 2 series, one window of 6 steps: 12 errors, enough for 80% (4), not for 95% (19)
    with pytest.warns(RuntimeWarning, match="95% intervals need at least 19 held-out errors but there are 12"):
        fc = direct.predict(level=[80, 95])
    assert list(fc.attrs["interval_warnings"]) == ["95"]
    assert fc.attrs["interval_warnings"]["95"].startswith("95% intervals need at least 19 held-out errors but there are 12: ")
    assert direct.predict(level=[80]).attrs["interval_warnings"] == {}
    assert direct.predict().attrs["interval_warnings"] == {}


def test_a_held_out_part_shorter_than_h_is_one_window_of_its_points():
    model = Forecaster(ensemble=1, refit=False, h=6, seq_size=24, val_size=3, hidden_dim=4, steps=2, seed=0).fit(panel())
    assert model.calibration_.errors.shape == (2, 1, 3)
    widths = model.calibration_.widths(80, 6)  # past the 3 calibrated steps: the square-root growth
    np.testing.assert_allclose(widths[:, 3:], widths[:, 2:3] * np.sqrt(np.arange(4, 7) / 3))
    assert np.isfinite(model.predict(level=[80]).drop(columns=["unique_id", "ds"]).to_numpy()).all()
