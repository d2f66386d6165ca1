"""torchrun on CPU: two gloo processes train one model (real subprocesses, few steps)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seriespredictor import Forecaster
from seriespredictor.persistence import load_model
from seriespredictor.windows import EpochSampler

WORKER = str(Path(__file__).with_name("ddp_worker.py"))
FIT = ["--h", "6", "--seq-size", "24", "--hidden-dim", "16", "--steps", "60", "--batch-size", "32", "--ensemble", "1", "--seed", "0"]


def write_panel(path, n_series=6, n=150):
    t = np.arange(n)
    pd.concat([
        pd.DataFrame({"unique_id": f"s{k}", "ds": pd.date_range("2024-01-01", periods=n, freq="h"),
                      "y": 50 + 5 * k + 8 * np.sin(2 * np.pi * t / 24 + k) + 0.05 * t})
        for k in range(n_series)
    ]).to_csv(path, index=False)
    return path


def torchrun(*args, env=None, timeout=240):
    """Launch 2 workers through torchrun, once: a failed launch fails the test (no retry;
    benchmarks/torchrun_launches.py counts failures over many launches)."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


def explain(r) -> str:
    """Our own error lines from every rank, then the end of torchrun's report."""
    ours = [line for line in r.stderr.splitlines() if "seriespredictor: error" in line or "Error:" in line]
    return "\n".join(ours[:10]) + "\n...\n" + r.stderr[-1500:]


def test_two_processes_train_like_one_with_the_same_global_batch(tmp_path):
    data = write_panel(tmp_path / "d.csv")
    r = torchrun(WORKER, "fit", str(data), "--out", str(tmp_path / "ddp"), *FIT, "--micro-batch-size", "8",  # 2 passes a step
                 env={"DDP_PARAMS_OUT": str(tmp_path / "params.json")})
    assert r.returncode == 0, explain(r)
    assert r.stdout.count("model saved to") == 1 and "trained by 2 processes" in r.stdout  # rank 0 alone saves
    assert json.loads((tmp_path / "params.json").read_text()) == {"world": 2, "identical": True}

    single = Forecaster(ensemble=1, h=6, seq_size=24, hidden_dim=16, steps=60, batch_size=32, seed=0).fit(data)
    _, config = load_model(tmp_path / "ddp", "Forecaster")
    ddp_val = config["training"][0]["val_losses"]
    one_val = single.history_[0].val_losses
    assert [s for s, _ in ddp_val] == [s for s, _ in one_val]  # the same number of global samples
    assert abs(ddp_val[-1][1] - one_val[-1][1]) <= 0.05 * one_val[-1][1]
    ddp = Forecaster.load(tmp_path / "ddp").predict()["LSTM"].to_numpy()
    np.testing.assert_allclose(ddp, single.predict()["LSTM"].to_numpy(), rtol=0.01)


def test_two_processes_train_a_covariate_model_that_saves_and_predicts(tmp_path):
    t = np.arange(156)
    promo = (np.random.default_rng(0).random((4, 156)) < 0.2).astype(float)
    frame = pd.concat([
        pd.DataFrame({"unique_id": f"s{k}", "ds": pd.date_range("2024-01-01", periods=156, freq="h"), "promo": promo[k],
                      "y": np.r_[50 + 5 * k + 8 * np.sin(2 * np.pi * t[:150] / 24) + 10 * promo[k, :150], [np.nan] * 6]})
        for k in range(4)  # the last 6 rows of each: the promotions ahead
    ])
    frame.to_csv(tmp_path / "d.csv", index=False)
    covariates = {"futr_exog": ["promo"], "calendar": ["hour"]}
    r = torchrun(WORKER, "fit", str(tmp_path / "d.csv"), "--out", str(tmp_path / "ddp"), *FIT, env={"DDP_COVARIATES": json.dumps(covariates)})
    assert r.returncode == 0, explain(r)
    assert r.stdout.count("model saved to") == 1 and "trained by 2 processes" in r.stdout
    model = Forecaster.load(tmp_path / "ddp")
    assert model.exog_["futr"] == ["promo"] and model.exog_["calendar"] == ["hour"]
    out = model.predict(level=[80])
    assert out.shape == (24, 5) and np.isfinite(out.drop(columns=["unique_id", "ds"]).to_numpy()).all()
    single = Forecaster(ensemble=1, h=6, seq_size=24, hidden_dim=16, steps=60, batch_size=32, seed=0, **covariates).fit(frame)
    np.testing.assert_allclose(out["LSTM"], single.predict()["LSTM"], rtol=0.02)  # the same global batches


def test_a_time_budget_stops_every_rank_at_the_same_step(tmp_path):
    data = write_panel(tmp_path / "d.csv")
    started = time.perf_counter()
    r = torchrun(WORKER, "fit", str(data), "--out", str(tmp_path / "m"), *FIT[:6], "--steps", "1000000", "--ensemble", "1",
                 "--time-budget", "3", "--timeout", "60", timeout=120)
    assert r.returncode == 0, explain(r)
    assert time.perf_counter() - started < 60  # no rank left waiting for the other's gradients
    _, config = load_model(tmp_path / "m", "Forecaster")
    assert all(0 < run["steps_run"] < 10**6 for run in config["training"])


def test_a_killed_rank_resumes_from_the_last_checkpoint(tmp_path):
    data = write_panel(tmp_path / "d.csv")
    ckpt = tmp_path / "ckpt"
    r = torchrun("--max-restarts=1", WORKER, "fit", str(data), "--out", str(tmp_path / "m"), *FIT,
                 "--checkpoint-dir", str(ckpt), "--checkpoint-every", "20", "--resume", env={"DDP_KILL_AT": "45"})
    assert r.returncode == 0, explain(r)
    assert "exitcode: -9" in r.stderr  # rank 1 died; torchrun restarted both workers
    assert "resumed ensemble member 0 from its checkpoint at step 40" in r.stdout
    _, config = load_model(ckpt / "member-0", "Checkpoint")
    assert config["loop"]["step"] == 60 and config["loop"]["done"]
    assert Forecaster.load(tmp_path / "m").predict().shape == (36, 3)


def test_a_data_error_stops_every_rank_with_the_same_message(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("ds,y\n2024-01-01,1\n2024-01-01,2\n")
    r = torchrun(WORKER, "fit", str(bad), "--out", str(tmp_path / "m"), "--h", "1", timeout=120)
    assert r.returncode != 0
    assert r.stderr.count("seriespredictor: error: series 'y' has 2 rows with duplicate timestamps") == 2
    assert "[rank0]: Traceback" not in r.stderr and "src/seriespredictor" not in r.stderr  # no traceback of ours


def test_a_failed_save_on_rank_0_stops_every_rank_with_its_message(tmp_path):
    data = write_panel(tmp_path / "d.csv")
    blocked = tmp_path / "later"  # free when the CLI checks --out; a file by the time rank 0 saves into it
    started = time.perf_counter()
    r = torchrun(WORKER, "fit", str(data), "--out", str(blocked / "m"), *FIT, "--timeout", "120",
                 env={"DDP_FILE_AT": f"10:{blocked}"})
    assert r.returncode != 0 and time.perf_counter() - started < 90  # no rank waits for the timeout
    assert r.stderr.count(f"seriespredictor: error: cannot save the model to '{blocked / 'm'}': cannot create the folder") == 2, explain(r)  # both ranks


def test_a_bug_on_one_rank_stops_every_rank_promptly(tmp_path):
    data = write_panel(tmp_path / "d.csv")
    started = time.perf_counter()
    r = torchrun(WORKER, "fit", str(data), "--out", str(tmp_path / "m"), *FIT, "--timeout", "120", env={"DDP_FAIL_AT": "10"})
    assert r.returncode != 0 and time.perf_counter() - started < 90, explain(r)
    assert "ZeroDivisionError: injected bug on rank 1" in r.stderr
    assert "another process failed with ZeroDivisionError: injected bug on rank 1" in r.stderr, explain(r)  # rank 0
    assert not (tmp_path / "m").exists()


def test_sampler_shards_are_the_single_process_batch():
    one = EpochSampler(1000, 64, seed=3)
    ranks = [EpochSampler(1000, 64, seed=3, rank=r, world=4) for r in range(4)]
    for step in (0, 7, 15, 16, 40):  # 15 batches per epoch: steps 15+ are a new epoch
        together = sorted(int(k) for r in ranks for k in r.batches(step)[0])
        assert together == sorted(one.batches(step)[0].tolist())
    epoch = sorted(int(k) for s in range(15) for k in one.batches(s)[0])
    assert len(set(epoch)) == 15 * 64  # no window twice within an epoch
    with pytest.raises(ValueError, match="batch_size=10 must be a multiple of the number of processes \\(4\\)"):
        EpochSampler(100, 10, seed=0, world=4)


@pytest.mark.parametrize("env, message", [
    ({"RANK": "3", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29512"},
     "the torchrun environment has RANK='3'; it must be an integer from 0 to 1"),  # it waited 300 s for rank 0
    ({"RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "abc"},
     "the torchrun environment has MASTER_PORT='abc'; it must be an integer from 1 to 65535"),
    ({"RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "no.such.host.invalid", "MASTER_PORT": "29512"},
     "the torchrun environment has MASTER_ADDR='no.such.host.invalid', which does not resolve"),
])
def test_a_broken_torchrun_environment_is_one_line_at_once(tmp_path, env, message):
    data = write_panel(tmp_path / "d.csv")
    r = subprocess.run([sys.executable, "-m", "seriespredictor", "fit", str(data), "--h", "6", "--steps", "5", "--ensemble", "1",
                        "--out", str(tmp_path / "m")], capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    assert r.returncode == 2 and r.stderr.strip().startswith(f"seriespredictor: error: {message}"), r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "m").exists()
