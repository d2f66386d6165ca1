"""Interval coverage on the airline series against the size of the held-out part.

    python benchmarks/intervals.py [--val-sizes 12 24 36] [--seeds 0 1 2]

The CLI's backtest (``seriespredictor backtest --windows 3 --level 80 95``): one
``Forecaster(h=12, val_size=v, seed=s)`` fitted on 1949-1957, then three windows of 12 months
over 1958-1960. The ``val_size`` points held out at the end of the training part are cut into
rolling calibration windows (``intervals.calibration_windows``). Prints one line per run and the
mean coverage per ``val_size``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from seriespredictor import Forecaster, load_airline_passengers
from seriespredictor.intervals import calibration_windows

LEVELS = (80, 95)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--val-sizes", type=int, nargs="+", default=[12, 24, 36])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = p.parse_args()
    series = load_airline_passengers()
    warnings.simplefilter("ignore", RuntimeWarning)  # too few errors for 95%: the coverage shows it
    for val in args.val_sizes:
        covered = []
        for seed in args.seeds:
            cv = Forecaster(h=12, val_size=val, seed=seed).cross_validation(series, 12, 3, level=list(LEVELS))  # trained on 1949-1957
            covered.append([100 * ((cv.y >= cv[f"LSTM-lo-{lv}"]) & (cv.y <= cv[f"LSTM-hi-{lv}"])).mean() for lv in LEVELS])
            print(f"val_size={val} seed={seed} windows={calibration_windows(val, 12)[1]} MAE={np.mean(np.abs(cv.y - cv.LSTM)):.1f} "
                  + " ".join(f"coverage-{lv}={c:.1f}" for lv, c in zip(LEVELS, covered[-1])), flush=True)
        print(f"val_size={val} mean " + " ".join(f"coverage-{lv}={c:.1f}" for lv, c in zip(LEVELS, np.mean(covered, 0))), flush=True)


if __name__ == "__main__":
    main()
