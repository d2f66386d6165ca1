"""``Forecaster.export_onnx`` and ``seriespredictor export``: the ONNX graph forecasts what
``predict(data=...)`` forecasts for new series of ``seq_size`` points, within 1e-5 relative."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from seriespredictor import Forecaster, MissingExtraError, NotFittedError, SeriesValidationError

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

L, H = 24, 6
MODELS = {  # the direct head with its seasonal base and patches, the recursive head, the drift base; each log rule
    "direct-seasonal-auto": {"head": "direct", "patch_size": 6, "seasonal_base": True, "ensemble": 2, "log": "auto"},
    "recursive-nolog": {"head": "recursive", "ensemble": 2, "log": False},
    "direct-drift-log": {"head": "direct", "seasonal_base": False, "drift_base": True, "ensemble": 1, "log": True},
}


def frame(series: dict) -> pd.DataFrame:
    """A long hourly frame of ``{id: values}`` (float32 values, as the graph reads them)."""
    return pd.concat([pd.DataFrame({"unique_id": sid, "ds": pd.date_range("2024-01-01", periods=len(v), freq="h"),
                                    "y": np.asarray(v, dtype=np.float32).astype(float)}) for sid, v in series.items()],
                     ignore_index=True)


def seasonal(n: int, k: float, level: float = 50.0) -> np.ndarray:
    t = np.arange(n)
    return k * (level + 10 * np.sin(2 * np.pi * t / 24) + 0.1 * t)


def new_series(log_true: bool) -> dict:
    """Series the model was not fitted on, ``L`` points each: two of other levels, one that
    crosses zero (no log under "auto"), a constant."""
    out = {"x": seasonal(L, 3.0), "y": seasonal(L, 0.02, level=1e4), "flat": np.full(L, 5.0)}
    if not log_true:
        out["crossing"] = seasonal(L, 1.0, level=-3.0)
    return out


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> dict:
    """``{name: (model, its exported graph)}`` of tiny fitted models."""
    data = frame({"a": seasonal(120, 1.0), "b": seasonal(120, 2.0)})
    out = {}
    for name, settings in MODELS.items():
        model = Forecaster(h=H, seq_size=L, hidden_dim=8, steps=20, val_size=12, seed=0, **settings).fit(data)
        out[name] = model, model.export_onnx(tmp_path_factory.mktemp("onnx") / "model.onnx")
    return out


def parity(model, path, series: dict) -> float:
    """The largest relative difference between the graph's forecasts and ``predict(data=...)``'s."""
    expected = model.predict(data=frame(series)).groupby("unique_id", sort=False)["LSTM"].apply(np.asarray)
    session = ort.InferenceSession(str(path))
    got = session.run(["forecast"], {"history": np.stack(list(series.values())).astype(np.float32)})[0]
    assert got.shape == (len(series), H) and got.dtype == np.float32
    return float(np.max(np.abs(got / np.stack([expected[sid] for sid in series]) - 1)))


@pytest.mark.parametrize("name", MODELS)
def test_the_graph_forecasts_what_predict_forecasts(fitted, name):
    model, path = fitted[name]
    series = new_series(model.params_["log"] is True)
    assert parity(model, path, series) < 1e-5
    assert parity(model, path, {"one": series["x"]}) < 1e-5  # any batch: the graph was traced on 2 rows


@pytest.mark.parametrize("name", MODELS)
def test_the_graph_has_one_input_and_one_output_of_fixed_widths(fitted, name):
    import onnx

    model, path = fitted[name]
    session = ort.InferenceSession(str(path))
    (i,), (o,) = session.get_inputs(), session.get_outputs()
    assert (i.name, i.shape, i.type) == ("history", ["batch", L], "tensor(float)")
    assert (o.name, o.shape, o.type) == ("forecast", ["batch", H], "tensor(float)")
    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert props["seq_size"] == str(L) and props["h"] == str(H) and props["log"] == str(model.params_["log"])


def test_an_existing_file_is_replaced_only_with_overwrite(fitted, tmp_path):
    model, path = fitted["direct-seasonal-auto"]
    target = tmp_path / "m.onnx"
    target.write_text("keep")
    with pytest.raises(FileExistsError, match=r"'.*m\.onnx' already exists; pass overwrite=True"):
        model.export_onnx(target)
    assert target.read_text() == "keep"
    model.export_onnx(target, overwrite=True)
    assert target.read_bytes() == path.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temporary left


def test_a_path_ending_in_a_separator_names_a_folder_and_is_refused(fitted, tmp_path):
    model, _ = fitted["direct-seasonal-auto"]
    with pytest.raises(SeriesValidationError, match=r"path='.*/x/' names a folder; give a file name in it, e\.g\. '.*/x/model\.onnx'"):
        model.export_onnx(f"{tmp_path}/x/")  # it wrote a file named x
    assert list(tmp_path.iterdir()) == []


def test_export_needs_a_fitted_model_and_the_onnx_package(fitted, tmp_path, monkeypatch):
    with pytest.raises(NotFittedError):
        Forecaster(h=3).export_onnx(tmp_path / "m.onnx")
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if not installed
    with pytest.raises(MissingExtraError, match=r"pip install 'seriespredictor\[onnx\]'"):
        fitted["recursive-nolog"][0].export_onnx(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_the_cli_writes_the_same_graph_and_refuses_in_one_line(fitted, tmp_path, capsys, monkeypatch):
    from seriespredictor.cli.main import main

    model = fitted["direct-seasonal-auto"][0]
    model.save(tmp_path / "model")
    out = tmp_path / "model.onnx"
    r = subprocess.run([sys.executable, "-m", "seriespredictor", "export", str(tmp_path / "model"), "--onnx", str(out)],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0 and r.stdout.startswith(f"ONNX graph written to {out}: input 'history'"), r.stderr
    assert parity(model, out, new_series(False)) < 1e-5
    refusals = {
        ("export", tmp_path / "model", "--onnx", out): f"'{out}' already exists; pass --overwrite to replace it",
        ("export", tmp_path / "nothing", "--onnx", tmp_path / "x.onnx"): "nothing",
        ("export", tmp_path / "model", "--onnx", tmp_path / "model" / "config.json", "--overwrite"): "would write onto the input",
    }
    for args, message in refusals.items():
        assert main(list(map(str, args))) == 2
        err = capsys.readouterr().err
        assert err.startswith("seriespredictor: error: ") and len(err.splitlines()) == 1 and message in err, err
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if not installed
    assert main(["export", str(tmp_path / "model"), "--onnx", str(out), "--overwrite", "--quiet"]) == 2
    assert capsys.readouterr() == ("", ("seriespredictor: error: ONNX export needs the 'onnx' package; "
                                        "install it with pip install 'seriespredictor[onnx]'\n"))
