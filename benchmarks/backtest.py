"""A backtest's forecast pass against one prediction pass over the same inputs (M4 Hourly, 414 series).

    python benchmarks/backtest.py [--windows 10] [--repeats 5]

Trains a small model quickly (the accuracy does not matter here), then times what
``cross_validation(h=48, n_windows=10)`` does after training, ``forecast_windows`` over every
cutoff, against one ``forecast_array`` call on the same 4,140 input windows, medians of ``--repeats``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from m4 import read_m4, to_long  # noqa: E402

from seriespredictor import Forecaster  # noqa: E402
from seriespredictor.backtest import cutoff_points  # noqa: E402
from seriespredictor.data import to_panel  # noqa: E402

M4 = HERE.parent.parent / "shared" / "data" / "m4_hourly" / "Hourly-train.csv"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--windows", type=int, default=10)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    settings = {"steps": 50, "ensemble": 1}  # the default recipe, shortened
    long = to_long(read_m4(M4))
    model = Forecaster(h=48, season=24, freq=1, seed=0, **settings).fit(long)
    panel = to_panel(long, freq=1)
    cuts = cutoff_points(panel.lengths, 48, args.windows, 48)
    L = model.seq_size_
    starts = (panel.offsets[:-1, None] + cuts - L).reshape(-1)
    inputs = panel.values[starts[:, None] + np.arange(L)]
    rows = np.repeat(np.arange(len(panel.ids)), args.windows)
    backtest, predict = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        out = model.forecast_windows(panel, cuts, 48)
        backtest.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        model.forecast_array(inputs, model.scaler_.take(rows), model.calibration_.spread[rows], [model.ids_[r] for r in rows], 48)
        predict.append(time.perf_counter() - t0)
    b, q = statistics.median(backtest), statistics.median(predict)
    print(json.dumps({"case": "backtest", "series": len(panel.ids), "windows": args.windows, "rows": out["LSTM"].size,
                      "backtest_s": round(b, 3), "predict_s": round(q, 3), "ratio": round(b / q, 2)}))


if __name__ == "__main__":
    main()
