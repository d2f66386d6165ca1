import io
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from seriespredictor.cli import main

FAST = ["--steps", "40", "--hidden-dim", "8", "--ensemble", "1"]


def write_panel(path, n=80, ids=("a", "b")):
    t = np.arange(n)
    pd.concat([
        pd.DataFrame({"unique_id": sid, "ds": pd.date_range("2024-01-01", periods=n, freq="D"), "y": 20 + k + np.sin(2 * np.pi * t / 7)})
        for k, sid in enumerate(ids)
    ]).to_csv(path, index=False)
    return path


def test_forecast_with_no_arguments_runs_on_embedded_data_as_a_real_command(tmp_path):
    r = subprocess.run([sys.executable, "-m", "seriespredictor", "forecast", "--out", str(tmp_path / "out"), "--steps", "60"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "embedded airline passengers" in r.stdout
    for model in ("LSTM", "Naive", "SeasonalNaive"):
        assert any(line.startswith(model + " ") for line in r.stdout.splitlines())
    fc = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert fc["ds"].tolist() == [f"1961-{m:02d}-01" for m in range(1, 13)]
    assert (tmp_path / "out" / "forecast.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Traceback" not in r.stderr


def test_forecast_a_file_writes_the_table_and_files(tmp_path, capsys):
    data = write_panel(tmp_path / "d.csv")
    assert main(["forecast", str(data), "--h", "7", "--out", str(tmp_path / "o"), *FAST]) == 0
    out = capsys.readouterr().out
    assert "holdout: the last 7 points" in out
    metrics = pd.read_csv(tmp_path / "o" / "metrics.csv", index_col=0)
    assert list(metrics.columns) == ["MAE", "RMSE", "sMAPE", "MASE"]
    assert list(metrics.index) == ["LSTM", "Naive", "SeasonalNaive"]
    assert len(pd.read_csv(tmp_path / "o" / "forecast.csv")) == 14


def test_warns_when_the_lstm_does_not_beat_naive(tmp_path, capsys):
    rng = np.random.default_rng(0)
    walk = pd.DataFrame({"Date": pd.date_range("2020-01-01", periods=120, freq="B"), "Close": 100 + rng.normal(0, 1, 120).cumsum()})
    walk.to_csv(tmp_path / "stock.csv", index=False)
    assert main(["forecast", str(tmp_path / "stock.csv"), "--h", "5", "--out", str(tmp_path / "o"), "--steps", "5", "--hidden-dim", "4"]) == 0
    table = pd.read_csv(tmp_path / "o" / "metrics.csv", index_col=0)
    err = capsys.readouterr().err
    assert ("does not beat the naive forecast" in err) == (table.loc["LSTM", "MASE"] >= table.loc["Naive", "MASE"])


def test_fit_then_predict(tmp_path, capsys):
    data = write_panel(tmp_path / "d.csv")
    assert main(["fit", str(data), "--h", "5", "--out", str(tmp_path / "m"), *FAST]) == 0
    assert main(["predict", str(tmp_path / "m"), "--out", str(tmp_path / "f.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "f.csv")) == 10
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "m"), "--h", "3"]) == 0
    stdout = capsys.readouterr().out.splitlines()
    assert stdout[0] == "unique_id,ds,LSTM" and len(stdout) == 7
    assert main(["fit", str(data), "--h", "5", "--out", str(tmp_path / "m"), *FAST]) == 2
    assert "already exists; pass --overwrite to replace it" in capsys.readouterr().err


@pytest.mark.parametrize("args,message", [
    (["forecast", "missing.csv", "--h", "3"], "does not exist"),
    (["forecast", "{empty}", "--h", "3"], "is empty"),
    (["forecast", "{data}"], "--h is required"),
    (["forecast", "{data}", "--h", "70"], "no series has more than --h 70 points"),
    (["forecast", "{data}", "--h", "90"], r"too short for 1 window of --h 90: they need 91 points .*; use a smaller --h, or drop those series$"),  # forecast has no --windows
    (["backtest", "{data}", "--h", "90"], r"too short for 3 windows of --h 90 every 90 steps: .*; use a smaller --h, fewer windows or a smaller --step-size, or drop those series$"),
    (["fit", "{data}", "--h", "3", "--out", "{tmp}/m", "--target-col", "sales"], r"missing \['sales'\]"),
    (["predict", "{tmp}/nomodel"], "no model at"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, args, message):
    data = write_panel(tmp_path / "d.csv")
    (tmp_path / "empty.csv").write_text("")
    args = [a.format(data=data, empty=tmp_path / "empty.csv", tmp=tmp_path) for a in args]
    assert main([*args, *(FAST if args[0] != "predict" else [])]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seriespredictor: error: ") and len(err.splitlines()) == 1
    assert re.search(message, err), err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as e:
        main(["forecast", "--help"])
    assert e.value.code == 0
    assert "seriespredictor forecast sales.csv --h 8" in capsys.readouterr().out


def test_backtest_writes_the_frame_and_a_metrics_table(tmp_path, capsys):
    data = write_panel(tmp_path / "d.csv")
    assert main(["backtest", str(data), "--h", "7", "--windows", "2", "--level", "90", "--out", str(tmp_path / "o"), *FAST]) == 0
    cv = pd.read_csv(tmp_path / "o" / "backtest.csv")
    assert list(cv.columns) == ["unique_id", "ds", "cutoff", "y", "LSTM", "LSTM-lo-90", "LSTM-hi-90", "Naive", "Naive-lo-90", "Naive-hi-90",
                               "SeasonalNaive", "SeasonalNaive-lo-90", "SeasonalNaive-hi-90"]
    assert len(cv) == 2 * 2 * 7 and cv["cutoff"].nunique() == 2
    table = pd.read_csv(tmp_path / "o" / "backtest_metrics.csv", index_col=0)
    assert list(table.index) == ["LSTM", "Naive", "SeasonalNaive"]
    for model in table.index:  # the table scores the frame written beside it (every series and window has 7 points)
        assert table.loc[model, "MAE"] == pytest.approx((cv["y"] - cv[model]).abs().mean())
    inside = (cv["y"] >= cv["LSTM-lo-90"]) & (cv["y"] <= cv["LSTM-hi-90"])
    assert table.loc["LSTM", "coverage-90"] == pytest.approx(100 * inside.mean())
    assert "trained once before the first cutoff" in capsys.readouterr().out


def test_backtest_reports_coverage_next_to_the_nominal_level(tmp_path, capsys):
    data = write_panel(tmp_path / "d.csv")
    assert main(["backtest", str(data), "--h", "7", "--windows", "2", "--level", "80", "95", "--out", str(tmp_path / "o"), *FAST]) == 0
    table = pd.read_csv(tmp_path / "o" / "backtest_metrics.csv", index_col=0)
    captured = capsys.readouterr()
    for lv in (80, 95):
        line = f"{lv}% intervals covered {table.loc['LSTM', f'coverage-{lv}']:.1f}% of 28 points in the backtest (nominal {lv}%)"
        assert line in captured.out + captured.err


def test_backtest_warns_when_intervals_cover_far_less_than_nominal(tmp_path, capsys):
    y = 20 + np.sin(2 * np.pi * np.arange(80) / 7)
    y[-14:] += 100  # a jump after the training part: every interval misses
    pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=80, freq="D"), "y": y}).to_csv(tmp_path / "d.csv", index=False)
    assert main(["backtest", str(tmp_path / "d.csv"), "--h", "7", "--windows", "2", "--level", "80", "--out", str(tmp_path / "o"), *FAST]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if "intervals covered" in line]
    assert len(warned) == 1 and re.fullmatch(r"warning: 80% intervals covered \d+\.\d% of 14 points in the backtest \(nominal 80%\): "
                                             r"they are too narrow; trust them less, or give the model more series or longer ones to calibrate on", warned[0])


def test_forecast_with_tune_and_levels(tmp_path, capsys, monkeypatch):
    import seriespredictor.tuning as tuning

    monkeypatch.setattr(tuning, "default_grid", lambda h, season, max_seq: {"hidden_dim": [4, 8], "steps": [10]})
    data = write_panel(tmp_path / "d.csv")
    assert main(["forecast", str(data), "--h", "7", "--tune", "--level", "80", "--out", str(tmp_path / "o"), "--steps", "40"]) == 0
    out = capsys.readouterr().out
    assert "tuning (backtest MASE" in out and "chosen: {'hidden_dim'" in out
    assert "steps" not in out.split("chosen:")[1].splitlines()[0]  # given on the command line, so not tuned
    fc = pd.read_csv(tmp_path / "o" / "forecast.csv")
    assert list(fc.columns) == ["unique_id", "ds", "LSTM", "LSTM-lo-80", "LSTM-hi-80"]


def test_tune_on_a_short_series_caps_the_window_to_fit(tmp_path):
    # 36 months, h=6: the default windows (24 and 18) do not fit the 18 points left before the tuning cutoffs
    t = np.arange(36)
    pd.DataFrame({"ds": pd.date_range("1991-01", periods=36, freq="MS"), "y": 100 + 10 * np.sin(t) + t}).to_csv(tmp_path / "s.csv", index=False)
    r = cli("forecast", tmp_path / "s.csv", "--h", 6, "--tune", "--level", 80, 95, "--hidden-dim", 4, "--steps", 5, "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    assert "chosen: {'seq_size': 12}" in r.stdout
    assert np.isfinite(pd.read_csv(tmp_path / "o" / "forecast.csv").iloc[:, 2:].to_numpy()).all()


# The reference's bad-input table (../shared/reference/RELIABILITY.md section 2), through the CLI.
GOOD = "ds,y\n" + "".join(f"2024-01-{d:02d},{d}\n" for d in range(1, 29))
BAD_FILES = {
    "nan": (GOOD.replace(",5\n", ",\n"), r"1 NaN or infinite value\(s\) in 'y', the first at 2024-01-05"),
    "inf": (GOOD.replace(",5\n", ",inf\n"), "NaN or infinite"),
    "text": (GOOD.replace(",5\n", ",abc\n"), r"non-numeric value\(s\), the first 'abc' at row 4"),
    "gap": (GOOD.replace("2024-01-05,5\n", ""), "irregular or have gaps"),
    "duplicate": (GOOD + "2024-01-28,3\n", "duplicate timestamps"),
    "bad date": (GOOD.replace("2024-01-05", "2024-13-45"), "could not parse the time column 'ds'"),
    "mixed tz": ("ds,y\n" + "".join(f"2024-01-{d:02d}T00:00{'+01:00' if d % 2 else ''},{d}\n" for d in range(1, 29)), "time zone"),
    "empty": ("", "is empty"),
    "header only": ("ds,y\n", "has no data rows"),
    "ragged": (GOOD.replace("2024-01-05,5\n", "2024-01-05,5,5\n"), "Expected 2 fields"),
    "quote": (GOOD.replace("2024-01-05,5\n", '"2024-01-05,5\n'), "could not read"),
    "short": ("ds,y\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n", r"1 series are too short for 1 window of --h 3: they need 4 points \(one before the first cutoff\), e.g. \[\('y', 3\)\]"),
    "short for the window": ("ds,y\n" + "".join(f"2024-01-{d:02d},{d}\n" for d in range(1, 6)), r"no series has more than --h 3 points \(the longest, 'y', has 2\)"),
    "missing column": (GOOD.replace("ds,y", "date,sales,extra").replace(",5\n", ",5,1\n"), "missing"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_every_bad_input_exits_2_naming_the_culprit(tmp_path, capsys, case):
    content, message = BAD_FILES[case]
    f = tmp_path / "bad.csv"
    f.write_text(content)
    assert main(["forecast", str(f), "--h", "3", "--out", str(tmp_path / "o"), *FAST]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("seriespredictor: error: ") and len(err.splitlines()) == 1
    assert re.search(message, err), err


def test_broken_parquet_through_the_real_command(tmp_path):
    f = tmp_path / "bad.parquet"
    f.write_bytes(b"PAR1 not really")
    r = subprocess.run([sys.executable, "-m", "seriespredictor", "forecast", str(f), "--h", "3"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "could not read" in r.stderr and "bad.parquet" in r.stderr


# -- issue #12: every documented path works, and nothing is ever lost ------------------------------
def cli(*args, cwd=None, timeout=300, **kwargs):
    """The real command in a subprocess."""
    return subprocess.run([sys.executable, "-m", "seriespredictor", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, **kwargs)


def one_line_error(r, returncode=2) -> str:
    assert r.returncode == returncode, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("seriespredictor: error: "), r.stderr
    return lines[0]


NAMED = ["--id-col", "store", "--time-col", "date", "--target-col", "sales"]
TINY = ["--steps", "5", "--hidden-dim", "4"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fitted")
    assert main(["fit", str(write_panel(folder / "d.csv")), "--h", "5", "--out", str(folder / "m"), *TINY, "--quiet"]) == 0
    return folder / "m"


@pytest.mark.parametrize("command", [["forecast"], ["backtest", "--windows", "2"], ["backtest", "--windows", "2", "--refit"]])
def test_named_columns_and_refit_run_to_the_end(tmp_path, command):
    frame = pd.read_csv(write_panel(tmp_path / "d.csv")).rename(columns={"unique_id": "store", "ds": "date", "y": "sales"})
    frame.to_csv(tmp_path / "named.csv", index=False)
    r = cli(command[0], tmp_path / "named.csv", "--h", "7", *command[1:], *NAMED, "--out", tmp_path / "o", *TINY)
    assert r.returncode == 0, r.stderr
    written = pd.read_csv(tmp_path / "o" / f"{command[0]}.csv")
    assert {"store", "date", "LSTM"} <= set(written.columns) and written["LSTM"].notna().all()


@pytest.mark.parametrize("command", ["forecast", "backtest"])
def test_outputs_never_replace_the_input_data(tmp_path, command):
    data = write_panel(tmp_path / f"{command}.csv")
    before = data.read_bytes()
    message = one_line_error(cli(command, data.name, "--h", "7", "--out", ".", *TINY, cwd=tmp_path))
    assert "would write onto the input" in message
    message = one_line_error(cli(command, data.name, "--h", "7", "--out", ".", "--overwrite", *TINY, cwd=tmp_path))
    assert "would write onto the input" in message
    assert data.read_bytes() == before


def test_existing_outputs_need_overwrite(tmp_path, capsys):
    data = write_panel(tmp_path / "d.csv")
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "metrics.csv").write_text("mine")
    assert main(["forecast", str(data), "--h", "7", "--out", str(tmp_path / "o"), *TINY]) == 2
    assert "metrics.csv' already exists; pass --overwrite" in capsys.readouterr().err
    assert (tmp_path / "o" / "metrics.csv").read_text() == "mine"
    assert main(["forecast", str(data), "--h", "7", "--out", str(tmp_path / "o"), "--overwrite", *TINY]) == 0
    assert list(pd.read_csv(tmp_path / "o" / "metrics.csv", index_col=0).index) == ["LSTM", "Naive", "SeasonalNaive"]


def main_error(argv, capsys) -> str:
    """main() in this process, expected to fail with one line."""
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("seriespredictor: error: "), err
    return err


def test_predict_never_writes_into_the_model_nor_over_a_file(model_dir, tmp_path, capsys):
    config = model_dir / "config.json"
    before = config.read_bytes()
    assert "would write onto the input" in one_line_error(cli("predict", model_dir, "--out", config, "--overwrite"))
    assert "would write onto the input" in main_error(["predict", model_dir, "--out", config], capsys)
    assert "would write onto the input" in main_error(["predict", model_dir, "--out", model_dir / "new.csv"], capsys)
    assert config.read_bytes() == before and not (model_dir / "new.csv").exists()
    mine = tmp_path / "f.csv"
    mine.write_text("keep")
    assert "pass --overwrite" in main_error(["predict", model_dir, "--out", mine], capsys)
    assert mine.read_text() == "keep"
    assert main(["predict", str(model_dir), "--out", str(mine), "--overwrite"]) == 0
    assert len(pd.read_csv(mine)) == 10


def test_predict_from_new_data_as_a_real_command(model_dir, tmp_path):
    data = write_panel(tmp_path / "new.csv", n=90, ids=("a", "fresh"))
    r = cli("predict", model_dir, "--data", data, "--level", "80", "--h", "3")
    assert r.returncode == 0, r.stderr
    out = pd.read_csv(io.StringIO(r.stdout), parse_dates=["ds"])
    assert out["unique_id"].tolist() == ["a"] * 3 + ["fresh"] * 3
    assert (out["ds"].iloc[:3] == pd.date_range("2024-03-31", periods=3, freq="D")).all()  # after the 90 days given
    assert ((out["LSTM-lo-80"] < out["LSTM"]) & (out["LSTM"] < out["LSTM-hi-80"])).all()
    assert main(["predict", str(model_dir), "--data", str(data), "--level", "80", "--h", "3", "--out", str(tmp_path / "f.csv")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "f.csv", parse_dates=["ds"]), out)
    assert "'short' has 3 points, but the model reads the last" in one_line_error(
        cli("predict", model_dir, "--data", write_panel(tmp_path / "s.csv", n=3, ids=("short",))))
    assert "data file 'no.csv' does not exist" in one_line_error(cli("predict", model_dir, "--data", "no.csv"))


def test_predict_out_into_a_missing_folder_creates_it_and_onto_a_folder_fails(model_dir, tmp_path, capsys):
    assert main(["predict", str(model_dir), "--out", str(tmp_path / "new" / "f.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "new" / "f.csv")) == 10
    assert "is a folder" in main_error(["predict", model_dir, "--out", tmp_path], capsys)


def test_fit_over_a_folder_that_is_not_a_model_is_refused_before_training(tmp_path):
    data = write_panel(tmp_path / "d.csv")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    r = cli("fit", data, "--h", 3, "--out", tmp_path / "mine", "--overwrite", "--steps", 10**6, timeout=120)
    assert "exists and is not a seriespredictor model; refusing to replace it, choose another folder" in one_line_error(r)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_predict_out_dash_is_standard_output(model_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["predict", str(model_dir), "--out", "-"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "unique_id,ds,LSTM"
    assert not (tmp_path / "-").exists()


def test_a_write_that_fails_gives_one_line_and_leaves_no_partial_file(model_dir, tmp_path):
    import resource

    def small_files():  # the file-size limit makes every write past 100 bytes fail (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))

    target = tmp_path / "f.csv"
    message = one_line_error(cli("predict", model_dir, "--out", target, "--h", "50", preexec_fn=small_files))
    assert "file size limit" in message
    assert list(tmp_path.iterdir()) == []


def test_options_are_checked_before_reading_or_training(tmp_path):
    (tmp_path / "afile").write_text("x")
    message = one_line_error(cli("forecast", tmp_path / "missing.csv", "--h", "3", "--out", tmp_path / "afile" / "o"))
    assert "afile" in message and "not a folder" in message
    message = one_line_error(cli("backtest", tmp_path / "missing.csv", "--h", "3", "--level", "150", "--out", tmp_path / "o"))
    assert "--level" in message and "150" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def signal_and_wait(p: subprocess.Popen, sig) -> str:
    """Send ``sig`` to ``p`` and return its standard error. A command that missed the signal is
    killed when the test fails, not left training on a core for the rest of the suite."""
    try:
        p.send_signal(sig)
        return p.communicate(timeout=60)[1]
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()


@pytest.mark.parametrize("sig,returncode,word", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_a_signal_during_training_gives_one_line_and_leaves_nothing_half_written(tmp_path, sig, returncode, word):
    data = write_panel(tmp_path / "d.csv")
    ckpt = tmp_path / "ckpt"
    p = subprocess.Popen([sys.executable, "-m", "seriespredictor", "fit", str(data), "--h", "5", "--out", str(tmp_path / "m"),
                          "--steps", "1000000", "--hidden-dim", "8", "--checkpoint-dir", str(ckpt), "--checkpoint-every", "20"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (ckpt / "member-0").exists() and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)  # training is under way once its first checkpoint is there
    err = signal_and_wait(p, sig)
    assert p.returncode == returncode and err.strip() == f"seriespredictor: {word}", err
    assert not (tmp_path / "m").exists()
    assert not [f for f in tmp_path.rglob("*") if "tmp" in f.name], list(tmp_path.rglob("*"))


@pytest.mark.parametrize("loaded", ["seriespredictor.errors", "torch"])
@pytest.mark.parametrize("sig,returncode,word", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_a_signal_while_the_command_is_still_loading_gives_one_line(tmp_path, sig, returncode, word, loaded):
    """A KeyboardInterrupt raised inside torch's start-up once aborted the process (pybind11), and
    one raised in an import's callback was ignored and the command ran on."""
    p = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "seriespredictor", "forecast", "--out", str(tmp_path / "o")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:  # -X importtime reports each module once it is imported
        if line.split("|")[-1].strip() == loaded:
            break
    time.sleep(0.1)
    err = signal_and_wait(p, sig)  # the next modules are still loading (or, on a fast machine, the command has begun)
    lines = [line for line in err.splitlines() if not line.startswith("import time:")]
    assert p.returncode == returncode and lines == [f"seriespredictor: {word}"], err[-2000:]
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_command_started_ignoring_a_signal_runs_on_through_it(tmp_path, sig):
    """A shell script's background job starts with SIGINT ignored (as nohup ignores SIGHUP): it stays ignored."""
    p = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "seriespredictor", "fit", str(write_panel(tmp_path / "d.csv")),
                          "--h", "5", "--out", str(tmp_path / "m"), *TINY], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=lambda: signal.signal(sig, signal.SIG_IGN))
    for line in p.stderr:
        if line.split("|")[-1].strip() in ("torch", "seriespredictor.cli"):  # while loading, then once loaded
            p.send_signal(sig)
    p.wait(timeout=120)
    assert p.returncode == 0 and (tmp_path / "m").is_dir()


def test_errors_speak_in_cli_flags(tmp_path):
    f = tmp_path / "gap.csv"
    f.write_text(BAD_FILES["gap"][0])
    message = one_line_error(cli("forecast", f, "--h", "3", "--out", tmp_path / "o"))
    assert "--freq" in message and "--fill-missing interpolate" in message and "fill_missing=" not in message


def test_version_quiet_and_no_progress_bar_off_a_terminal(tmp_path, capsys):
    from seriespredictor import __version__

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"seriespredictor {__version__}"
    assert main(["fit", str(write_panel(tmp_path / "d.csv")), "--h", "5", "--out", str(tmp_path / "m"), *TINY, "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    r = cli("fit", tmp_path / "d.csv", "--h", "5", "--out", tmp_path / "m2", *TINY)
    assert r.stdout.startswith("model saved to") and r.stderr == ""  # stderr is a pipe: no bar


def test_writing_parquet_without_pyarrow_is_one_line(model_dir, tmp_path):
    fake = tmp_path / "fake" / "pyarrow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named pyarrow')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")])}
    message = one_line_error(cli("predict", model_dir, "--out", tmp_path / "f.parquet", env=env))
    assert "needs pyarrow" in message and "f.parquet" in message
    assert not (tmp_path / "f.parquet").exists()


def test_backtest_warns_when_the_lstm_loses_and_hints_at_a_random_walk_only_where_naive_wins(tmp_path, capsys):
    rng = np.random.default_rng(0)
    walk = pd.DataFrame({"Date": pd.date_range("2020-01-01", periods=120, freq="B"), "Close": 100 + rng.normal(0, 1, 120).cumsum()})
    walk.to_csv(tmp_path / "stock.csv", index=False)
    for data in (tmp_path / "stock.csv", write_panel(tmp_path / "d.csv")):
        assert main(["backtest", str(data), "--h", "5", "--windows", "2", "--out", str(tmp_path / data.stem), *TINY]) == 0
        mase = pd.read_csv(tmp_path / data.stem / "backtest_metrics.csv", index_col=0)["MASE"]
        err = capsys.readouterr().err
        assert ("does not beat the naive" in err) == (mase["LSTM"] >= mase["Naive"])
        assert ("does not beat the seasonal naive" in err) == (mase["LSTM"] >= mase["SeasonalNaive"])
        assert ("random walk" in err) == (mase["Naive"] < min(mase["LSTM"], mase["SeasonalNaive"]))


def test_predict_into_a_pipe_closed_early_stops_quietly(model_dir):
    p = subprocess.Popen([sys.executable, "-m", "seriespredictor", "predict", str(model_dir), "--h", "5000"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout.readline() == b"unique_id,ds,LSTM\n"
    p.stdout.close()  # as `| head -1` does
    err = p.stderr.read()
    assert p.wait(timeout=120) == 141 and err == b"", err


@pytest.mark.parametrize("quiet", [False, True])
def test_the_progress_bar_on_a_terminal_stays_after_the_fit_and_quiet_hides_it(tmp_path, quiet):
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    p = subprocess.Popen([sys.executable, "-m", "seriespredictor", "fit", str(write_panel(tmp_path / "d.csv")), "--h", "5",
                          "--out", str(tmp_path / "m"), *TINY, *(["--quiet"] if quiet else [])],
                         stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    shown = b""
    while chunk := _read_or_end(master):
        shown += chunk
    assert p.wait(timeout=120) == 0
    if quiet:
        assert shown == b""
    else:
        assert b"| 5/5 [" in shown and shown.endswith(b"step/s]\r\n"), shown[-200:]  # the finished bar, not erased


def _read_or_end(fd) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # the terminal's other side closed
        return b""


@pytest.mark.parametrize("content, options, expected", [
    ("ds,y\n2024-01-01,1\n2024-01-02,\n2024-01-03,3\n2024-01-04,4\n", [],
     "remove them or pass --fill-missing ffill, interpolate or zero (for NaN)"),
    ("DATE,sales\nJan-1-1995,1\nFeb-1-1995,2\nMar-1-1995,3\n", [],
     "pass --time-format with the format of its dates (e.g. '%d/%m/%Y'), or use"),
])
def test_cli_errors_name_flags_and_values_as_typed(tmp_path, content, options, expected):
    f = tmp_path / "d.csv"
    f.write_text(content)
    message = one_line_error(cli("forecast", f, "--h", "2", "--out", tmp_path / "o", *options))
    assert expected in message and "CLI" not in message and "'zero'" not in message


def test_the_forecast_span_is_printed_in_one_format(tmp_path, capsys):
    f = tmp_path / "half_hourly.csv"
    t = pd.date_range("2024-01-01", periods=480, freq="30min")
    pd.DataFrame({"timestamp": t, "demand": 100 + np.sin(np.arange(480) / 5)}).to_csv(f, index=False)
    assert main(["forecast", str(f), "--h", "48", "--out", str(tmp_path / "o"), *FAST]) == 0
    assert "48 steps per series (2024-01-11 00:00:00 .. 2024-01-11 23:30:00)" in capsys.readouterr().out


def test_a_series_too_short_to_train_is_told_what_the_cli_can_change(tmp_path):
    f = tmp_path / "short.csv"
    pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=96, freq="30min"), "y": np.arange(96.0) + 1}).to_csv(f, index=False)
    message = one_line_error(cli("forecast", f, "--h", "48", "--out", tmp_path / "o", *FAST))
    assert "use a smaller --h" in message and "val_size" not in message and "h=" not in message


def test_tune_keeps_the_settings_given_and_refuses_when_nothing_is_left_to_choose(tmp_path):
    data = write_panel(tmp_path / "d.csv")
    start = time.monotonic()
    r = cli("forecast", data, "--h", "7", "--tune", "--steps", "5", "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    chosen = next(line for line in r.stdout.splitlines() if line.startswith("chosen:"))
    assert "'hidden_dim'" in chosen and "'seq_size'" in chosen and "steps" not in chosen
    assert time.monotonic() - start < 120  # 6 candidates of 5 steps, not 500 and 1000
    message = one_line_error(cli("forecast", data, "--h", "7", "--tune", "--out", tmp_path / "p", *FAST, "--seq-size", "7"))
    assert "--tune chooses --seq-size, --hidden-dim and --steps, but all three are given" in message


def test_covariates_through_fit_predict_backtest_and_forecast_as_real_commands(tmp_path):
    """Known-future rows after the last target, a past-only column, a static and the calendar, from
    the command line: fit then predict (from the model's own future rows, or --futr-df), a backtest,
    and a forecast whose notes name them; flags that differ from the model's are refused."""
    rng = np.random.default_rng(0)
    frames = []
    for sid in ("a", "b"):
        promo = (rng.random(130) < 0.2).astype(float)
        y = 20 + 5 * promo + rng.normal(0, 0.2, 130)
        y[120:] = np.nan  # the 10 rows ahead: promo known, the target empty
        frames.append(pd.DataFrame({"unique_id": sid, "ds": pd.date_range("2024-01-01", periods=130, freq="D"), "y": y,
                                    "promo": promo, "temp": rng.normal(size=130), "region": sid.upper()}))
    data = tmp_path / "shop.csv"
    pd.concat(frames).to_csv(data, index=False)
    flags = ["--futr-exog", "promo", "--hist-exog", "temp", "--stat-exog", "region", "--calendar", "--steps", 20, "--ensemble", 1]
    assert cli("fit", data, "--h", 5, "--out", tmp_path / "m", *flags, timeout=120).returncode == 0
    r = cli("predict", tmp_path / "m", "--level", "80", "--calendar")
    assert r.returncode == 0, r.stderr
    out = pd.read_csv(io.StringIO(r.stdout), parse_dates=["ds"])
    assert len(out) == 10 and (out["ds"].iloc[:5] == pd.date_range("2024-04-30", periods=5, freq="D")).all()
    future = pd.concat(frames)[lambda f: f["y"].isna()][["unique_id", "ds", "promo"]]
    future.assign(promo=1.0).to_csv(tmp_path / "promo.csv", index=False)
    moved = pd.read_csv(io.StringIO(cli("predict", tmp_path / "m", "--futr-df", tmp_path / "promo.csv").stdout))
    assert not np.allclose(moved["LSTM"], out["LSTM"])  # every day a promotion: the values given are read
    assert "--futr-exog ['temp'] differs from the covariates this model was fitted with" in one_line_error(
        cli("predict", tmp_path / "m", "--futr-exog", "temp"))
    r = cli("backtest", data, "--h", 5, "--windows", 2, "--out", tmp_path / "bt", *flags, timeout=120)
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(tmp_path / "bt" / "backtest.csv")) == 2 * 2 * 5
    r = cli("forecast", data, "--h", 5, "--out", tmp_path / "fc", *flags, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "covariates: known ahead: promo; past only: temp; static: region; calendar: dayofweek, dayofyear" in r.stdout + r.stderr
    assert "no column 'price' (named in futr_exog)" in one_line_error(cli("fit", data, "--h", 5, "--out", tmp_path / "x",
                                                                        "--futr-exog", "price"))


def test_torch_running_out_of_memory_is_one_line_naming_the_sizes(tmp_path, capsys, monkeypatch):
    import seriespredictor.forecaster as forecaster

    def fail(*args, **kwargs):  # what torch raises on a CPU when an allocation fails
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] data. DefaultCPUAllocator: can't allocate memory: you tried to "
                           "allocate 31232020480 bytes. Error code 12 (Cannot allocate memory)")

    monkeypatch.setattr(forecaster, "train_ensemble", fail)
    data = write_panel(tmp_path / "d.csv")
    assert main(["fit", str(data), "--h", "5", "--seq-size", "30", "--out", str(tmp_path / "m"), *FAST]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("seriespredictor: error: not enough memory to train with --seq-size 30, --batch-size 32, --hidden-dim 8; "
                           "make one of them smaller")
    assert not (tmp_path / "m").exists()


def test_fit_says_how_many_missing_points_it_filled(tmp_path, capsys):
    days = pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=100, freq="D"), "y": 5 + np.sin(np.arange(100) / 3)})
    days.drop([40, 41]).to_csv(tmp_path / "gap.csv", index=False)
    assert main(["fit", str(tmp_path / "gap.csv"), "--h", "7", "--freq", "D", "--fill-missing", "interpolate",
                 "--out", str(tmp_path / "m"), *FAST]) == 0
    assert "filled 2 missing points with interpolate" in capsys.readouterr().out
