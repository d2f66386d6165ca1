"""How hard each time slice of the dev data sets is: seasonal naive's error, slice by slice.

    python benchmarks/slices.py [--slices 4] [--data DIR]

Slice 0 is the test file's ``H`` points; slice ``k`` the ``H`` training points that end ``(k - 1) * H``
points before the end of the training file (slice 1: the held-out points that calibrate the
default Forecaster's intervals). Each row: the mean over series of seasonal naive's MAE on the
slice from the history before it, scaled by that history's mean seasonal change (MASE), and how
many series are long enough (two seasons and a point before the slice). Conformal intervals
calibrated on slice 1 cover slice 0 as nominal only where the two are alike.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from suite import DATASETS, load


def slice_error(history: np.ndarray, actual: np.ndarray, season: int) -> float:
    """Seasonal naive's MASE on ``actual`` from ``history`` (NaN where the scale is 0)."""
    forecast = np.resize(history[-season:], len(actual))
    scale = np.nanmean(np.abs(history[season:] - history[:-season]))
    return float(np.nanmean(np.abs(actual - forecast)) / scale) if scale > 0 else np.nan


def filled(x: np.ndarray) -> np.ndarray:
    """``x`` with missing values (NN5's empty days) interpolated, as the suite fits it."""
    bad = np.isnan(x)
    return np.where(bad, np.interp(np.arange(len(x)), np.flatnonzero(~bad), x[~bad]), x) if bad.any() else x


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    p.add_argument("--slices", type=int, default=4, help="slices per data set: the test one and this many less one before it")
    args = p.parse_args()
    print("| data set | " + " | ".join(["test slice"] + [f"slice {k}" for k in range(1, args.slices)]) + " |")
    print("|---|" + "---:|" * args.slices)
    for ds in DATASETS.values():
        train, actual = load(ds, args.data, validate=False)
        cells = []
        for k in range(args.slices):
            errors = []
            for sid, x in train.items():
                x = filled(np.asarray(x, float)) if ds.start else np.asarray(x, float)
                cut = len(x) - k * ds.h
                if cut < 2 * ds.season + 1:
                    continue
                history, y = (x, np.asarray(actual[sid], float)) if k == 0 else (x[:cut], x[cut : cut + ds.h])
                errors.append(slice_error(history, y, ds.season))
            errors = np.asarray(errors)
            cells.append(f"{np.nanmean(errors):.3f} ({np.isfinite(errors).sum()})")
        print(f"| {ds.name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
