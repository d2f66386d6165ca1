"""Faults while a model is written: the old model stays loadable, no temporary is left behind.

Full disks and read-only folders are real where this process may mount a tmpfs (root), and
simulated at the ``os.write`` level otherwise; signals hit a real subprocess at each write step.
"""

import errno
import os
import signal
import stat
import subprocess
import sys
import textwrap
from contextlib import contextmanager

import numpy as np
import pytest

import torch

import seriespredictor.persistence as persistence
from conftest import BOOK_TEST_X, BOOK_X, BOOK_Y, run_python
from seriespredictor import SeriesPredictor
from seriespredictor.persistence import load_model, save_model


@pytest.fixture(scope="module")
def models():
    """Two small fitted predictors: the one already saved ("old") and the one saved over it."""
    return {name: SeriesPredictor(1, 4, 16, steps=2, seed=seed).fit(BOOK_X, BOOK_Y) for name, seed in (("old", 0), ("new", 1))}


def predictions(path):
    return SeriesPredictor.load(path).predict(BOOK_TEST_X)


def assert_old_model_intact(path, models):
    np.testing.assert_array_equal(predictions(path), models["old"].predict(BOOK_TEST_X))
    assert leftovers(path) == []


def leftovers(path):
    return sorted(f for f in os.listdir(path.parent) if f.startswith("."))


@contextmanager
def tmpfs(where, size: str):
    """A real small filesystem at ``where``; skips the test where mounting is not allowed."""
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.decode().strip()})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def test_full_disk_real(tmp_path, models):
    with tmpfs(tmp_path / "small", "64k") as disk:
        path = disk / "model"
        models["old"].save(path)
        big = SeriesPredictor(1, 4, 64, steps=1, seed=0).fit(BOOK_X, BOOK_Y)  # ~70 kB of weights
        with pytest.raises(OSError, match="No space left on device") as info:
            big.save(path, overwrite=True)
        assert info.value.errno == errno.ENOSPC and f"cannot save the model to {str(path)!r}" in str(info.value)
        assert_old_model_intact(path, models)


def test_read_only_folder_real(tmp_path, models):
    with tmpfs(tmp_path / "ro", "1m") as disk:
        path = disk / "model"
        models["old"].save(path)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        with pytest.raises(OSError, match="Read-only file system") as info:
            models["new"].save(path, overwrite=True)
        assert str(disk) in str(info.value)
        assert_old_model_intact(path, models)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO, errno.EDQUOT])
def test_a_failing_write_keeps_the_old_model(tmp_path, models, monkeypatch, code):
    path = tmp_path / "model"
    models["old"].save(path)
    real_write = os.write

    def write(fd, data):  # the model files' writes fail after a few bytes, as on a full disk
        if ".model.tmp-" in os.readlink(f"/proc/self/fd/{fd}"):
            real_write(fd, bytes(data[:10]))
            raise OSError(code, os.strerror(code))
        return real_write(fd, data)

    monkeypatch.setattr(persistence.os, "write", write)
    with pytest.raises(OSError) as info:
        models["new"].save(path, overwrite=True)
    monkeypatch.undo()
    assert info.value.errno == code
    assert_old_model_intact(path, models)


def test_file_size_limit(tmp_path, models):
    # Python ignores SIGXFSZ, so a write past RLIMIT_FSIZE raises EFBIG instead of killing.
    path = tmp_path / "model"
    models["old"].save(path)
    big = tmp_path / "big"
    SeriesPredictor(1, 4, 64, steps=1, seed=0).fit(BOOK_X, BOOK_Y).save(big)
    code = textwrap.dedent(f"""
        import resource, sys
        from seriespredictor import SeriesPredictor
        model = SeriesPredictor.load({str(big)!r})
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
        try:
            model.save({str(path)!r}, overwrite=True)
        except OSError as e:
            print(e.errno, e)
    """)
    r = run_python("-c", code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{errno.EFBIG} ") and "File too large" in r.stdout
    assert_old_model_intact(path, models)


def test_a_path_that_is_a_file(tmp_path, models):
    (tmp_path / "model").write_text("my notes")
    with pytest.raises(FileExistsError, match="model' exists and is not a seriespredictor model"):
        models["new"].save(tmp_path / "model", overwrite=True)
    assert (tmp_path / "model").read_text() == "my notes" and leftovers(tmp_path / "model") == []


def test_a_parent_that_is_a_file(tmp_path, models):
    (tmp_path / "notes").write_text("my notes")
    with pytest.raises(OSError, match="notes"):
        models["new"].save(tmp_path / "notes" / "model")
    assert (tmp_path / "notes").read_text() == "my notes"


def test_a_missing_parent_is_created(tmp_path, models):
    models["new"].save(tmp_path / "a" / "b" / "model")
    np.testing.assert_array_equal(predictions(tmp_path / "a" / "b" / "model"), models["new"].predict(BOOK_TEST_X))


def test_a_failed_checkpoint_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "member-0"
    save_model(path, "Checkpoint", {"w": torch.ones(2)}, {"loop": {"step": 1}}, overwrite=True)

    def full(folder, meta):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder))

    monkeypatch.setattr(persistence, "_write_config", full)
    with pytest.raises(OSError, match="No space left"):
        save_model(path, "Checkpoint", {"w": torch.zeros(2)}, {"loop": {"step": 2}}, overwrite=True)
    assert load_model(path, "Checkpoint")[1]["loop"]["step"] == 1 and leftovers(path) == []


# -- signals at every step of a replace --------------------------------------------------------
# The child pauses at step K (before or after one of the write steps of persistence and atomic), says so on
# stdout, and waits for the test's signal. It installs the CLI's SIGTERM handler.
CHILD = textwrap.dedent("""
    import os, signal, sys, time
    import seriespredictor.atomic as atomic
    import seriespredictor.persistence as p
    from seriespredictor import SeriesPredictor

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    name, when = os.environ["PAUSE_AT"].split(":")
    # rmtree: the cleanup, which holds signals back until done
    owner = {"rmtree": atomic.shutil, "_clean_stale": atomic, "_publish": atomic}.get(name, p)
    real = getattr(owner, name)

    def pause():
        print("paused", flush=True)
        end = time.monotonic() + 60
        while time.monotonic() < end and not (name == "rmtree" and signal.sigpending()):  # held back: pending
            time.sleep(0.01)

    def step(*args, **kwargs):
        if when == "before":
            pause()
        out = real(*args, **kwargs)
        if when == "after":
            pause()
        return out

    setattr(owner, name, step)
    SeriesPredictor.load(sys.argv[1]).save(sys.argv[2], overwrite=True)
    print("finished", flush=True)
""")
STEPS = ["_clean_stale:after", "_write_weights:after", "_write_config:after", "_publish:before", "_publish:after", "rmtree:before"]
SIGNALS = {"SIGINT": (signal.SIGINT, -signal.SIGINT), "SIGTERM": (signal.SIGTERM, 143), "SIGKILL": (signal.SIGKILL, -signal.SIGKILL)}


@pytest.mark.parametrize("sig", SIGNALS)
def test_a_signal_at_each_write_step_leaves_the_old_or_the_new_model(tmp_path, models, sig):
    new = tmp_path / "new"
    models["new"].save(new)
    paths = {step: tmp_path / f"at-{step.replace(':', '-').strip('_')}" / "model" for step in STEPS}
    children = {}
    try:
        for step, path in paths.items():  # one child per step, all at once: their imports overlap
            models["old"].save(path)
            children[step] = subprocess.Popen([sys.executable, "-c", CHILD, str(new), str(path)], stdout=subprocess.PIPE,
                                              stderr=subprocess.DEVNULL, text=True, env=dict(os.environ, PAUSE_AT=step))
        for step, child in children.items():
            assert child.stdout.readline() == "paused\n", step
            child.send_signal(SIGNALS[sig][0])
            assert child.wait(timeout=60) == SIGNALS[sig][1], step
    finally:
        for child in children.values():
            child.kill()
            child.wait()
    for step, path in paths.items():
        got = predictions(path)
        assert any(np.array_equal(got, models[m].predict(BOOK_TEST_X)) for m in ("old", "new")), step
        if sig == "SIGKILL":  # a dead process cannot clean up: its leftover is never read, the next save removes it
            models["new"].save(path, overwrite=True)
        assert leftovers(path) == [], step


# -- forecast outputs: predict_to and the CLI's files ----------------------------------------------
@pytest.fixture(scope="module")
def panel_model(tmp_path_factory):
    """A small fitted Forecaster over 40 series."""
    import pandas as pd

    from seriespredictor import Forecaster

    data = pd.DataFrame({"unique_id": np.repeat([f"s{i}" for i in range(40)], 30),
                         "ds": np.tile(pd.date_range("2020-01-01", periods=30, freq="D"), 40),
                         "y": np.tile(10.0 + np.arange(30) % 7, 40) + np.repeat(np.arange(40), 30)})
    return Forecaster(ensemble=1, refit=False, h=3, seq_size=7, hidden_dim=4, steps=2, seed=0).fit(data)


@pytest.fixture(scope="module")
def panel_model_dir(tmp_path_factory, panel_model):
    return panel_model.save(tmp_path_factory.mktemp("panel") / "model")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_two_predictions_into_one_file_at_once(tmp_path, panel_model, suffix):
    """Each writer has its own temporary file: both finish, the file holds one whole forecast."""
    import threading

    import pandas as pd

    pytest.importorskip("pyarrow")
    out, errors = tmp_path / f"forecast{suffix}", []

    def write():
        try:
            panel_model.predict_to(out, chunk_size=1)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = pd.read_csv(out, parse_dates=["ds"]) if suffix == ".csv" else pd.read_parquet(out)
    pd.testing.assert_frame_equal(got, panel_model.predict(), check_dtype=False)
    assert leftovers(out) == []


def test_a_killed_prediction_leaves_a_temporary_that_the_next_one_removes(tmp_path, panel_model):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    out = tmp_path / "forecast.csv"
    (tmp_path / f".forecast.csv.tmp-{int(dead.stdout)}-0a1b2c3d").write_text("unique_id,ds,LSTM\ns0,2020-")
    panel_model.predict_to(out)
    assert leftovers(out) == []


@pytest.mark.parametrize("special", ["fifo", "device"])
def test_a_fifo_or_device_is_never_replaced_by_a_forecast(tmp_path, panel_model, panel_model_dir, special):
    from seriespredictor import SeriesValidationError

    out = tmp_path / "out.csv"
    if special == "fifo":
        os.mkfifo(out)
    else:
        try:
            os.mknod(out, 0o644 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
        except PermissionError:
            pytest.skip("creating a device needs root")
    r = run_python("-m", "seriespredictor", "predict", str(panel_model_dir), "--out", str(out), "--overwrite", "--quiet")
    assert r.returncode == 2 and "is not a regular file" in r.stderr, r.stderr
    with pytest.raises(SeriesValidationError, match="not a regular file"):
        panel_model.predict_to(out)
    assert not stat.S_ISREG(os.lstat(out).st_mode)


def test_an_output_that_is_a_symlink_is_written_through(tmp_path, panel_model):
    """The link stays a link; the file it points to gets the forecast (as the shell's ``>`` does)."""
    import pandas as pd

    (tmp_path / "real.csv").write_text("old\n")
    (tmp_path / "link.csv").symlink_to("real.csv")
    (tmp_path / "dangling.csv").symlink_to("new.csv")
    for name in ("link.csv", "dangling.csv"):
        panel_model.predict_to(tmp_path / name)
        assert (tmp_path / name).is_symlink()
    for name in ("real.csv", "new.csv"):
        assert len(pd.read_csv(tmp_path / name)) == 3 * 40
    assert leftovers(tmp_path / "real.csv") == []


def test_a_full_disk_replaces_no_forecast_output_and_names_the_file(tmp_path, panel_model_dir):
    import pandas as pd

    data = tmp_path / "air.csv"
    pd.DataFrame({"Month": pd.date_range("1949-01-01", periods=60, freq="MS"), "Passengers": 100.0 + np.arange(60) % 12 + np.arange(60)}).to_csv(data, index=False)
    with tmpfs(tmp_path / "disk", "200k") as disk:
        old = {name: f"old {name}\n".encode() for name in ("forecast.csv", "metrics.csv", "holdout.csv", "forecast.png")}
        (disk / "o").mkdir()
        for name, content in old.items():
            (disk / "o" / name).write_bytes(content)
        (disk / "filler").write_bytes(b"\0" * 150_000)
        r = run_python("-m", "seriespredictor", "forecast", str(data), "--h", "6", "--steps", "2", "--hidden-dim", "4",
                       "--out", str(disk / "o"), "--overwrite", "--quiet")
        assert r.returncode == 2 and f"{str(disk / 'o')}/forecast" in r.stderr and "No space left" in r.stderr, r.stderr
        assert {p.name: p.read_bytes() for p in (disk / "o").iterdir()} == old  # all old, no temporaries
        r = run_python("-m", "seriespredictor", "predict", str(panel_model_dir), "--h", "1000", "--out", str(disk / "f.csv"), "--quiet")
        assert r.returncode == 2 and f"error: {str(disk / 'f.csv')!r}: No space left" in r.stderr, r.stderr
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "o"]
