import os
import signal

import numpy as np
import pytest

import seriespredictor.atomic as atomic
from conftest import BOOK_TEST_X, BOOK_X, BOOK_Y, run_python
from seriespredictor import SeriesPredictor, SeriesValidationError
from seriespredictor.atomic import atomic_output
from seriespredictor.persistence import WEIGHTS


def test_a_save_killed_midway_leaves_the_old_model_loadable(model_dir):
    # The child replaces the model but is killed right after writing the weights of the new one.
    code = f"""
import os, signal, sys
from seriespredictor import SeriesPredictor
import seriespredictor.persistence as p
real = p._write_weights
def save_then_die(*a, **k):
    real(*a, **k)
    os.kill(os.getpid(), signal.SIGKILL)
p._write_weights = save_then_die
SeriesPredictor(1, 4, 4, steps=5, seed=3).fit({BOOK_X!r}, {BOOK_Y!r}).save(sys.argv[1], overwrite=True)
"""
    before = SeriesPredictor.load(model_dir).predict(BOOK_TEST_X)
    r = run_python("-c", code, str(model_dir))
    assert r.returncode == -signal.SIGKILL
    assert np.array_equal(SeriesPredictor.load(model_dir).predict(BOOK_TEST_X), before)


def _dead_pid() -> int:
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_stale_temporaries_are_never_loaded_and_the_next_save_removes_them(model_dir):
    import shutil

    dead, alive = _dead_pid(), os.getpid()
    for name in (f".model.tmp-{dead}", f".model.tmp-{dead}-1a2b", f".model.old-{dead}", f".model.tmp-{alive}-99"):
        shutil.copytree(model_dir, model_dir.parent / name)
    (model_dir.parent / f".model.tmp-{dead}" / WEIGHTS).write_bytes(b"half a file")
    before = SeriesPredictor.load(model_dir).predict(BOOK_TEST_X)
    SeriesPredictor(1, 4, 4, steps=2, seed=5).fit(BOOK_X, BOOK_Y).save(model_dir, overwrite=True)
    assert not np.array_equal(SeriesPredictor.load(model_dir).predict(BOOK_TEST_X), before)
    # A live process's temporary may be a save in progress: it is left alone.
    assert sorted(f for f in os.listdir(model_dir.parent) if f.startswith(".")) == [f".model.tmp-{alive}-99"]


def test_an_old_model_left_by_a_crash_in_the_fallback_replace_is_put_back(model_dir):
    before = SeriesPredictor.load(model_dir).predict(BOOK_TEST_X)
    old = model_dir.parent / f".model.old-{_dead_pid()}"
    os.rename(model_dir, old)  # the crash came between the fallback's two renames
    with pytest.raises(FileExistsError):
        SeriesPredictor(1, 4, 4, steps=2, seed=5).fit(BOOK_X, BOOK_Y).save(model_dir)
    assert np.array_equal(SeriesPredictor.load(model_dir).predict(BOOK_TEST_X), before)
    assert not old.exists()


def test_without_rename_exchange_the_fallback_replaces_the_model(model_dir, monkeypatch):
    monkeypatch.setattr(atomic, "_renameat2", lambda *a: False)  # a filesystem without renameat2
    new = SeriesPredictor(1, 4, 4, steps=2, seed=5).fit(BOOK_X, BOOK_Y)
    new.save(model_dir, overwrite=True)
    assert np.array_equal(SeriesPredictor.load(model_dir).predict(BOOK_TEST_X), new.predict(BOOK_TEST_X))
    assert [f for f in os.listdir(model_dir.parent) if f.startswith(".")] == []


def test_threads_saving_to_one_path_at_once(model_dir):
    from concurrent.futures import ThreadPoolExecutor

    models = [SeriesPredictor(1, 4, 4, steps=2, seed=s).fit(BOOK_X, BOOK_Y) for s in (5, 6)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda i: models[i % 2].save(model_dir, overwrite=True), range(20)))
    got = SeriesPredictor.load(model_dir).predict(BOOK_TEST_X)
    assert any(np.array_equal(got, m.predict(BOOK_TEST_X)) for m in models)
    assert [f for f in os.listdir(model_dir.parent) if f.startswith(".")] == []


def test_an_output_is_the_old_or_the_new_file_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "forecast.csv"
    out.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(out) as tmp:
            tmp.write_text("half")
            raise RuntimeError("the writer failed midway")
    assert out.read_text() == "old" and os.listdir(tmp_path) == ["forecast.csv"]
    with atomic_output(out) as tmp:
        tmp.write_text("new")
        assert out.read_text() == "old"
    assert out.read_text() == "new" and os.listdir(tmp_path) == ["forecast.csv"]


def test_an_output_refuses_to_replace_a_folder(tmp_path):
    (tmp_path / "results").mkdir()
    with pytest.raises(SeriesValidationError, match="exists and is not a regular file"):
        with atomic_output(tmp_path / "results"):
            pass
    assert (tmp_path / "results").is_dir()


def test_a_signal_landing_in_the_clean_up_is_raised_after_it(tmp_path):
    leftover = tmp_path / ".model.tmp-1-abc"
    leftover.mkdir()
    calls = []

    def remove():  # the first attempt is cut short by a Ctrl-C delivered just before the cleanup
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        leftover.rmdir()

    with pytest.raises(KeyboardInterrupt):
        atomic._clean_up(remove)
    assert not leftover.exists() and len(calls) == 2
