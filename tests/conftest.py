import os
import signal
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# Tests train tiny models; one thread keeps them fast and repeatable on small CI machines, and lets
# `-n auto` (README) run one test process per core without oversubscribing. Set before torch is
# imported; pytest-xdist's workers and every subprocess inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# A shell that starts a job in the background (`cmd &`) starts it with Ctrl-C ignored, and an
# ignored signal stays ignored in every child: the tests that interrupt a command would then find
# it deaf. Python's own handler here is reset to the default in each child, as in a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

BOOK_X = [[[1], [2], [5], [6]], [[5], [7], [7], [8]], [[3], [4], [5], [7]]]
BOOK_Y = [[1, 3, 7, 11], [5, 12, 14, 15], [3, 7, 9, 12]]
BOOK_TEST_X = [[[1], [2], [3], [4]], [[4], [5], [6], [7]]]
BOOK_EXPECTED = [[1, 3, 5, 7], [4, 9, 11, 13]]


@pytest.fixture(autouse=True)
def _in_a_folder_of_its_own(tmp_path, monkeypatch):
    """Every test runs in its own empty folder: what a command writes by default (./out) never
    lands in the checkout, and what a user left there (an earlier `seriespredictor forecast`)
    never changes a test."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"benchmark data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def model_dir(tmp_path):
    """A small SeriesPredictor saved at ``tmp_path / "model"``."""
    from seriespredictor import SeriesPredictor

    path = tmp_path / "model"
    SeriesPredictor(1, 4, 4, steps=5, seed=0).fit(BOOK_X, BOOK_Y).save(path)
    return path


def run_python(*args, cwd=None, timeout=120):
    """Run a Python subprocess with this interpreter, returning the CompletedProcess."""
    import subprocess

    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def edit_config(model_dir, edit) -> None:
    """Tamper with a model's config.json the way a careful attacker would: apply ``edit`` to the
    parsed config, then re-sign both checksums so only the field checks can catch it."""
    import hashlib
    import json

    path = Path(model_dir) / "config.json"
    config = json.loads(path.read_text())
    edit(config)
    config["weights_sha256"] = hashlib.sha256((Path(model_dir) / "weights.safetensors").read_bytes()).hexdigest()
    body = {k: v for k, v in config.items() if k != "config_sha256"}
    config["config_sha256"] = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    path.write_text(json.dumps(config))
