"""Fit from a Parquet dataset larger than the data frames pandas could hold, predict in chunks.

    python benchmarks/bigdata.py [--series 100000] [--length 1000] [--dir /tmp/bigdata]

Writes a generated panel (season 24, trend, AR(1) noise; int32 ids, int64 time, float64 y) as
a folder of Parquet files, one row group per 5,000 series, unless it is there already; then,
in a fresh process, fits a Forecaster from the folder and writes the forecasts of every series
chunk by chunk, printing one JSON line with seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def generate(folder: Path, n_series: int, length: int, chunk: int = 5000) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    t = np.arange(length)
    for part, first in enumerate(range(0, n_series, chunk)):
        n = min(chunk, n_series - first)
        level = rng.uniform(50, 500, (n, 1))
        season = rng.uniform(0.05, 0.3, (n, 1)) * level * np.sin(2 * np.pi * t / 24 + rng.uniform(0, 6.3, (n, 1)))
        trend = rng.normal(0, 0.05, (n, 1)) * level / 100 * t
        eps = rng.normal(0, 0.02, (n, length)) * level
        noise = np.zeros((n, length))
        for k in range(1, length):
            noise[:, k] = 0.7 * noise[:, k - 1] + eps[:, k]
        y = (level + season + trend + noise).ravel()
        table = pa.table({
            "unique_id": pa.array(np.repeat(np.arange(first, first + n, dtype=np.int32), length)),
            "ds": pa.array(np.tile(t.astype(np.int64), n)),
            "y": pa.array(y),
        })
        pq.write_table(table, folder / f"part-{part:04d}.parquet")


def run(folder: Path, out: Path, steps: int) -> dict:
    import torch  # noqa: F401  (so the baseline below is the RSS of torch alone)

    with open("/proc/self/status") as f:
        import_rss = next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))
    from seriespredictor import Forecaster

    t0 = time.perf_counter()
    model = Forecaster(h=24, seq_size=96, patch_size=24, hidden_dim=64, batch_size=256, steps=steps, lr=3e-3,
                       loss="mae", eval_every=max(1, steps // 2), seed=0)
    model.fit(folder)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.predict_to(out, chunk_size=10_000)
    predict_s = time.perf_counter() - t0
    return {"case": "bigdata", "series": len(model.ids_),
            "fit_s": round(fit_s, 1), "predict_s": round(predict_s, 1), "steps": steps,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "import_torch_rss_mb": round(import_rss, 1), "forecast_rows": sum(1 for _ in open(out)) - 1}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--series", type=int, default=100_000)
    p.add_argument("--length", type=int, default=1000)
    p.add_argument("--dir", default="/tmp/seriespredictor-bigdata")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    folder = Path(args.dir) / f"panel-{args.series}x{args.length}"
    if args.child:
        result = run(folder, Path(args.dir) / "forecast.csv", args.steps)
        result["points"] = args.series * args.length
        print(json.dumps(result), flush=True)
        return
    if not folder.exists():
        t0 = time.perf_counter()
        generate(folder, args.series, args.length)
        print(json.dumps({"generated": str(folder), "seconds": round(time.perf_counter() - t0, 1),
                          "bytes": sum(f.stat().st_size for f in folder.iterdir())}), flush=True)
    subprocess.run([sys.executable, __file__, "--child", "--series", str(args.series), "--length", str(args.length),
                    "--dir", args.dir, "--steps", str(args.steps)], check=True)


if __name__ == "__main__":
    main()
