import numpy as np
import pytest
import torch

from conftest import BOOK_EXPECTED, BOOK_TEST_X, BOOK_X, BOOK_Y, REPO, run_python
from seriespredictor import ModelFileError, NotFittedError, SeriesPredictor, SeriesValidationError


@pytest.fixture(scope="module")
def fitted():
    return SeriesPredictor(1, 4, 10, steps=300, seed=0).fit(BOOK_X, BOOK_Y)


# The book's 1,000 steps reproduce its demo within 0.5 for every seed: benchmarks/book_demo.py.
@pytest.mark.parametrize("seed", range(2))
def test_the_book_demo_learns_in_a_hundred_steps(seed):
    p = SeriesPredictor(input_dim=1, seq_size=4, hidden_dim=10, steps=100, log_every=99, seed=seed).fit(BOOK_X, BOOK_Y)
    (_, first), (_, last) = p.history_
    assert last < first / 30  # 0.14-0.24 down to 0.001-0.003
    assert np.abs(p.predict(BOOK_TEST_X) - np.array(BOOK_EXPECTED)).max() < 1.5  # 0.7-1.1; untrained, 7-9


def test_inputs_may_be_lists_arrays_or_tensors(fitted):
    a = fitted.predict(BOOK_TEST_X)
    b = fitted.predict(np.array(BOOK_TEST_X, dtype=np.float32))
    c = fitted.predict(torch.tensor(BOOK_TEST_X, dtype=torch.float64))
    np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(a, c, rtol=1e-6)


def test_same_seed_same_weights_and_caller_rng_untouched():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    p1 = SeriesPredictor(1, 4, 10, steps=30, seed=7).fit(BOOK_X, BOOK_Y)
    after = torch.rand(1)
    p2 = SeriesPredictor(1, 4, 10, steps=30, seed=7).fit(BOOK_X, BOOK_Y)
    p3 = SeriesPredictor(1, 4, 10, steps=30, seed=8).fit(BOOK_X, BOOK_Y)
    assert torch.equal(before, after)
    assert np.array_equal(p1.predict(BOOK_TEST_X), p2.predict(BOOK_TEST_X))
    assert not np.array_equal(p1.predict(BOOK_TEST_X), p3.predict(BOOK_TEST_X))


def test_scaling_uses_training_statistics_and_is_inverted():
    # Targets around 1e6: the network works on scaled values, predictions come back in units.
    x = np.linspace(0, 1, 40).reshape(10, 4, 1)
    y = 1e6 + 1e3 * x[..., 0]
    p = SeriesPredictor(1, 4, 8, steps=300, seed=0).fit(x, y)
    assert p.y_scaler_.shift[0] == pytest.approx(y.min())
    assert p.y_scaler_.scale[0] == pytest.approx(y.max() - y.min())
    assert np.abs(p.predict(x) - y).max() < 100  # within 10% of the target's range


def test_minibatches_and_multiple_features():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 3))
    y = x.sum(axis=2)
    p = SeriesPredictor(3, 6, 16, steps=200, batch_size=16, seed=0, scaler="standard").fit(x, y)
    assert p.predict(x).shape == (64, 6)
    assert np.mean((p.predict(x) - y) ** 2) < np.var(y)


def test_history_records_loss_every_log_every_steps(fitted):
    steps = [s for s, _ in fitted.history_]
    assert steps == [0, 100, 200, 299]
    assert fitted.history_[-1][1] < fitted.history_[0][1]


def test_get_and_set_params():
    p = SeriesPredictor(1, 4)
    assert p.get_params()["hidden_dim"] == 10
    assert p.set_params(hidden_dim=5).hidden_dim == 5
    with pytest.raises(ValueError, match="invalid parameter 'hiden_dim'"):
        p.set_params(hiden_dim=5)


def test_save_load_round_trip_is_identical(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    loaded = SeriesPredictor.load(tmp_path / "m")
    assert np.array_equal(loaded.predict(BOOK_TEST_X), fitted.predict(BOOK_TEST_X))
    assert loaded.get_params() == fitted.get_params()


def test_save_load_in_a_new_process_gives_identical_numbers(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    code = (
        "import sys, numpy as np; from seriespredictor import SeriesPredictor;"
        f"p = SeriesPredictor.load(sys.argv[1]); np.save(sys.argv[2], p.predict({BOOK_TEST_X!r}))"
    )
    r = run_python("-c", code, str(tmp_path / "m"), str(tmp_path / "p.npy"))
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(tmp_path / "p.npy"), fitted.predict(BOOK_TEST_X))


def test_train_and_test_save_and_restore_like_the_book(tmp_path, capsys):
    p = SeriesPredictor(1, 4, 10, steps=101, seed=0)
    p.train(BOOK_X, BOOK_Y, path=tmp_path / "model.ckpt")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("0 ") and out[1].startswith("100 ")
    assert out[-1] == f"Model saved to {tmp_path / 'model.ckpt'}"
    fresh = SeriesPredictor(1, 4, 10)
    assert np.array_equal(fresh.test(BOOK_TEST_X, path=tmp_path / "model.ckpt"), p.predict(BOOK_TEST_X))


def test_seed_demo_example_runs(tmp_path):
    r = run_python(str(REPO / "examples" / "seed_demo.py"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines() if line.startswith("predicted")]
    got = np.array([[float(v) for v in row[1:5]] for row in rows])
    assert got.shape == (2, 4) and np.isfinite(got).all()  # its accuracy (seed=None): benchmarks/book_demo.py
    assert (tmp_path / "model.ckpt" / "weights.safetensors").is_file()


BAD_INPUTS = [
    ("fit", dict(x=[[1, 2, 5, 6]], y=[[1, 3, 7, 11]]), "x must be 3-D"),
    ("fit", dict(x=BOOK_X, y=[[1, 3, 7]]), r"y has shape \(1, 3\) but x has 3 windows of 4 steps"),
    ("fit", dict(x=BOOK_X, y=BOOK_Y[:2]), r"y has shape \(2, 4\)"),
    ("fit", dict(x=[[[1], [2], [3]]], y=[[1, 2, 3]]), "x has 3 time steps per window .* seq_size=4"),
    ("fit", dict(x=[[[1, 1], [2, 2], [3, 3], [4, 4]]], y=[[1, 2, 3, 4]]), "x has 2 features per step .* input_dim=1"),
    ("fit", dict(x=[[[1], [np.nan], [3], [4]]], y=[[1, 2, 3, 4]]), r"x holds 1 NaN or infinite value\(s\), the first at index \(0, 1, 0\)"),
    ("fit", dict(x=BOOK_X, y=[[1, 3, 7, np.inf], [5, 12, 14, 15], [3, 7, 9, 12]]), r"y holds 1 NaN or infinite .* \(0, 3\)"),
    ("fit", dict(x=np.zeros((0, 4, 1)), y=np.zeros((0, 4))), "x is empty"),
    ("fit", dict(x=[[[1], [2]], [[1]]], y=[[1, 2]]), "x must be numbers shaped .* could not convert"),
    ("fit", dict(x=[[["a"], [2], [3], [4]]], y=[[1, 2, 3, 4]]), "x must be numbers"),
]


@pytest.mark.parametrize("method,kwargs,message", BAD_INPUTS)
def test_bad_input_is_refused_with_a_clear_message(method, kwargs, message):
    with pytest.raises(SeriesValidationError, match=message):
        getattr(SeriesPredictor(1, 4, steps=1), method)(**kwargs)


def test_wrong_input_dim_at_predict(fitted):
    with pytest.raises(SeriesValidationError, match="x has 2 features per step .* but input_dim=1"):
        fitted.predict([[[1, 1], [2, 2], [3, 3], [4, 4]]])


def test_bad_settings_are_refused():
    with pytest.raises(SeriesValidationError, match="hidden_dim=0 must be a positive integer"):
        SeriesPredictor(1, 4, hidden_dim=0).fit(BOOK_X, BOOK_Y)
    with pytest.raises(SeriesValidationError, match="lr=-1 must be a positive number"):
        SeriesPredictor(1, 4, lr=-1).fit(BOOK_X, BOOK_Y)


def test_predict_before_fit():
    with pytest.raises(NotFittedError, match="not fitted yet. Call 'fit'"):
        SeriesPredictor(1, 4).predict(BOOK_TEST_X)


def test_load_errors_name_the_file(tmp_path, fitted):
    with pytest.raises(ModelFileError, match="does not exist"):
        SeriesPredictor.load(tmp_path / "missing")
    fitted.save(tmp_path / "m")
    with pytest.raises(ModelFileError, match="holds a 'SeriesPredictor' model, not a 'Forecaster'"):
        from seriespredictor.persistence import load_model

        load_model(tmp_path / "m", "Forecaster")
