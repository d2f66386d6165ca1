"""Forecast latency in PyTorch (``predict(data=...)``) and in onnxruntime (the exported graph),
for 1 series and for 1,000, and the parity of the two, on an M4-Hourly-shaped model and a
recursive one.

    python benchmarks/serve.py --steps 50 --threads 2 --repeats 20

The M4 model is ``Forecaster(h=48, season=24, seed=0)`` fitted on ``../shared/data/m4_hourly``
(``--steps`` for a quick one: parity and latency do not depend on training), or loaded with
``--model DIR``; the recursive one is small (hidden 32, 2 networks) and fitted on the same data.
The series forecast are new to the models: the last ``seq_size`` points of the M4 series cut at
staggered ends, under new ids.
PyTorch runs on the threads the library chooses (one for small batches: a second one waiting
on a busy core made 1 series 10 times slower), onnxruntime on 1 and ``--threads``. Prints one
table and one JSON line: medians of ``--repeats`` runs in milliseconds, the largest relative
difference between the two forecasts, export seconds and file size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from m4 import read_m4, to_long

from seriespredictor import Forecaster
from seriespredictor.runtime import choose_threads

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "m4_hourly" / "Hourly-train.csv"


def histories(train: dict, n: int, length: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` new series of ``length`` points (long frame and float32 matrix ``[n, length]``),
    each the M4 series ``k % 414`` ending ``k // 414`` days before its end."""
    series = list(train.values())
    rows = []
    for k in range(n):
        v = series[k % len(series)]
        end = len(v) - 24 * (k // len(series))
        rows.append(v[end - length : end].astype(np.float32))
    matrix = np.stack(rows)
    frame = to_long({f"new-{k}": row.astype(np.float64) for k, row in enumerate(matrix)})
    return frame, matrix


def median_ms(run, repeats: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return round(1e3 * statistics.median(times), 2)


def measure(model: Forecaster, train: dict, args, folder: Path) -> dict:
    import onnxruntime as ort

    t0 = time.perf_counter()
    path = model.export_onnx(folder / "model.onnx")
    out = {"export_s": round(time.perf_counter() - t0, 2), "onnx_kb": round(path.stat().st_size / 1024, 1),
           "seq_size": model.seq_size_, "h": model.nets_[0].config.h, "networks": len(model.nets_)}
    sessions = {}
    for threads in sorted({1, args.threads}):
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        sessions[threads] = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    frame, matrix = histories(train, args.series, model.seq_size_)
    by_id = model.predict(data=frame).groupby("unique_id")["LSTM"].apply(np.asarray)
    predicted = np.stack([by_id[f"new-{k}"] for k in range(len(matrix))])
    graph = sessions[args.threads].run(["forecast"], {"history": matrix})[0]
    out["parity_max_rel"] = float(f"{np.max(np.abs(graph / predicted - 1)):.2e}")
    for n in (1, args.series):
        part, rows = frame[frame["unique_id"].isin([f"new-{k}" for k in range(n)])], matrix[:n]
        out[f"torch_threads_{n}"] = choose_threads(n, model.nets_[0].config.hidden_dim, model.threads)
        out[f"torch_ms_{n}"] = median_ms(lambda part=part: model.predict(data=part), args.repeats)
        for threads, session in sessions.items():
            out[f"onnx_{threads}t_ms_{n}"] = median_ms(lambda s=session, x=rows: s.run(["forecast"], {"history": x}), args.repeats)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="a saved M4 Hourly model (default: fit one)")
    p.add_argument("--steps", type=int, help="training steps of the fitted models (default: the recipe's)")
    p.add_argument("--threads", type=int, default=2, help="onnxruntime threads, measured with this many and with 1 (default: 2)")
    p.add_argument("--torch-threads", type=int, help="PyTorch threads (default: the library's choice by batch and model size)")
    p.add_argument("--save", help="save the fitted M4 model there (for --model next time)")
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--series", type=int, default=1000)
    p.add_argument("--data", default=str(DATA), help="M4 Hourly training file")
    p.add_argument("--json")
    args = p.parse_args()
    train = read_m4(args.data)
    long = to_long(train)
    models = {
        "m4_direct": Forecaster.load(args.model) if args.model else
        Forecaster(h=48, season=24, seed=0, steps=args.steps, freq=1).fit(long),
        "recursive": Forecaster(h=48, season=24, seed=0, head="recursive", hidden_dim=32, ensemble=2, steps=args.steps or 200,
                                refit=False, freq=1).fit(long),
    }
    results = {"onnx_threads": args.threads, "repeats": args.repeats, "cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]}
    if args.save and not args.model:
        models["m4_direct"].save(args.save)
    with tempfile.TemporaryDirectory() as folder:
        for name, model in models.items():
            model.threads = args.torch_threads
            results[name] = measure(model, train, args, Path(folder) / name)
    n = args.series
    print(f"ms, medians of {args.repeats}; PyTorch on the library's threads (in brackets), onnxruntime on 1 and {args.threads}")
    print(f"{'model':<10} {'torch 1':>10} {'onnx 1':>12} {f'torch {n}':>12} {f'onnx {n}':>16} {'parity':>9}")
    for name in models:
        r = results[name]
        onnx = ["/".join(str(r[f"onnx_{t}t_ms_{k}"]) for t in sorted({1, args.threads})) for k in (1, n)]
        print(f"{name:<10} {r['torch_ms_1']:>7} [{r['torch_threads_1']}] {onnx[0]:>12} {r[f'torch_ms_{n}']:>8} [{r[f'torch_threads_{n}']}]"
              f" {onnx[1]:>16} {r['parity_max_rel']:>9}")
    line = json.dumps(results)
    print(line)
    if args.json:
        Path(args.json).write_text(line + "\n")


if __name__ == "__main__":
    main()
