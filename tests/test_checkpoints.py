"""Resumable training: checkpoints survive SIGKILL, even in the middle of being written."""

import signal

import numpy as np
import pandas as pd
import pytest

from conftest import run_python
from seriespredictor import Forecaster, SeriesValidationError

STEPS = 60
ARGS = ["--h", "4", "--seq-size", "12", "--hidden-dim", "8", "--steps", str(STEPS), "--ensemble", "1", "--seed", "3"]


def write_data(path):
    t = np.arange(80)
    pd.DataFrame({"Date": pd.date_range("2020-01-01", periods=80, freq="D"), "Sales": 30 + 5 * np.sin(t / 3) + 0.1 * t}).to_csv(path, index=False)
    return path


# Runs the CLI's fit, killing its own process with SIGKILL inside the Nth checkpoint write:
# after the new weights file is written, before its config.json and before the rename.
KILLER = """
import os, signal, sys
import seriespredictor.persistence as p
real, calls = p._write_weights, [0]
def save_then_maybe_die(folder, tensors):
    digest = real(folder, tensors)
    if '.member-0.tmp-' in str(folder):
        calls[0] += 1
        if calls[0] == int(os.environ['KILL_AT']):
            os.kill(os.getpid(), signal.SIGKILL)
    return digest
p._write_weights = save_then_maybe_die
from seriespredictor.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_during_a_checkpoint_write_then_resume(tmp_path):
    data = write_data(tmp_path / "sales.csv")
    model, ckpt = tmp_path / "model", tmp_path / "ckpt"
    # A model already at the output path must survive the crash.
    r = run_python("-m", "seriespredictor", "fit", str(data), "--out", str(model), *ARGS[:-2], "--seed", "9")
    assert r.returncode == 0, r.stderr
    before = Forecaster.load(model).predict()

    env_code = f"import os; os.environ['KILL_AT'] = '3'\n{KILLER}"
    r = run_python("-c", env_code, "fit", str(data), "--out", str(model), "--overwrite",
                   "--checkpoint-dir", str(ckpt), "--checkpoint-every", "10", *ARGS)
    assert r.returncode == -signal.SIGKILL
    pd.testing.assert_frame_equal(Forecaster.load(model).predict(), before)  # the previous model still loads

    r = run_python("-m", "seriespredictor", "fit", str(data), "--out", str(model), "--overwrite",
                   "--checkpoint-dir", str(ckpt), "--checkpoint-every", "10", "--resume", *ARGS)
    assert r.returncode == 0, r.stderr
    resumed = Forecaster.load(model)

    uninterrupted = Forecaster(ensemble=1, h=4, seq_size=12, hidden_dim=8, steps=STEPS, seed=3).fit(data)
    pd.testing.assert_frame_equal(resumed.predict(), uninterrupted.predict())  # bit for bit
    from seriespredictor.persistence import load_model

    _, config = load_model(ckpt / "member-0", "Checkpoint")
    assert config["loop"]["step"] == STEPS and config["loop"]["done"]


def test_resume_refuses_a_checkpoint_of_another_run(tmp_path):
    data = write_data(tmp_path / "sales.csv")
    Forecaster(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=20, seed=0, checkpoint_dir=tmp_path / "ck", checkpoint_every=5).fit(data)
    with pytest.raises(SeriesValidationError, match="written by a run with other settings or data"):
        Forecaster(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=16, steps=20, seed=0, checkpoint_dir=tmp_path / "ck").fit(data, resume=True)
    with pytest.raises(SeriesValidationError, match="resume=True needs checkpoint_dir="):
        Forecaster(h=4).fit(data, resume=True)


def test_a_run_without_a_seed_resumes_with_the_seed_it_started_with(tmp_path):
    data = write_data(tmp_path / "sales.csv")
    kw = dict(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=20, checkpoint_every=5)
    first = Forecaster(checkpoint_dir=tmp_path / "ck", **kw).fit(data)
    resumed = Forecaster(checkpoint_dir=tmp_path / "ck", **kw).fit(data, resume=True)
    assert first.params_["seed"] == resumed.params_["seed"]
    repeated = Forecaster(seed=first.params_["seed"], **kw).fit(data)  # the saved seed repeats the run
    pd.testing.assert_frame_equal(first.predict(level=[80]), repeated.predict(level=[80]))


def test_resume_without_checkpoints_starts_from_scratch(tmp_path):
    data = write_data(tmp_path / "sales.csv")
    kw = dict(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=20, seed=0)
    a = Forecaster(checkpoint_dir=tmp_path / "none", **kw).fit(data, resume=True)
    b = Forecaster(**kw).fit(data)
    pd.testing.assert_frame_equal(a.predict(), b.predict())


def test_resume_refuses_other_data_of_the_same_length(tmp_path):
    data = write_data(tmp_path / "sales.csv")
    kw = dict(ensemble=1, refit=False, h=4, seq_size=12, hidden_dim=8, steps=20, seed=0, checkpoint_dir=tmp_path / "ck", checkpoint_every=5)
    Forecaster(**kw).fit(data)
    changed = pd.read_csv(data)
    changed.loc[40, "Sales"] += 1.0  # one value differs; same series, same length
    changed.to_csv(data, index=False)
    with pytest.raises(SeriesValidationError, match=f"the checkpoint '{tmp_path / 'ck' / 'member-0'}' was written by a run with other settings or data"):
        Forecaster(**kw).fit(data, resume=True)


def test_a_new_run_does_not_replace_the_checkpoints_of_an_earlier_one_unless_asked(tmp_path):
    data = write_data(tmp_path / "sales.csv")
    ckpt = tmp_path / "ckpt"
    fit = ["-m", "seriespredictor", "fit", str(data), "--checkpoint-dir", str(ckpt), "--checkpoint-every", "10", "--quiet", *ARGS]
    assert run_python(*fit, "--out", str(tmp_path / "a")).returncode == 0
    saved = (ckpt / "member-0" / "config.json").read_bytes()
    r = run_python(*fit, "--out", str(tmp_path / "b"), "--seed", "5")
    assert r.returncode == 2 and "holds the checkpoints of an earlier run; pass --resume" in r.stderr, r.stderr
    assert (ckpt / "member-0" / "config.json").read_bytes() == saved and not (tmp_path / "b").exists()
    r = run_python(*fit, "--out", str(tmp_path / "b"), "--seed", "5", "--overwrite")
    assert r.returncode == 0, r.stderr
    assert (ckpt / "member-0" / "config.json").read_bytes() != saved


def test_two_runs_never_write_one_checkpoint_folder_at_once(tmp_path):
    import fcntl
    import os

    data = pd.Series(np.sin(np.arange(80) / 3) + 2)
    model = Forecaster(ensemble=1, refit=False, h=4, seq_size=8, hidden_dim=8, steps=5, seed=0, checkpoint_dir=tmp_path / "ck")
    (tmp_path / "ck").mkdir()
    other_run = os.open(tmp_path / "ck" / ".lock", os.O_RDWR | os.O_CREAT)  # another process's hold, as flock sees it
    fcntl.flock(other_run, fcntl.LOCK_EX)
    with pytest.raises(SeriesValidationError, match="another run is writing checkpoints to .*ck'; wait for it to end"):
        model.fit(data)
    assert not list((tmp_path / "ck").glob("member-*"))
    os.close(other_run)  # that run ended
    assert np.isfinite(model.fit(data).predict()["LSTM"]).all()
    assert (tmp_path / "ck" / "member-0").is_dir()
