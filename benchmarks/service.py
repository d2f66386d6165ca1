"""The forecast service measured with a real client against the real server (issue #15).

    python benchmarks/service.py [--model DIR] [--duration 60] [--requests 200] [--clients 8] [--json F]

Starts ``seriespredictor serve MODEL --quiet`` on a free port of 127.0.0.1 and measures, with
httpx:

1. the latency of ``POST /forecast`` for 1 series and for 100 series (``--requests`` each, one
   after another on one keep-alive connection, after 5 warm-up requests): median and p99;
2. ``--clients`` concurrent clients, each sending 1-series requests of its own series one after
   another for ``--duration`` seconds: requests per second, latency median and p99 under load,
   the failed requests (any status but 200, or a transport error), and the forecast passes the
   server ran for them (``GET /health``), so the mean number of requests per pass.

Each request holds the last ``seq_size`` points of series the model was fitted on (read from the
model file, as a user would send the latest history). Without ``--model``, a model of the M4
Hourly recipe's shape (h 48, input 168, 24 points per step, 128 units, 5 networks) is trained
for a few steps on generated hourly series: the figures are about serving, not accuracy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import generated_panel  # noqa: E402


def default_model(folder: Path) -> Path:
    from seriespredictor import Forecaster

    model = Forecaster(h=48, seq_size=168, patch_size=24, hidden_dim=128, ensemble=5, seasonal_base=True, season=24, freq=1,
                       steps=20, val_size=48, seed=0)
    data = generated_panel(200, 400)
    data["unique_id"] = "s" + data["unique_id"].astype(str)  # ids are text in JSON, as in files
    model.fit(data).save(folder / "model")
    return folder / "model"


def histories(path: Path, n: int) -> list[dict]:
    """``n`` series (the fitted ones, cycled under new ids past their number): each one's last
    ``seq_size`` points, as JSON."""
    import pandas as pd

    from seriespredictor import Forecaster
    from seriespredictor.calendar import freq_step

    m = Forecaster.load(path)
    step, L, out = freq_step(m.freq_), m.seq_size_, []
    for k in range(n):
        r = k % len(m.ids_)
        last = m.last_times_[r]
        times = [int(last - step * j) for j in range(L - 1, -1, -1)] if isinstance(step, int) else \
            [t.isoformat() for t in pd.date_range(end=last, periods=L, freq=step)]
        out.append({"id": str(m.ids_[r]) if k < len(m.ids_) else f"copy{k}-{m.ids_[r]}", "timestamps": times,
                    "values": m.tail_[r].tolist()})
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "seriespredictor", "serve", str(path), "--port", str(port), "--quiet"])
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(f"{url}/health", timeout=1)
            return proc, url
        except httpx.TransportError:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited with status {proc.returncode}")
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start in 60 s")


def quantiles(seconds: list[float]) -> dict:
    ms = np.asarray(seconds) * 1000
    return {"median_ms": round(float(np.median(ms)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2), "n": len(ms)}


def latency(url: str, series: list[dict], requests: int) -> dict:
    body = {"series": series}
    with httpx.Client(base_url=url, timeout=60) as c:
        for _ in range(5):
            c.post("/forecast", json=body).raise_for_status()
        times = []
        for _ in range(requests):
            t = time.perf_counter()
            c.post("/forecast", json=body).raise_for_status()
            times.append(time.perf_counter() - t)
    return quantiles(times)


async def load(url: str, series: list[dict], clients: int, duration: float) -> dict:
    """``clients`` clients, each with its own series, sending one request after another."""
    stop, times, failed = time.perf_counter() + duration, [], []

    async def client(own: dict):
        async with httpx.AsyncClient(base_url=url, timeout=60) as c:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                try:
                    r = await c.post("/forecast", json={"series": [own]})
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                (times if ok else failed).append(time.perf_counter() - t)

    t0 = time.perf_counter()
    await asyncio.gather(*(client(series[k]) for k in range(clients)))
    wall = time.perf_counter() - t0
    return {"clients": clients, "seconds": round(wall, 1), "requests_per_s": round(len(times) / wall, 1),
            "failed": len(failed), **quantiles(times)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, help="saved model folder (default: train one of the M4 Hourly recipe's shape)")
    p.add_argument("--duration", type=float, default=60, help="seconds of the concurrent-clients phase (default: 60)")
    p.add_argument("--requests", type=int, default=200, help="requests per latency figure (default: 200)")
    p.add_argument("--clients", type=int, default=8, help="concurrent clients (default: 8)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.model or default_model(Path(tmp))
        series = histories(path, max(100, args.clients))
        proc, url = start(path)
        try:
            meta = httpx.get(f"{url}/model").json()
            out = {"model": {k: meta[k] for k in ("h", "seq_size", "series", "head")}, "cpus": os.cpu_count(),
                   "latency_1_series": latency(url, series[:1], args.requests),
                   "latency_100_series": latency(url, series[:100], args.requests)}
            before = httpx.get(f"{url}/health").json()
            out["concurrent"] = asyncio.run(load(url, series, args.clients, args.duration))
            after = httpx.get(f"{url}/health").json()
            passes = after["forecast_passes"] - before["forecast_passes"]
            out["concurrent"]["forecast_passes"] = passes
            out["concurrent"]["requests_per_pass"] = round((after["requests"] - before["requests"]) / max(passes, 1), 2)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    out["server_exit_status"] = proc.returncode
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
