"""Airline passengers, last 12 months held out: the Forecaster's defaults over seeds.

    python benchmarks/airline.py [--seeds 0 1 2] [--json OUT.json] [--set key=value ...]

Prints one JSON line per seed and a summary line. MASE uses season 12 on the 132 training
months. Reference figures measured on this machine (../shared/reference/BENCHMARKS.md):
seasonal naive 1.571, AutoETS 1.170, AutoARIMA 0.608, NeuralForecast LSTM 0.497.
"""

from __future__ import annotations

import argparse
import ast
import json
import time

import numpy as np

from seriespredictor import Forecaster, SeasonalNaive, load_airline_passengers
from seriespredictor.metrics import mae, mase, smape


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--holdout", type=int, default=12, help="months held out at the end (12: 1960)")
    p.add_argument("--skip", type=int, default=0, help="months dropped after the holdout (12: test on 1959)")
    p.add_argument("--set", nargs="*", default=[], help="Forecaster settings, e.g. head=recursive steps=500")
    p.add_argument("--json", help="also write the summary here")
    args = p.parse_args()
    settings = {k: ast.literal_eval(v) if v[:1].isdigit() or v in ("True", "False", "None") else v
                for k, v in (s.split("=", 1) for s in args.set)}
    s = load_airline_passengers()
    s = s.iloc[: len(s) - args.skip]
    train, test = s.iloc[: -args.holdout], s.to_numpy()[-args.holdout :]
    insample = train.to_numpy()
    rows = []
    for seed in args.seeds:
        t0 = time.perf_counter()
        model = Forecaster(h=args.holdout, seed=seed, **settings).fit(train)
        fit_s = time.perf_counter() - t0
        fc = model.predict()["LSTM"].to_numpy()
        row = {"seed": seed, "mase": mase(test, fc, insample, 12), "smape": smape(test, fc), "mae": mae(test, fc),
               "fit_s": round(fit_s, 2), "best_step": [r.best_step for r in model.history_]}
        rows.append(row)
        print(json.dumps(row))
    snaive = SeasonalNaive(12).fit(train).predict(args.holdout)["SeasonalNaive"].to_numpy()
    m = np.array([r["mase"] for r in rows])
    summary = {"case": "airline", "settings": settings, "seeds": args.seeds, "mase_mean": round(float(m.mean()), 3),
               "mase_std": round(float(m.std()), 3), "smape_mean": round(float(np.mean([r["smape"] for r in rows])), 3),
               "fit_s_median": float(np.median([r["fit_s"] for r in rows])),
               "seasonal_naive_mase": round(mase(test, snaive, insample, 12), 3)}
    print(json.dumps(summary))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": rows, "summary": summary}, f, indent=2)


if __name__ == "__main__":
    main()
