"""Every shell command and Python block of the README, and every example of ``--help``, runs as
written (with shorter training, below): the examples cannot rot.

The commands run in one temporary folder, in the README's order, with the data files they name
made here first. Only the commands listed in ``NOT_RUN`` are left out, each for a stated reason,
and each entry must still match a command of the README.

What trains, trains briefly: ``FAST`` is added to each command that trains and to each
``Forecaster(`` of a Python block. The examples use the defaults (five networks of 1,500 steps or
more, each trained twice), which took minutes of CI here and test nothing that a short training
does not; tests/test_forecaster.py trains the airline defaults in full and checks their accuracy.
"""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

# Commands run elsewhere or not runnable on one machine: (pattern, reason).
NOT_RUN = [
    (r"python3 -m pytest", "it is this test suite; .ci/run runs it"),
    (r"--nnodes=2", "needs a second machine"),
    (r"download\.pytorch\.org", "PyTorch's package index is not reachable from CI machines"),
    (r"^python3 -m pip install \.$", "installs the package again over the one under test"),
]
# Settings added to the examples that train (see the module docstring): two networks keep the ensemble's path.
FAST = {"steps": 30, "ensemble": 2}
TRAINS = re.compile(r"\bseriespredictor (forecast|backtest|fit)\b")
# Set-up commands: the environment already has them, so only what follows '&&' runs.
SETUP = re.compile(r"^python3 -m pip install [^&]*&&\s*")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", README.read_text(), flags=re.S | re.M)


def _commands() -> list[str]:
    commands = []
    for block in _blocks("bash"):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.split(" #")[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def _runnable(command: str) -> bool:
    return not any(re.search(pattern, command) for pattern, _ in NOT_RUN)


def _fast(command: str) -> str:
    """``command`` with ``FAST``'s flags added where it trains."""
    flags = "".join(f" --{k} {v}" for k, v in FAST.items())
    return command + flags if TRAINS.search(command) else command


def _sales() -> pd.DataFrame:
    t = np.arange(150)
    return pd.concat([
        pd.DataFrame({"unique_id": sid, "ds": pd.date_range("2024-01-01", periods=len(t), freq="D"),
                      "y": 50 + 5 * k + 3 * np.sin(2 * np.pi * t / 7) + 0.1 * t})
        for k, sid in enumerate(["store_1", "store_2", "store_3", "store_4"])
    ])


def _electricity() -> pd.DataFrame:
    """Two hourly series driven by a known-future load forecast, with its 24 values ahead (price empty)."""
    t = np.arange(24 * 20 + 24)
    load = 100 + 20 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(0).normal(0, 5, len(t))
    frames = [pd.DataFrame({"unique_id": sid, "ds": pd.date_range("2024-01-01", periods=len(t), freq="h"),
                            "y": np.where(t < 24 * 20, 10 + k + 0.3 * load, np.nan), "load_forecast": load}) for k, sid in enumerate(["A", "B"])]
    return pd.concat(frames)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder holding every data file the README's commands and Python blocks name."""
    d = tmp_path_factory.mktemp("readme")
    frame = _sales()
    frame.to_csv(d / "sales.csv", index=False)
    frame.assign(ds=frame["ds"] + pd.Timedelta(days=7)).to_csv(d / "sales-this-week.csv", index=False)  # a week later
    frame.rename(columns={"unique_id": "store", "ds": "date", "y": "sales"}).to_csv(d / "stores.csv", index=False)
    days = pd.bdate_range("2023-01-02", periods=260)
    days = days[~days.isin(pd.to_datetime(["2023-01-16", "2023-02-20", "2023-05-29", "2023-07-04"]))]  # holidays
    close = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, len(days))))
    pd.DataFrame({"Date": days, "Close": close}).to_csv(d / "prices.csv", index=False)
    frame.to_parquet(d / "panel.parquet", index=False)
    frame.to_parquet(d / "big.parquet", index=False)
    _electricity().to_csv(d / "electricity.csv", index=False)
    return d


def test_every_not_run_entry_matches_a_readme_command():
    for pattern, reason in NOT_RUN:
        assert any(re.search(pattern, c) for c in _commands()), f"stale NOT_RUN entry {pattern!r} ({reason})"


def test_the_readme_has_examples_to_run():
    assert len([c for c in _commands() if _runnable(c)]) >= 3
    assert len(_blocks("python")) >= 2


@pytest.mark.parametrize("command", [c for c in _commands() if _runnable(c)])
def test_shell_command(command, workdir):
    r = subprocess.run(_fast(SETUP.sub("", command)), shell=True, cwd=workdir, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{command}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    assert "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_python_block(index, workdir):
    settings = "".join(f"{k}={v}, " for k, v in FAST.items())
    code = re.sub(r"\bForecaster\(", f"Forecaster({settings}", _blocks("python")[index])
    r = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{code}\n{r.stderr[-3000:]}"


def _help_examples() -> list[str]:
    from seriespredictor.cli import EXAMPLES

    return [line.split(" #")[0].strip() for line in EXAMPLES.splitlines()[1:] if line.strip()]


@pytest.fixture(scope="module")
def help_workdir(tmp_path_factory) -> Path:
    """The files ``--help``'s examples name (its panel.parquet has columns of its own)."""
    d = tmp_path_factory.mktemp("help")
    _sales().to_csv(d / "sales.csv", index=False)
    _sales().assign(unique_id=lambda f: "new-" + f["unique_id"]).to_csv(d / "new.csv", index=False)
    _sales().rename(columns={"unique_id": "store", "ds": "date", "y": "sales"}).to_parquet(d / "panel.parquet", index=False)
    _sales().to_parquet(d / "big.parquet", index=False)
    _electricity().to_csv(d / "electricity.csv", index=False)
    return d


@pytest.mark.parametrize("command", _help_examples())
def test_help_example(command, help_workdir):
    r = subprocess.run(_fast(command), shell=True, cwd=help_workdir, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{command}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    assert "Traceback" not in r.stderr, r.stderr
