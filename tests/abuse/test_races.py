"""Processes racing on one model path: readers always get a whole model, writers all finish.

Two writers replace the model in a loop (with two different fitted models) while a reader loads
and predicts in a loop for ``RACE_SECONDS``; every forecast must be one of the two models'.
"""

import json
import os
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from seriespredictor import Forecaster

RACE_SECONDS = 20

WRITER = textwrap.dedent("""
    import json, sys, time
    from seriespredictor import Forecaster
    models = [Forecaster.load(p) for p in sys.argv[2:4]]
    end, saves, errors = time.monotonic() + float(sys.argv[4]), 0, {}
    while time.monotonic() < end:
        try:
            models[saves % 2].save(sys.argv[1], overwrite=True)
        except Exception as e:
            errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
        saves += 1
    print(json.dumps({"saves": saves, "errors": errors}))
""")

READER = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    from seriespredictor import Forecaster
    expected = [Forecaster.load(p).predict()["LSTM"].to_numpy() for p in sys.argv[2:4]]
    end, loads, wrong, errors = time.monotonic() + float(sys.argv[4]), 0, 0, {}
    while time.monotonic() < end:
        try:
            got = Forecaster.load(sys.argv[1]).predict()["LSTM"].to_numpy()
            wrong += not any(np.array_equal(got, e) for e in expected)
        except Exception as e:
            errors[f"{type(e).__name__}: {e}"[:200]] = errors.get(f"{type(e).__name__}: {e}"[:200], 0) + 1
        loads += 1
    print(json.dumps({"loads": loads, "wrong": wrong, "errors": errors}))
""")


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("race")
    data = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2020-01-01", periods=60, freq="D"),
                         "y": [10.0 + (i % 7) for i in range(60)]})
    model = Forecaster(ensemble=1, refit=False, h=3, seq_size=7, hidden_dim=4, steps=2, seed=0).fit(data)
    model.save(root / "a")
    for net in model.nets_:  # the same model with other weights: a different forecast
        net.head.bias.data += 1.0
    model.save(root / "b")
    return root


def test_readers_and_writers_racing_on_one_path(two_models, capsys):
    path = two_models / "model"
    Forecaster.load(two_models / "a").save(path)
    args = [str(path), str(two_models / "a"), str(two_models / "b"), str(RACE_SECONDS)]
    procs = [subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for code in (WRITER, WRITER, READER)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=RACE_SECONDS + 120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    *writers, reader = results
    with capsys.disabled():
        print(f"\nrace over {RACE_SECONDS} s: writers {writers}, reader {reader}")
    assert all(w["errors"] == {} and w["saves"] > 0 for w in writers)
    assert reader["errors"] == {} and reader["wrong"] == 0 and reader["loads"] > 0
    Forecaster.load(path).predict()  # the last writer's model is whole
    assert [f for f in os.listdir(two_models) if f.startswith(".")] == []
