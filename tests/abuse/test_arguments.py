"""Every subcommand and every option, abused: exit 2 with one line, no traceback, nothing created."""

import argparse
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from seriespredictor.cli import main
from seriespredictor.cli.parser import build_parser

COUNTS = ["", " ", "abc", "0", "-1", "1.5", "nan", "inf", "1e999", "9" * 30]
BAD_VALUES = {
    "count": COUNTS,
    "seed": ["", "abc", "-1", "1.5", "nan", "9" * 30],
    "positive": ["", "abc", "0", "-1", "-0", "nan", "inf", "-inf", "1e999"],
    "percent": ["", "abc", "0", "100", "150", "-5", "nan", "inf"],
    "freq": ["", "0", "-1", "nan", "inf", "every day"],
    "device": ["", "xyz", "gpu", "cuda:x", "cpu0"],
    "choice": ["", "bogus"],
    "text": ["", " "],
    "history": ["", "0", "-1", "some", "nan"],
    "calendar": ["", " ", "bogus"],  # alone, --calendar takes the frequency's defaults
}
KIND = {
    "--h": "count", "--seq-size": "count", "--hidden-dim": "count", "--num-layers": "count", "--steps": "count",
    "--batch-size": "count", "--micro-batch-size": "count", "--season": "count", "--threads": "count",
    "--windows": "count", "--step-size": "count", "--checkpoint-every": "count", "--chunk-size": "count",
    "--ensemble": "count", "--time-budget": "positive",
    "--seed": "seed", "--lr": "positive", "--timeout": "positive", "--level": "percent", "--freq": "freq",
    "--device": "device", "--head": "choice", "--precision": "choice", "--fill-missing": "choice",
    "--aggregate-duplicates": "choice", "--id-col": "text", "--time-col": "text", "--target-col": "text",
    "--time-format": "text", "--out": "text", "--checkpoint-dir": "text", "--plot-ids": "text", "--plot-history": "history",
    "--data": "text", "--onnx": "text", "--host": "text", "--port": "count",
    "--futr-exog": "text", "--hist-exog": "text", "--stat-exog": "text", "--calendar": "calendar", "--holidays": "text",
    "--futr-df": "text", "--static-df": "text",
}
POSITIONAL = {"forecast": [], "backtest": [], "fit": ["d.csv", "--out", "m"], "predict": ["m"], "update": ["m", "d.csv", "--out", "m2"],
              "export": ["m", "--onnx", "m.onnx"], "serve": ["m"]}
COMMANDS = {name: p for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction) for name, p in a.choices.items()}


def options(kind_of_value: bool):
    """(command, flag) for every option that takes a value (or, with False, every on/off flag)."""
    for name, p in COMMANDS.items():
        for a in p._actions:
            if a.option_strings and a.option_strings[0] != "-h" and (a.nargs != 0) == kind_of_value:
                yield name, a.option_strings[-1]


def run(argv, capsys, tmp_path, monkeypatch) -> str:
    """main() in this process; returns its one error line after checking the exit code and that nothing was created."""
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err.strip()
    assert code == 2, (argv, code, err)
    assert len(err.splitlines()) == 1 and err.startswith("seriespredictor: error: "), err
    assert sorted(tmp_path.rglob("*")) == before, argv
    return err


def test_every_option_has_a_kind():
    assert {flag for _, flag in options(True)} == set(KIND)


@pytest.mark.parametrize("command,flag", sorted(set(options(True))))
def test_every_bad_value_of_every_option(command, flag, capsys, tmp_path, monkeypatch):
    for value in BAD_VALUES[KIND[flag]]:
        err = run([command, *POSITIONAL[command], flag, value], capsys, tmp_path, monkeypatch)
        assert flag in err, err
    if KIND[flag] != "calendar":
        err = run([command, *POSITIONAL[command], flag], capsys, tmp_path, monkeypatch)  # the value missing
        assert flag in err and "expected" in err, err


@pytest.mark.parametrize("command,flag", sorted(set(options(False))))
def test_on_off_flags_take_no_value(command, flag, capsys, tmp_path, monkeypatch):
    assert "ignored explicit argument" in run([command, *POSITIONAL[command], f"{flag}=yes"], capsys, tmp_path, monkeypatch)


@pytest.mark.parametrize("argv,message", [
    ([], "required: command"),
    (["bogus"], "invalid choice: 'bogus'"),
    (["forecast", "a.csv", "b.csv"], "unrecognized arguments: b.csv"),
    (["forecast", "--bogus"], "unrecognized arguments: --bogus"),
    (["fit"], "required: data, --out"),
    (["predict"], "required: model"),
    (["fit", "d.csv", "--out", "m", "--resume"], "--resume needs --checkpoint-dir"),
    (["forecast", "--batch-size", "4", "--micro-batch-size", "8"], "--micro-batch-size 8 is larger than --batch-size 4"),
])
def test_missing_unknown_and_conflicting_arguments(argv, message, capsys, tmp_path, monkeypatch):
    assert message in run(argv, capsys, tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A data file and a model fitted on it (5 steps), shared by the path tests."""
    folder = tmp_path_factory.mktemp("abuse")
    t = np.arange(60)
    pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=60, freq="D"), "y": 10 + np.sin(t)}).to_csv(folder / "d.csv", index=False)
    assert main(["fit", str(folder / "d.csv"), "--h", "3", "--out", str(folder / "m"), "--steps", "5", "--hidden-dim", "4", "--quiet"]) == 0
    return folder


PATHS = [
    (["forecast", "{d}", "--h", "3", "--out", "{d}"], "would write onto the input"),
    (["forecast", "{d}", "--h", "3", "--out", "{m}/config.json"], "is a file; give a folder name"),
    (["forecast", "{d}", "--h", "3", "--out", "{d}/o"], "is a file, not a folder"),
    (["backtest", "{d}", "--h", "3", "--out", "{m}/config.json"], "is a file; give a folder name"),
    (["forecast", "{d}", "--h", "3", "--out", "/proc/no/such/place"], "cannot write"),
    (["backtest", "{d}", "--h", "3", "--out", "{d}", "--overwrite"], "would write onto the input"),
    (["fit", "{d}", "--h", "3", "--out", "{d}"], "would write onto the input"),
    (["fit", "{d}", "--h", "3", "--out", "{d}", "--overwrite"], "would write onto the input"),
    (["fit", "{d}", "--h", "3", "--out", "{m}"], "already exists; pass --overwrite"),
    (["fit", "{d}", "--h", "3", "--out", "{d}/m"], "is a file, not a folder"),
    (["fit", "{x}", "--h", "3", "--out", "new"], "does not exist"),
    (["fit", "{d}", "--h", "3", "--out", "new", "--checkpoint-dir", "{d}"], "--checkpoint-dir '{d}' would write onto the input"),
    (["fit", "{d}", "--h", "3", "--out", "new", "--checkpoint-dir", "{d}/c"], "is a file, not a folder"),
    (["fit", "{d}", "--h", "3", "--out", "new", "--checkpoint-dir", "new"], "is or is inside the --out folder"),
    (["fit", "{d}", "--h", "3", "--out", "new", "--checkpoint-dir", "new/ck"], "is or is inside the --out folder 'new'"),  # else it trains, then cannot save
    (["forecast", "{x}", "--h", "3"], "does not exist"),
    (["forecast", "{d}", "--h", "3", "--season", "1000"], "--season 1000 is not shorter than the history"),
    (["forecast", "{d}", "--h", "3", "--plot-ids", "y", "nope"], "--plot-ids ['nope'] not found in the data"),
    (["backtest", "{d}", "--h", "3", "--windows", "50"], "too short for 50 windows of --h 3"),
    (["predict", "{x}"], "no model at"),
    (["predict", "{d}"], "is not a seriespredictor model"),
    (["predict", "{m}", "--out", "{m}"], "would write onto the input"),
    (["predict", "{m}", "--out", "{m}/config.json", "--overwrite"], "would write onto the input"),
    (["predict", "{m}", "--out", "{m}/weights.safetensors", "--overwrite"], "would write onto the input"),
    (["predict", "{m}", "--out", "{d}"], "already exists; pass --overwrite"),
    (["predict", "{m}", "--out", "{folder}"], "is a folder"),
    (["predict", "{m}", "--out", "{d}/f.csv"], "is a file, not a folder"),
]


@pytest.mark.parametrize("argv,message", PATHS)
def test_bad_paths_and_values_beyond_the_data(argv, message, files, capsys, tmp_path, monkeypatch):
    values = dict(d=files / "d.csv", m=files / "m", x=tmp_path / "missing.csv", folder=tmp_path)
    before = {p: p.read_bytes() for p in files.rglob("*") if p.is_file()}
    err = run([a.format(**values) for a in argv] + ["--steps", "5"] * (argv[0] != "predict"), capsys, tmp_path, monkeypatch)
    assert message.format(**values) in err, err
    assert {p: p.read_bytes() for p in files.rglob("*") if p.is_file()} == before


def test_a_real_subprocess_prints_no_usage_block_and_no_traceback():
    r = subprocess.run([sys.executable, "-m", "seriespredictor", "backtest", "--windows", "0"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == "seriespredictor: error: argument --windows: '0' must be a positive integer (at most 1000000) (see 'seriespredictor backtest --help')\n"


def test_every_help_runs_and_names_the_outputs(capsys):
    for argv in ([], *([name] for name in COMMANDS)):
        with pytest.raises(SystemExit) as e:
            main([*argv, "--help"])
        assert e.value.code == 0
        text = capsys.readouterr().out
        assert "usage: seriespredictor" in text
    for name in ("forecast", "backtest", "predict", "fit"):
        assert "--overwrite" in COMMANDS[name].format_help()
