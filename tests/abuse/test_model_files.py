"""Tampered, damaged and foreign model files: each ends in one clear ``ModelFileError``, fast.

The tampering re-signs both checksums (``edit_config``), so only the field checks can catch it.
"""

import json
import math
import os
import time

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file, save_file

from conftest import BOOK_TEST_X, BOOK_X, BOOK_Y, edit_config
from seriespredictor import Forecaster, ModelFileError, SeriesPredictor, SeriesValidationError
from seriespredictor.checkpoints import Checkpoints
from seriespredictor.persistence import CONFIG, WEIGHTS

# Hourly data in Berlin ending on the night clocks go forward (2021-03-28 02:00 -> 03:00).
DST_DATA = pd.DataFrame({
    "unique_id": "a",
    "ds": pd.date_range(end="2021-03-28 00:00", periods=72, freq="h", tz="Europe/Berlin"),
    "y": 10 + np.sin(np.arange(72) / 4),
})


@pytest.fixture(scope="module")
def forecaster_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("f") / "model"
    Forecaster(ensemble=1, refit=False, h=4, seq_size=8, hidden_dim=4, steps=3, seed=0).fit(DST_DATA).save(path)
    return path


@pytest.fixture(scope="module")
def predictor_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("p") / "model"
    SeriesPredictor(1, 4, 4, steps=3, seed=0).fit(BOOK_X, BOOK_Y).save(path)
    return path


@pytest.fixture
def copy_of(tmp_path):
    def copy(src):
        dst = tmp_path / "copy"
        dst.mkdir()
        for name in (CONFIG, WEIGHTS):
            (dst / name).write_bytes((src / name).read_bytes())
        return dst

    return copy


def put(key, value):
    """An edit setting the dotted ``key`` of a config to ``value``."""
    def edit(config):
        *parents, last = key.split(".")
        for part in parents:
            config = config[part]
        config[last] = value

    return edit


def both(*edits):
    return lambda config: [e(config) for e in edits]


def assert_refused(load, path, match):
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match=match) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    assert time.perf_counter() - start < 5


FORECASTER_TAMPERING = {
    "negative hidden_dim": (both(put("params.hidden_dim", -4), put("network.hidden_dim", -4)), "hidden_dim"),
    "huge hidden_dim": (both(put("params.hidden_dim", 10**9), put("network.hidden_dim", 10**9)), r"field '(params|network)\.hidden_dim'"),
    "large hidden_dim, small weights": (both(put("params.hidden_dim", 10**5), put("network.hidden_dim", 10**5)),
                                        "'lstm.weight_ih_l0' is torch.float32 \\(16, 1\\), the saved settings need torch.float32 \\(400000, 1\\)"),
    "network disagrees with params": (put("network.hidden_dim", 8), r"field 'params.hidden_dim' = 4 must be one of \(8,\)"),
    "huge num_layers": (both(put("params.num_layers", 10**8), put("network.num_layers", 10**8)), "num_layers"),
    "huge horizon": (put("params.h", 10**12), "params.h"),
    "huge ensemble": (put("params.ensemble", 10**9), "params.ensemble"),
    "negative seq_size": (put("fitted.seq_size", -1), "fitted.seq_size"),
    "seq_size not matching the tail": (lambda c: (put("fitted.seq_size", 16)(c), put("params.seq_size", 16)(c)), "'tail'"),
    "seq_size not the fitted one": (put("fitted.seq_size", 16), "params.seq_size"),
    "zero patch size": (put("params.patch_size", 0), "patch_size"),
    "bad frequency": (put("schema.freq", "every full moon"), "schema.freq"),
    "empty ids": (put("schema.ids", []), "schema.ids"),
    "empty id": (put("schema.ids", [""]), "schema.ids"),
    "duplicate ids": (put("schema.ids", ["a", "a"]), "schema.ids"),
    "string for a number": (put("params.h", "4"), "params.h"),
    "bool for an int": (put("network.season", True), "network.season"),
    "int for a bool": (put("network.drift_base", 1), "network.drift_base"),
    "network base disagrees with params": (lambda c: c["network"].update(drift_base=not c["network"]["drift_base"]), r"field 'params.drift_base' = \w+ must be one of"),
    "a model setting among the data options": (put("data.h", 3), r"field 'data' holds \['h'\], which are not data options"),
    "float for an int": (put("fitted.val_size", 4.0), "fitted.val_size"),
    "calibration windows past the held-out part": (put("fitted.cal_windows", 10**4), "cal_windows=10000"),
    "calibration steps not matching the residuals": (put("fitted.cal_steps", 3), "'residuals'"),
    "zero calibration stride": (put("fitted.cal_stride", 0), "fitted.cal_stride"),
    "missing calibration field": (lambda c: c["fitted"].pop("cal_windows"), "fitted.cal_windows"),
    "list for a dict": (put("params", [4]), "params"),
    "dict for a list": (put("fitted.scale", {"a": 1}), "fitted.scale"),
    "NaN scale": (put("fitted.scale", [math.nan]), "fitted.scale"),
    "zero scale": (put("fitted.scale", [0.0]), "fitted.scale"),
    "infinite shift": (put("fitted.shift", [math.inf]), "fitted.shift"),
    "scale of the wrong length": (put("fitted.scale", [1.0, 1.0]), "fitted.scale"),
    "unknown setting": (put("params.colour", "red"), "colour"),
    "missing section": (lambda c: c.pop("schema"), "schema"),
    "unknown time zone": (put("schema.tz", "Mars/Olympus_Mons"), "schema.tz"),
    "bad last time": (put("schema.last_times", ["yesterday"]), "schema.last_times"),
    "integer step after a timestamp": (put("schema.freq", 3), "schema.last_times must be integers"),
    "calendar step after an integer": (put("schema.last_times", [5]), "schema.last_times must be ISO timestamps"),
    "last time beyond int64": (both(put("schema.freq", 1), put("schema.last_times", [2**63])), "schema.last_times"),
    "empty alias": (put("params.alias", ""), "params.alias"),
    "other kind": (put("kind", "SeriesPredictor"), "holds a 'SeriesPredictor' model"),
    "format 0": (put("format_version", 0), "format_version 0"),
    "bool format": (put("format_version", True), "no integer 'format_version'"),
}


@pytest.mark.parametrize("edit, match", FORECASTER_TAMPERING.values(), ids=FORECASTER_TAMPERING.keys())
def test_tampered_forecaster_settings_are_refused(forecaster_dir, copy_of, edit, match):
    path = copy_of(forecaster_dir)
    edit_config(path, edit)
    assert_refused(Forecaster.load, path, match)


@pytest.mark.parametrize("freq, last, h", [("YS", "1960-01-01T00:00:00+01:00", 10_000), (2**40, 2**63 - 10, 4)])
def test_a_forecast_past_the_last_representable_time_is_refused(forecaster_dir, copy_of, freq, last, h):
    path = copy_of(forecaster_dir)
    edit_config(path, both(put("schema.freq", freq), put("schema.last_times", [last])))
    with pytest.raises(SeriesValidationError, match="go past the last time that can be represented; use a smaller h"):
        Forecaster.load(path).predict(h)


PREDICTOR_TAMPERING = {
    "zero x scale": (put("x_scaler.scale", [0.0]), "x_scaler.scale"),
    "NaN y shift": (put("y_scaler.shift", [math.nan]), "y_scaler.shift"),
    "scaler method": (put("y_scaler.method", "magic"), "y_scaler.method"),
    "scaler list for a dict": (put("x_scaler", [1, 2]), "x_scaler"),
    "zero seq_size": (put("params.seq_size", 0), "seq_size"),
    "huge seq_size": (put("params.seq_size", 10**12), "params.seq_size"),
    "input_dim disagrees": (put("params.input_dim", 3), "network.input_dim"),
    "history of strings": (put("history", "long"), "history"),
}


@pytest.mark.parametrize("edit, match", PREDICTOR_TAMPERING.values(), ids=PREDICTOR_TAMPERING.keys())
def test_tampered_predictor_settings_are_refused(predictor_dir, copy_of, edit, match):
    path = copy_of(predictor_dir)
    edit_config(path, edit)
    assert_refused(SeriesPredictor.load, path, match)


def test_an_edited_config_without_a_new_checksum_is_refused(predictor_dir, copy_of):
    path = copy_of(predictor_dir)
    config = json.loads((path / CONFIG).read_text())
    config["y_scaler"]["scale"] = [1e6]  # plausible, but not what was saved
    (path / CONFIG).write_text(json.dumps(config))
    assert_refused(SeriesPredictor.load, path, "does not match its checksum")


@pytest.mark.parametrize("text, match", [
    ('{"format_version": 2, "params": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ('{"format_version": 2, "hidden_dim": ' + "9" * 5000 + "}", "not valid JSON"),
    ('{"format_version": 2, "params": ' + "[" * 900 + "]" * 900 + "}", "holds a None model"),
    ("[1, 2]", "no integer 'format_version'"),
    ("\xff\xfe", "not valid JSON"),
], ids=["deep nesting", "5000 digits", "900 levels", "a list", "not utf-8"])
def test_unparseable_configs_are_refused(predictor_dir, copy_of, text, match):
    path = copy_of(predictor_dir)
    (path / CONFIG).write_bytes(text.encode("latin-1"))
    assert_refused(SeriesPredictor.load, path, match)


def _rewrite_weights(path, change):
    tensors = load_file(path / WEIGHTS)
    change(tensors)
    save_file(tensors, path / WEIGHTS)
    edit_config(path, lambda c: None)


@pytest.mark.parametrize("change, match", [
    (lambda t: t["net.0.head.bias"].fill_(math.nan), "'head.bias' holds NaN"),
    (lambda t: t.__setitem__("net.0.head.bias", t["net.0.head.bias"].double()), "'head.bias' is torch.float64"),
    (lambda t: t["spread"].zero_(), "'spread' holds non-positive"),
    (lambda t: t["tail"].fill_(math.inf), "'tail' holds"),
    (lambda t: t.pop("residuals"), "'residuals' is missing"),
    (lambda t: t.__setitem__("net.1.head.bias", t["net.0.head.bias"].clone()), "more networks"),
], ids=["NaN weight", "float64 weight", "zero spread", "infinite tail", "no residuals", "extra network"])
def test_tampered_forecaster_weights_are_refused(forecaster_dir, copy_of, change, match):
    path = copy_of(forecaster_dir)
    _rewrite_weights(path, change)
    assert_refused(Forecaster.load, path, match)


@pytest.mark.parametrize("special", ["endless device", "fifo"])
@pytest.mark.parametrize("target", [CONFIG, WEIGHTS])
def test_special_files_in_place_of_model_files_are_refused(predictor_dir, copy_of, target, special):
    path = copy_of(predictor_dir)
    (path / target).unlink()
    if special == "fifo":
        os.mkfifo(path / target)  # opening it for reading must not wait for a writer
    else:
        os.symlink("/dev/zero", path / target)  # must not be read
    assert_refused(SeriesPredictor.load, path, "is not a file")


def test_a_file_in_place_of_the_model_directory(tmp_path):
    (tmp_path / "model").write_text("hello")
    assert_refused(SeriesPredictor.load, tmp_path / "model", "it is a file, not a model directory")


def test_tampered_checkpoints_are_refused(tmp_path):
    data = DST_DATA.assign(ds=DST_DATA.ds.dt.tz_localize(None))
    model = Forecaster(ensemble=1, refit=False, h=4, seq_size=8, hidden_dim=4, steps=4, seed=0, checkpoint_dir=tmp_path / "ck", checkpoint_every=2)
    model.fit(data)
    path = tmp_path / "ck" / "member-0"
    edit_config(path, put("loop.step", "3"))
    with pytest.raises(ModelFileError, match="'loop.step'"):
        model.fit(data, resume=True)
    edit_config(path, put("loop.step", 4))
    _rewrite_weights(path, lambda t: t.__setitem__("rng.torch", t["rng.torch"].float()))
    with pytest.raises(ModelFileError, match="checkpoint entry 'rng.torch'"):
        Checkpoints(model, model._read(data)).load(0)


def test_the_time_zone_survives_a_dst_change(forecaster_dir):
    times = Forecaster.load(forecaster_dir).predict()["ds"]
    assert str(times.dt.tz) == "Europe/Berlin"
    # 00:00 CET, then 01:00 CET, then the clocks jump: 03:00 CEST, 04:00 CEST.
    assert [t.strftime("%H:%M%z") for t in times] == ["01:00+0100", "03:00+0200", "04:00+0200", "05:00+0200"]


def test_both_model_files_get_the_umask_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        SeriesPredictor(1, 4, 4, steps=2, seed=0).fit(BOOK_X, BOOK_Y).save(tmp_path / "model")
    finally:
        os.umask(old)
    modes = {name: (tmp_path / "model" / name).stat().st_mode & 0o777 for name in (CONFIG, WEIGHTS)}
    assert modes == {CONFIG: 0o640, WEIGHTS: 0o640}


def test_a_loaded_predictor_predicts_what_was_saved(predictor_dir):
    # The network is built on the meta device and takes the file's tensors: it must still work.
    expected = SeriesPredictor.load(predictor_dir).predict(BOOK_TEST_X)
    assert np.isfinite(expected).all()
    tensors = load_file(predictor_dir / WEIGHTS)
    assert all(p.device.type == "cpu" for p in SeriesPredictor.load(predictor_dir).net_.parameters())
    assert torch.equal(SeriesPredictor.load(predictor_dir).net_.head.bias, tensors["head.bias"])


def test_a_weights_file_listing_a_million_tensors_is_refused_before_any_is_built(forecaster_dir, copy_of):
    """Each tensor costs memory to build: 10**6 zero-size ones took 28 s and 1.4 GB before being refused."""
    import struct

    path = copy_of(forecaster_dir)
    header = json.dumps({f"x{i}": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]} for i in range(10**6)}).encode()
    (path / WEIGHTS).write_bytes(struct.pack("<Q", len(header)) + header)
    edit_config(path, lambda config: None)
    assert_refused(Forecaster.load, path, "lists 1000000 tensors, more than any model seriespredictor writes")
