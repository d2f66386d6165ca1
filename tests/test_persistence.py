import json
import os
import shutil

import numpy as np
import pytest
import torch

from conftest import BOOK_TEST_X, BOOK_X, BOOK_Y, edit_config
from seriespredictor import ModelFileError, SeriesPredictor
from seriespredictor.migrations import FORMAT_VERSION
from seriespredictor.persistence import CONFIG, WEIGHTS, load_model, save_model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """One small model, fitted and saved once: the tests damage copies of it."""
    path = tmp_path_factory.mktemp("saved") / "model"
    SeriesPredictor(1, 4, 4, steps=5, seed=0).fit(BOOK_X, BOOK_Y).save(path)
    return path


@pytest.fixture
def model_dir(saved, tmp_path):
    return shutil.copytree(saved, tmp_path / "model")


def test_files_are_safetensors_and_json(model_dir):
    assert sorted(os.listdir(model_dir)) == [CONFIG, WEIGHTS]
    config = json.loads((model_dir / CONFIG).read_text())
    assert config["format_version"] == FORMAT_VERSION
    assert config["kind"] == "SeriesPredictor"
    assert {"library_version", "torch_version", "x_scaler", "y_scaler", "params"} <= set(config)
    assert (model_dir / WEIGHTS).read_bytes()[8:9] == b"{"  # safetensors: length, then a JSON header


def test_existing_model_is_not_overwritten_unless_asked(model_dir):
    p = SeriesPredictor(1, 4, 4, steps=5, seed=1).fit(BOOK_X, BOOK_Y)
    with pytest.raises(FileExistsError, match="already exists; pass overwrite=True"):
        p.save(model_dir)
    p.save(model_dir, overwrite=True)
    assert np.array_equal(SeriesPredictor.load(model_dir).predict(BOOK_TEST_X), p.predict(BOOK_TEST_X))
    assert [f for f in os.listdir(model_dir.parent) if f.startswith(".")] == []  # no temporaries left


def test_refuses_to_replace_a_directory_that_is_not_a_model(tmp_path):
    (tmp_path / "docs").mkdir()
    with pytest.raises(FileExistsError, match="is not a seriespredictor model"):
        save_model(tmp_path / "docs", "SeriesPredictor", {}, {}, overwrite=True)


def test_refuses_to_replace_a_link_to_a_model_naming_the_folder_it_points_to(model_dir, tmp_path):
    (tmp_path / "link").symlink_to(model_dir)
    with pytest.raises(FileExistsError, match=rf"'{tmp_path / 'link'}' is a symbolic link; refusing to replace it: save to the folder "
                                              rf"it points to \('{model_dir}'\)"):
        save_model(tmp_path / "link", "SeriesPredictor", {}, {}, overwrite=True)
    assert SeriesPredictor.load(tmp_path / "link")  # the model it points to is left as it was


def test_truncated_weights(model_dir):
    w = model_dir / WEIGHTS
    w.write_bytes(w.read_bytes()[:50])
    with pytest.raises(ModelFileError, match="does not match its config.json"):
        SeriesPredictor.load(model_dir)


def test_truncated_config(model_dir):
    c = model_dir / CONFIG
    c.write_text(c.read_text()[:40])
    with pytest.raises(ModelFileError, match="is damaged \\(not valid JSON"):
        SeriesPredictor.load(model_dir)


def test_missing_weights(model_dir):
    (model_dir / WEIGHTS).unlink()
    with pytest.raises(ModelFileError, match="is incomplete: weights.safetensors is missing"):
        SeriesPredictor.load(model_dir)


def test_foreign_directory_and_pickle_file(tmp_path):
    (tmp_path / "foreign").mkdir()
    torch.save({"a": torch.zeros(1)}, tmp_path / "foreign" / "model.pt")
    with pytest.raises(ModelFileError, match="is not a seriespredictor model: it has no config.json"):
        SeriesPredictor.load(tmp_path / "foreign")
    (tmp_path / "foreign" / CONFIG).write_text('{"hello": 1}')
    with pytest.raises(ModelFileError, match="has no integer 'format_version'"):
        SeriesPredictor.load(tmp_path / "foreign")


def test_weights_replaced_by_a_pickle_are_refused_without_unpickling(model_dir):
    torch.save({"a": torch.zeros(1)}, model_dir / WEIGHTS)
    edit_config(model_dir, lambda c: None)
    with pytest.raises(ModelFileError, match="is damaged"):
        SeriesPredictor.load(model_dir)


def test_newer_format_asks_to_upgrade(model_dir):
    edit_config(model_dir, lambda c: c.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ModelFileError, match=f"model format {FORMAT_VERSION + 1} .* upgrade seriespredictor"):
        SeriesPredictor.load(model_dir)


def test_weights_that_do_not_fit_the_settings_name_the_parameter(model_dir):
    edit_config(model_dir, lambda c: (c["network"].update(hidden_dim=5), c["params"].update(hidden_dim=5)))
    with pytest.raises(ModelFileError, match="weight 'lstm.weight_ih_l0' is torch.float32 \\(16, 1\\), the saved settings need torch.float32 \\(20, 1\\)"):
        SeriesPredictor.load(model_dir)


def test_other_library_version_warns(model_dir):
    edit_config(model_dir, lambda c: c.update(library_version="0.0.1"))
    with pytest.warns(UserWarning, match="saved by seriespredictor 0.0.1"):
        SeriesPredictor.load(model_dir)


def test_load_model_returns_cpu_tensors(model_dir):
    tensors, config = load_model(model_dir, "SeriesPredictor")
    assert all(t.device.type == "cpu" for t in tensors.values())
    assert config["network"]["hidden_dim"] == 4


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(config=st.binary(max_size=300), weights=st.binary(max_size=300))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzzed_model_files_raise_only_model_file_error(tmp_path_factory, config, weights):
    d = tmp_path_factory.mktemp("m")
    (d / CONFIG).write_bytes(config)
    (d / WEIGHTS).write_bytes(weights)
    with pytest.raises(ModelFileError):
        SeriesPredictor.load(d)


@given(mutation=st.integers(0, 10_000), byte=st.integers(0, 255))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_one_flipped_byte_in_a_real_model_is_caught(saved, tmp_path_factory, mutation, byte):
    d = shutil.copytree(saved, tmp_path_factory.mktemp("m") / "model")
    target = d / (WEIGHTS if mutation % 2 else CONFIG)
    data = bytearray(target.read_bytes())
    pos = mutation % len(data)
    if data[pos] == byte:
        return
    data[pos] = byte
    target.write_bytes(bytes(data))
    try:
        loaded = SeriesPredictor.load(d)
    except ModelFileError:
        return  # the damage was caught on load
    # Both files are checksummed; what loads is a flip the model cannot see: whitespace between
    # JSON tokens, or format_version 3 -> 1 (migrated to the same config). It predicts the same.
    assert target.name == CONFIG, f"a flipped weights byte at {pos} loaded"
    original = SeriesPredictor.load(saved)
    assert loaded.get_params() == original.get_params()
    assert np.array_equal(loaded.predict(BOOK_TEST_X), original.predict(BOOK_TEST_X))


def test_every_digit_of_the_config_changed_is_caught(saved, tmp_path):
    d = shutil.copytree(saved, tmp_path / "model")
    raw = (saved / CONFIG).read_bytes()
    expected = SeriesPredictor.load(saved).predict(BOOK_TEST_X)
    digits = [pos for pos, c in enumerate(raw) if chr(c).isdigit()]
    assert len(digits) > 100  # settings, scaler statistics, checksums, versions
    for pos in digits:
        flipped = bytearray(raw)
        flipped[pos] = ord(str((int(chr(raw[pos])) + 8) % 10))  # 3 -> 1, 0 -> 8, ...
        (d / CONFIG).write_bytes(bytes(flipped))
        try:
            loaded = SeriesPredictor.load(d)
        except ModelFileError:
            continue
        # Format 1 predates the checksum: a version read as 1 migrates the very same settings.
        assert json.loads(flipped)["format_version"] == 1, f"a changed digit loaded: {bytes(flipped[pos - 30:pos + 5])}"
        assert np.array_equal(loaded.predict(BOOK_TEST_X), expected)
