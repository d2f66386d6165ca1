"""``seriespredictor serve``: the real server in a subprocess on 127.0.0.1, a real HTTP client.

One server (and one tiny model) serves the whole module; the stop tests start their own.
"""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from seriespredictor import Forecaster  # noqa: E402
from seriespredictor.cli import main  # noqa: E402

LEVEL = [80, 95]


def panel(n=120, ids=("a", "b"), scale=(1, 2)):
    t = np.arange(n)
    return pd.concat([pd.DataFrame({"unique_id": sid, "ds": pd.date_range("2024-01-01", periods=n, freq="h"),
                                    "y": k * (50 + 10 * np.sin(2 * np.pi * t / 24) + 0.1 * t)})
                      for sid, k in zip(ids, scale)], ignore_index=True)


def body(frame, **options) -> dict:
    series = [{"id": sid, "timestamps": [t.isoformat() for t in g["ds"]], "values": g["y"].tolist()}
              for sid, g in frame.groupby("unique_id", sort=False)]
    return {"series": series, **options}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(model_path, folder):
    """The server in a subprocess, in an empty folder with its own empty TMPDIR; its URL, its folder."""
    port = free_port()
    (folder / "tmp").mkdir(parents=True)
    env = {**os.environ, "TMPDIR": str(folder / "tmp")}
    proc = subprocess.Popen([sys.executable, "-m", "seriespredictor", "serve", str(model_path), "--port", str(port), "--quiet"],
                            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, f"http://127.0.0.1:{port}", folder


def wait_up(proc, url):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            httpx.get(f"{url}/health", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"the server did not start: {proc.communicate()}")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    model = Forecaster(h=6, seq_size=24, hidden_dim=8, steps=30, ensemble=1, val_size=18, seed=0).fit(panel())
    model.save(folder / "model")
    return model, folder / "model"


@pytest.fixture(scope="module")
def servers(fitted, tmp_path_factory):
    """The module's server, and two more to stop (one per signal): started together, as their
    start is mostly importing torch."""
    started = [launch(fitted[1], tmp_path_factory.mktemp("server")) for _ in range(3)]
    for proc, url, _ in started:
        wait_up(proc, url)
    yield started
    for proc, _, _ in started:
        if proc.poll() is None:
            proc.terminate()
            proc.communicate(timeout=30)


@pytest.fixture(scope="module")
def server(servers):
    with httpx.Client(base_url=servers[0][1], timeout=30) as client:
        yield client


def assert_forecasts(answer: dict, expected: pd.DataFrame, level=(), exact=True):
    """``answer`` (the JSON of one request) holds the frame ``predict`` returned, series by series."""
    check = np.testing.assert_array_equal if exact else lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6)
    assert answer["level"] == list(level)
    for s in answer["forecasts"]:
        rows = expected[expected["unique_id"] == s["id"]]
        assert s["timestamps"] == [t.isoformat() for t in rows["ds"]]
        check(s["forecast"], rows["LSTM"].to_numpy())
        assert list(s["intervals"]) == [str(lv) for lv in level]
        for lv in level:
            check(s["intervals"][str(lv)]["lo"], rows[f"LSTM-lo-{lv}"].to_numpy())
            check(s["intervals"][str(lv)]["hi"], rows[f"LSTM-hi-{lv}"].to_numpy())


def test_a_forecast_is_predict_of_the_same_frame(server, fitted):
    """Fitted series with new points keep their scaling, a new series is scaled by its own
    history: the answer is exactly ``predict(data=...)``, in the request's order of series."""
    model = fitted[0]
    data = pd.concat([panel(130, ids=("b", "a")), panel(60, ids=("new",), scale=(5,))], ignore_index=True)
    answer = server.post("/forecast", json=body(data, level=LEVEL)).json()
    assert [s["id"] for s in answer["forecasts"]] == ["b", "a", "new"]
    assert answer["h"] == 6 and answer["warnings"] == model.interval_warnings(LEVEL)
    assert_forecasts(answer, model.predict(data=data, level=LEVEL), LEVEL)
    shorter = server.post("/forecast", json=body(data, h=3)).json()
    assert_forecasts(shorter, model.predict(3, data=data))
    assert len(shorter["forecasts"][0]["forecast"]) == 3


def test_model_and_health_say_what_is_served(server, fitted):
    meta = server.get("/model").json()
    assert {k: meta[k] for k in ("h", "freq", "seq_size", "series", "version", "path", "file_changed")} == {
        "h": 6, "freq": "h", "seq_size": 24, "series": 2, "version": "0.1.0", "path": str(fitted[1].resolve()), "file_changed": False}
    assert pd.Timestamp(meta["loaded_at"]) <= pd.Timestamp.now(tz="UTC")
    health = server.get("/health").json()
    assert health["status"] == "ok" and health["model"] == meta


async def clients(url, bodies: list[list[dict]]) -> list[list[httpx.Response]]:
    """One client per list of bodies, all at once; each sends its bodies one after another."""
    async def client(own):
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            return [await c.post("/forecast", json=b) for b in own]
    return await asyncio.gather(*(client(own) for own in bodies))


def test_concurrent_requests_share_forecast_passes(server, fitted):
    """8 clients x 5 requests, each of its own new series: every answer is its own forecast, and
    requests that arrived together were answered by one pass."""
    model = fitted[0]
    frames = [[panel(48 + j, ids=(f"c{k}",), scale=(k + 1,)) for j in range(5)] for k in range(8)]
    before = server.get("/health").json()
    answers = asyncio.run(clients(str(server.base_url), [[body(f, level=[90]) for f in own] for own in frames]))
    after = server.get("/health").json()
    print(f"{after['forecast_passes'] - before['forecast_passes']} forecast passes for 40 requests")
    for own, replies in zip(frames, answers):
        for f, r in zip(own, replies):
            assert r.status_code == 200, r.text
            assert_forecasts(r.json(), model.predict(data=f, level=[90]), [90], exact=False)  # batches round differently
    passes = after["forecast_passes"] - before["forecast_passes"]
    assert after["requests"] - before["requests"] == 40
    assert passes <= 20, f"{passes} forecast passes for 40 requests: batching did not happen"


def test_a_bad_request_in_a_batch_fails_alone(server, fitted):
    good = [body(panel(50, ids=(f"g{k}",))) for k in range(6)]
    short = body(panel(20, ids=("short",)))
    replies = asyncio.run(clients(str(server.base_url), [[b] for b in [*good, short]]))
    assert [r[0].status_code for r in replies] == [200] * 6 + [422]
    assert replies[-1][0].json()["error"].startswith("series 'short' has 20 points, but the model reads the last 24")


SERIES = {"id": "a", "timestamps": ["2024-01-01T00:00:00"], "values": [1.0]}
BAD = [
    (b"{", 400, "the request body is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1)); "
               'send an object like {"series": [{"id": "a", "timestamps": [...], "values": [...]}]}'),
    (b"[1]", 422, "the request body is a JSON list, not an object; send an object like "
                  '{"series": [{"id": "a", "timestamps": [...], "values": [...]}]}'),
    ({"series": []}, 422, "'series' must be a non-empty list of series, got []; send "
                          '{"series": [{"id": "a", "timestamps": [...], "values": [...]}]}'),
    ({"series": [SERIES], "horizon": 4}, 422, "the request has unknown field 'horizon'; the fields are series, h, level"),
    ({"series": [{"id": "a", "values": [1]}]}, 422, "series[0] has no 'timestamps'; give each series an id, timestamps and values"),
    ({"series": [{**SERIES, "id": None}]}, 422, "series[0]: 'id' is null; give a string"),
    ({"series": [{**SERIES, "values": "1"}]}, 422, "series 'a': 'values' is \"1\", not a list"),
    ({"series": [{**SERIES, "values": [1, 2]}]}, 422, "series 'a' has 1 timestamps but 2 values; give one value per timestamp"),
    ({"series": [{**SERIES, "values": [True]}]}, 422, "series 'a': 'values' holds true; give numbers (null for a missing value)"),
    ({"series": [SERIES, SERIES]}, 422, "series 'a' appears twice in 'series'; send each series once"),
    ({"series": [{**SERIES, "timestamps": [], "values": []}]}, 422, "series 'a' has no timestamps and no values; give its history, "
                                                                    "at least as many points as the model reads (GET /model: seq_size)"),
    ({"series": [SERIES], "h": 0}, 422, "h=0 must be a positive integer (at most 10000)"),
    ({"series": [SERIES], "h": "6"}, 422, "h='6' must be a positive integer (at most 10000)"),
    ({"series": [SERIES], "level": [150]}, 422, "level=[150] must be percentages strictly between 0 and 100, e.g. level=[80, 95]"),
    ({"series": [SERIES], "level": [0.8, 0.95]}, 422, "level=[0.8, 0.95] is in percent: 0.8%, 0.95% intervals; for 80%, 95% pass "
                                                      "level=[80, 95]"),
    (b'{"series": [{"id": "a", "timestamps": ["2024-01-01T00:00", "2024-01-01T01:00", "2024-01-01T02:00"], "values": [1, NaN, 3]}]}',
     422, "series 'a' has 1 NaN or infinite value(s) in 'y', the first at 2024-01-01 01:00:00; remove them or pass "
          "fill_missing='ffill', 'interpolate' or 'zero' (for NaN) (a saved model reads new data with the options it was fitted "
          "with: correct the data, or fit a new model with that option)"),
    (b'{"series": [{"id": "a", "timestamps": ["2024-01-01T00:00:00"], "values": [1' + b"0" * 400 + b"]}]}", 422,
     "the target column 'y' has the value 10000000000000000000... (401 digits) at row 0 (series 'a'), beyond what a float64 "
     "holds (about 1.8e308); fix or remove that row"),
    (b'{"series": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400,
     'the request body nests too deeply to read; send an object like {"series": [{"id": "a", "timestamps": [...], "values": [...]}]}'),
    ({"series": [{**SERIES, "values": ["abc"]}]}, 422, "the target column 'y' has 1 non-numeric value(s), the first 'abc' at row 0 "
                                                      "(series 'a'); fix or remove those rows"),
    (b'{"series": [{"id": "a", "timestamps": ["2024-01-01T00:00:00"], "values": [' + b"9" * 5000 + b"]}]}", 400,
     "the request body is not valid JSON (Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits); "
     'send an object like {"series": [{"id": "a", "timestamps": [...], "values": [...]}]}'),
    (b'{"series": [{"id": "\\ud800", "timestamps": ["2024-01-01T00:00:00"], "values": [1]}]}', 422,
     'series[0] holds a lone surrogate in "\\ud800"; send valid Unicode text'),
]


@pytest.mark.parametrize("request_body, status, message", BAD)
def test_a_malformed_request_gets_one_line(server, request_body, status, message):
    r = server.post("/forecast", **({"content": request_body} if isinstance(request_body, bytes) else {"json": request_body}))
    assert (r.status_code, r.json()) == (status, {"error": message})


def test_errors_of_the_data_say_what_the_cli_says(server, capsys, fitted, tmp_path):
    """The same data, refused by the service and by 'predict MODEL --data': the same words."""
    daily = panel().assign(ds=lambda d: d.groupby("unique_id").cumcount().map(lambda k: pd.Timestamp("2024-01-01") + pd.Timedelta(days=k)))
    for k, data in enumerate([pd.concat([panel(), panel(20, ids=("new",))]), daily]):
        data.to_csv(tmp_path / f"{k}.csv", index=False)
        assert main(["predict", str(fitted[1]), "--data", str(tmp_path / f"{k}.csv")]) == 2
        cli = capsys.readouterr().err.removeprefix("seriespredictor: error: ").strip()
        assert server.post("/forecast", json=body(data)).json() == {"error": cli}
    wrong = server.get("/forecast")
    assert (wrong.status_code, wrong.json()["error"]) == (405, "Method Not Allowed: GET /forecast; the endpoints are "
                                                                "POST /forecast, GET /health and GET /model")


def test_a_replaced_model_file_keeps_serving_the_loaded_model(server, fitted):
    path, data = fitted[1], panel(130)
    before = server.post("/forecast", json=body(data)).json()
    aside = path.with_name("model-aside")
    path.rename(aside)
    try:
        Forecaster(h=4, seq_size=12, hidden_dim=4, steps=3, ensemble=1, val_size=0, seed=1).fit(panel()).save(path)
        assert server.post("/forecast", json=body(data)).json() == before
        assert server.get("/model").json()["file_changed"] is True
        (path / "weights.safetensors").write_bytes(b"damaged")  # in place, under the same name
        assert server.post("/forecast", json=body(data)).json() == before
    finally:
        shutil.rmtree(path)
        aside.rename(path)
    assert server.get("/model").json()["file_changed"] is False


@pytest.mark.parametrize("k, sig", [(1, signal.SIGINT), (2, signal.SIGTERM)])
def test_a_stopped_server_leaves_nothing(servers, k, sig):
    proc, url, folder = servers[k]
    assert httpx.post(f"{url}/forecast", json=body(panel(30, ids=("x",)))).status_code == 200
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and out == ""
    assert sorted(p.name for p in folder.rglob("*")) == ["tmp"]  # nothing written, not even a temp file
    with socket.socket() as s:
        s.bind(("127.0.0.1", int(url.rsplit(":", 1)[1])))  # the port is free


def test_serve_without_the_extra_says_what_to_install(fitted, monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "seriespredictor.serve", raising=False)
    monkeypatch.setitem(sys.modules, "fastapi", None)  # as if not installed
    assert main(["serve", str(fitted[1])]) == 2
    assert capsys.readouterr().err == ("seriespredictor: error: the forecast service needs FastAPI and uvicorn (fastapi is missing): "
                                       "pip install 'seriespredictor[serve]'\n")


def test_a_busy_port_is_refused_in_one_line(fitted, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["serve", str(fitted[1]), "--port", str(port)]) == 2
    assert capsys.readouterr().err == (f"seriespredictor: error: cannot listen on 127.0.0.1:{port} (Address already in use); "
                                       "choose another --port or stop what uses it\n")


def test_an_unexpected_failure_is_a_500_in_one_line_and_logged(fitted, caplog, monkeypatch):
    """In process (the app alone, its lifespan run here): a defect in predict."""
    from seriespredictor.serve import Service, create_app

    model = Forecaster.load(fitted[1])
    monkeypatch.setattr(model, "predict", lambda *a, **k: 1 / 0)
    app = create_app(Service(model, fitted[1]))

    async def post():
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.post("/forecast", json=body(panel(30)))

    r = asyncio.run(post())
    assert (r.status_code, r.json()) == (500, {"error": "internal error: division by zero; the server's log has the details"})
    assert "ZeroDivisionError" in caplog.text and "POST /forecast failed" in caplog.text


def test_a_body_over_the_limit_is_refused_before_it_is_read_whole(server):
    from seriespredictor.serve import MAX_BODY_BYTES

    padded = b'{"series": [' + b" " * MAX_BODY_BYTES + b"]}"  # valid JSON, one byte-run too large
    message = "the request body is larger than 64 MiB; send the series in several requests"
    r = server.post("/forecast", content=padded)  # with its Content-Length
    assert (r.status_code, r.json()) == (413, {"error": message})
    r = server.post("/forecast", content=(padded[k : k + 2**20] for k in range(0, len(padded), 2**20)))  # chunked, no length
    assert (r.status_code, r.json()) == (413, {"error": message})
    assert server.get("/health").status_code == 200
