"""``Forecaster.update`` and ``seriespredictor update``: training continued on new data from the
saved weights and Adam states, the model format that keeps them, and the refusals."""

import copy
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file, save_file

from conftest import edit_config, run_python
from seriespredictor import Forecaster, ModelFileError, SeriesValidationError
from seriespredictor.cli import main
from seriespredictor.update import update_steps

FIXTURES = Path(__file__).parent / "fixtures"
SETTINGS = dict(h=6, seq_size=24, hidden_dim=8, steps=60, ensemble=1, val_size=6, refit=True, seed=0)


def panel(n=120, ids=("a", "b"), changed_from=None):
    """Hourly series with a daily cycle; from point ``changed_from`` on, the cycle is twice as deep
    (what the fitted model has not seen)."""
    t = np.arange(n)
    depth = np.where(t >= (changed_from if changed_from is not None else n), 2.0, 1.0)
    return pd.concat([
        pd.DataFrame({"unique_id": sid, "ds": pd.date_range("2024-01-01", periods=n, freq="h"),
                      "y": (k + 1) * 50 + depth * (k + 1) * 10 * np.sin(2 * np.pi * t / 24) + 0.1 * t})
        for k, sid in enumerate(ids)
    ], ignore_index=True)


NEW = panel(168, changed_from=120)  # two more days, of a deeper cycle


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """One fitted model, saved (each test loads its own copy)."""
    path = tmp_path_factory.mktemp("update") / "model"
    Forecaster(**SETTINGS).fit(panel()).save(path)
    return path


@pytest.fixture(scope="module")
def updated(saved) -> Forecaster:
    return Forecaster.load(saved).update(NEW, steps=100)


def adam_steps(model) -> float:
    return float(model.optimizers_[0]["state"][0]["step"])


def test_update_continues_from_the_saved_adam_state(saved, updated):
    before = Forecaster.load(saved)
    assert adam_steps(updated) == adam_steps(before) + 100  # the refit continued the saved Adam for 100 steps
    fresh = Forecaster.load(saved)
    fresh.optimizers_ = None  # as a model saved before format 5
    with pytest.warns(RuntimeWarning, match="fresh Adam"):
        fresh.update(NEW, steps=100)
    assert adam_steps(fresh) == 100
    assert not all(torch.equal(a, b) for a, b in zip(fresh.nets_[0].state_dict().values(), updated.nets_[0].state_dict().values()))


def test_the_held_out_loss_on_the_new_points_falls(updated):
    validated = updated.history_[-2]  # the update's run on the training part, scored on the held-out new points
    (start_step, start), *later = validated.val_losses
    assert start_step == 0  # the starting weights are scored too, so an update never ends worse there
    assert min(loss for _, loss in later) < 0.85 * start
    assert updated.history_[-1].steps_run == validated.best_step  # the refit on every point took the steps chosen


def test_predict_continues_the_new_data(updated):
    out = updated.predict(level=[80])
    assert out["ds"].iloc[0] == pd.Timestamp("2024-01-01") + pd.Timedelta(hours=168)
    np.testing.assert_array_equal(updated.tail_[0], NEW[NEW.unique_id == "a"]["y"].to_numpy()[-24:])
    assert updated.calibration_.errors.shape[0] == 2 and len(updated.history_) == 4  # the fit's two runs, then the update's


def test_known_series_keep_their_scaler_and_new_series_get_their_own(saved):
    before = Forecaster.load(saved)
    model = Forecaster.load(saved).update(panel(168, ids=("a", "b", "c")), steps=5)
    assert model.ids_ == ["a", "b", "c"]
    np.testing.assert_array_equal(model.scaler_.shift[:2], before.scaler_.shift)
    c = panel(168, ids=("a", "b", "c")).query("unique_id == 'c'")["y"].to_numpy()[:-6]  # its training part
    assert model.scaler_.shift[2] == pytest.approx(np.log(c).mean())
    assert model.predict().query("unique_id == 'c'")["LSTM"].between(100, 250).all()


def test_an_updated_model_round_trips(updated, tmp_path):
    updated.save(tmp_path / "m")
    loaded = Forecaster.load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.predict(level=[80]), updated.predict(level=[80]))
    assert [r.steps_run for r in loaded.history_] == [r.steps_run for r in updated.history_]
    for name, t in updated.optimizers_[0]["state"][0].items():
        torch.testing.assert_close(loaded.optimizers_[0]["state"][0][name], t)
    assert loaded.optimizers_[0]["param_groups"][0]["lr"] == pytest.approx(updated.optimizers_[0]["param_groups"][0]["lr"])


def test_an_adam_that_took_no_step_round_trips(updated, tmp_path):
    # a fresh Adam (a model saved before format 5) whose refit kept the starting weights (0 steps)
    model = copy.deepcopy(updated)
    model.optimizers_[0]["state"] = {}
    model.save(tmp_path / "m")
    assert Forecaster.load(tmp_path / "m").optimizers_[0]["state"] == {}


def _tamper(model_dir: Path, edit) -> None:
    """Change the weights file, then re-sign the checksums: only the field checks can catch it."""
    weights = model_dir / "weights.safetensors"
    tensors = load_file(weights)
    edit(tensors)
    save_file(tensors, weights, metadata={"format_version": "5"})
    edit_config(model_dir, lambda config: None)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t["opt.0.0.exp_avg_sq"].mul_(-1), "'opt.0.0.exp_avg_sq' must hold finite values, none negative"),
    (lambda t: t["opt.0.1.step"].add_(0.5), "'opt.0.1.step' must hold a whole number of steps"),
    (lambda t: t.update({"opt.0.0.exp_avg": torch.zeros(3)}), r"'opt.0.0.exp_avg' is torch.float32 \(3,\)"),
    (lambda t: t.pop("opt.0.2.exp_avg"), "'opt.0.2.exp_avg' is missing"),
    (lambda t: t.update({"opt.0.99.step": torch.tensor(1.0)}), "optimiser entries .* 'opt.0.99.step'"),
])
def test_a_tampered_optimiser_tensor_is_refused_by_name(saved, tmp_path, edit, message):
    shutil.copytree(saved, tmp_path / "m")
    _tamper(tmp_path / "m", edit)
    with pytest.raises(ModelFileError, match=message):
        Forecaster.load(tmp_path / "m")


@pytest.mark.parametrize("edit, message", [
    (lambda g: g.update(lr=-1), "'optimizer.0.lr' = -1 must be"),
    (lambda g: g.update(amsgrad=True), "'optimizer.0.amsgrad' = True must be"),
    (lambda g: g.update(momentum=0.9), "'optimizer.0.momentum' = 0.9 must be absent"),
    (lambda g: g.pop("betas"), "no field 'optimizer.0.betas'"),
    (lambda g: g.update(params=[0]), "'optimizer.0.params'"),
])
def test_a_tampered_optimiser_setting_is_refused_by_name(saved, tmp_path, edit, message):
    shutil.copytree(saved, tmp_path / "m")
    edit_config(tmp_path / "m", lambda config: edit(config["optimizer"][0][0]))
    with pytest.raises(ModelFileError, match=message):
        Forecaster.load(tmp_path / "m")


def test_a_format_4_model_updates_with_a_fresh_adam(tmp_path):
    model = Forecaster.load(FIXTURES / "format4" / "forecaster")
    assert model.optimizers_ is None and len(model.history_) == 2  # migrated: no Adam state, the fit's runs read back
    with pytest.warns(RuntimeWarning, match="saved before model format 5"):
        model.update(pd.read_csv(FIXTURES.parents[1] / "src" / "seriespredictor" / "data" / "airline_passengers.csv"), steps=5)
    model.save(tmp_path / "m")
    assert Forecaster.load(tmp_path / "m").optimizers_ is not None and len(model.history_) == 4


def test_default_steps_are_a_tenth_of_the_fit_at_least_100_at_most_the_fit():
    assert (update_steps(6000), update_steps(500), update_steps(60), update_steps(500, 7)) == (600, 100, 60, 7)
    with pytest.raises(SeriesValidationError, match="steps"):
        update_steps(500, 0)


@pytest.mark.parametrize("data, message", [
    (NEW.assign(ds=pd.date_range("2024-01-01", periods=168, freq="D").tolist() * 2), "frequency is 'D', but the model was fitted at 'h'"),
    (panel(6), "series 'a' has 6 points, but an update trains on windows of h \\+ 1 = 7"),
    (panel(100), "series 'a' ends at 2024-01-05 03:00:00, before the model's last time for it"),
    (NEW.assign(y=NEW["y"].where(NEW.index != 130, -1.0)), "series 'a' has the value -1.0 in column 'y' at 2024-01-06 10:00:00"),
    (pd.concat([NEW, panel(168, ids=("c",)).assign(unique_id="c", y=lambda d: (-d["y"]).where(d.index != 165, 1e300))]),
     "series 'c' cannot be scaled: its value 1e\\+300 at position 165"),  # a new series, not logged: its held-out part
])
def test_data_that_does_not_continue_the_model_is_refused_by_name(saved, data, message):
    model = Forecaster.load(saved)
    before = model.predict()
    with pytest.raises(SeriesValidationError, match=message):
        model.update(data, steps=5)
    pd.testing.assert_frame_equal(model.predict(), before)  # nothing changed


def _digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_cli_update_writes_a_new_model_and_leaves_the_old_one_intact(saved, tmp_path):
    NEW.to_csv(tmp_path / "new.csv", index=False)
    before = _digest(saved)
    r = run_python("-m", "seriespredictor", "update", str(saved), "new.csv", "--out", "new-model", "--steps", "5", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "saved to new-model" in r.stdout and "Traceback" not in r.stderr
    assert _digest(saved) == before
    model = Forecaster.load(tmp_path / "new-model")
    assert model.predict()["ds"].iloc[0] == pd.Timestamp("2024-01-08") and json.loads(
        (tmp_path / "new-model" / "config.json").read_text())["optimizer"] is not None


def test_cli_update_refuses_in_one_line(saved, tmp_path):
    NEW.assign(ds=pd.date_range("2024-01-01", periods=168, freq="D").tolist() * 2).to_csv(tmp_path / "daily.csv", index=False)
    r = run_python("-m", "seriespredictor", "update", str(saved), "daily.csv", "--out", "new-model", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and "frequency is 'D'" in r.stderr


def test_cli_update_replaces_the_model_read_only_with_overwrite(saved, tmp_path, capsys):
    shutil.copytree(saved, tmp_path / "m")
    NEW.to_csv(tmp_path / "new.csv", index=False)
    assert main(["update", "m", "new.csv", "--out", "m", "--steps", "2"]) == 2
    assert "--out 'm' is the model read; choose another folder, or pass --overwrite" in capsys.readouterr().err
    assert main(["update", "m", "new.csv", "--out", "m", "--steps", "2", "--overwrite", "--quiet"]) == 0
    assert Forecaster.load("m").last_times_[0] == pd.Timestamp("2024-01-07 23:00")


def test_a_horizon_set_after_the_fit_is_refused_by_update_with_the_fix(saved):
    model = Forecaster.load(saved)
    fitted_h = model.h
    model.set_params(h=fitted_h + 1)
    with pytest.raises(SeriesValidationError, match=rf"h={fitted_h + 1} was set after the fit, but this model's networks forecast "
                                                    rf"h={fitted_h}; set h={fitted_h} again to update them"):
        model.update(panel(130), steps=2)  # torch failed on the shapes before
