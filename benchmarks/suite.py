"""The development suite of issue #13: the default Forecaster on every dev data set, in one table.

    python benchmarks/suite.py [--seeds 0 1 2] [--validate] [--only m4 m1y m1q m1m nn5] \\
        [--set steps=20 ensemble=1] [--nn5-fill interpolate] [--data DIR] [--json FILE]

Rows are data set x model: ``Forecaster(h=H, season=m, freq=..., seed=S)`` with nothing else set
(NN5 adds ``fill_missing=--nn5-fill``; ``--set key=value`` overrides any setting), seasonal naive
and Naive2 fitted on the same data, then the published references of each folder's README.
Columns: sMAPE and MASE as M4 defines them (m of the data set; NN5 with m = 7), OWA against our
Naive2 (published rows: against the organisers' Naive2, M4 only), fit seconds, and the share of
test points inside the Forecaster's 80% and 95% intervals, pooled over the data set. Forecaster
figures are the mean over ``--seeds``; ``--json`` also holds one row per seed.

NN5's missing days (empty cells, read by position) are filled for fitting as ``--nn5-fill`` says;
missing test days are not scored, and MASE's in-sample scale skips the pairs they touch.
``--validate`` fits on each training series less its last H points and scores on those (the
tuning split); published figures are always test-split figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from m4 import forecasts_matrix, parse_set, read_m4, to_long

from seriespredictor import Forecaster, Naive2, SeasonalNaive, SeriesValidationError
from seriespredictor.data import FILL_METHODS
from seriespredictor.metrics import owa, score_panel

LEVELS = (80, 95)


@dataclass(frozen=True)
class DataSet:
    name: str
    folder: str
    stem: str  # files <stem>-train.csv and <stem>-test.csv
    h: int
    season: int
    freq: int | str = 1
    start: str | None = None  # set for files read by position (an empty cell is a missing value): the first date


DATASETS = {
    "m4": DataSet("M4 Hourly", "m4_hourly", "Hourly", 48, 24),
    "m1y": DataSet("M1 Yearly", "m1", "Yearly", 6, 1),
    "m1q": DataSet("M1 Quarterly", "m1", "Quarterly", 8, 4),
    "m1m": DataSet("M1 Monthly", "m1", "Monthly", 18, 12),
    "nn5": DataSet("NN5 Daily", "nn5", "Daily", 56, 7, freq="D", start="1996-03-18"),
}

# Published test-split (sMAPE, MASE), None where not published, from ../shared/data/*/README.md and
# ../shared/reference/BENCHMARKS.md. M1: all 1,001 series (997 here). NN5: Monash, MASE with m = 7,
# on a copy whose missing days were imputed.
REFERENCES = {
    "m4": {"seasonal naive (organisers)": (13.912, 1.193), "Theta (organisers)": (18.138, 2.455),
           "ES-RNN, Smyl (M4 winner)": (9.328, 0.893), "Doornik et al. (best Hourly entry)": (8.913, 0.801),
           "TiRex, zero-shot": (7.85, 0.722)},
    "m1y": {"Theta (Monash)": (20.17, 4.191), "ETS (Monash)": (18.61, 3.771), "AutoARIMA (fev)": (None, 3.486),
            "AutoETS (fev)": (None, 3.957), "TiRex, zero-shot (fev)": (None, 3.703)},
    "m1q": {"Theta (Monash)": (16.35, 1.702), "ETS (Monash)": (17.47, 1.658), "AutoARIMA (fev)": (None, 1.688),
            "AutoETS (fev)": (None, 1.661), "TiRex, zero-shot (fev)": (None, 1.674)},
    "m1m": {"Theta (Monash)": (16.53, 1.091), "ETS (Monash)": (15.05, 1.074), "AutoARIMA (fev)": (None, 1.114),
            "AutoETS (fev)": (None, 1.089), "TiRex, zero-shot (fev)": (None, 1.060)},
    "nn5": {"ETS (Monash)": (21.57, 0.865), "Theta (Monash)": (22.01, 0.885), "TBATS (Monash)": (21.19, 0.858)},
}
PUBLISHED_NAIVE2 = {"m4": (18.383, 2.395)}  # the OWA reference of published rows


def read_by_position(path) -> dict[str, np.ndarray]:
    """An M4-format file whose rows all have the same length (NN5): empty cells are missing values, NaN in place."""
    frame = pd.read_csv(path, index_col=0)
    return dict(zip(frame.index, frame.to_numpy(np.float64)))


def load(ds: DataSet, data_dir: Path, validate: bool) -> tuple[dict, dict]:
    """Training series and the H actual values after each: the test file's, or with ``validate``
    the last H training points (then cut from the training series)."""
    read = read_by_position if ds.start else read_m4
    train = read(data_dir / ds.folder / f"{ds.stem}-train.csv")
    if validate:
        return {k: v[: -ds.h] for k, v in train.items()}, {k: v[-ds.h :] for k, v in train.items()}
    test = read(data_dir / ds.folder / f"{ds.stem}-test.csv")
    return train, {k: test[k][: ds.h] for k in train}


def long_frame(ds: DataSet, train: dict) -> pd.DataFrame:
    long = to_long(train)  # missing values stay as NaN rows, so the days keep their places
    if ds.start:
        long["ds"] = pd.Timestamp(ds.start) + pd.to_timedelta(long["ds"], unit=ds.freq)
    return long


def score(actual: list, forecast: np.ndarray, insample: list, season: int, bounds: dict | None = None) -> dict:
    """sMAPE and MASE on the actual values that are present, and the percentage of them inside
    each level's ``(lo, hi)`` in ``bounds``, pooled over series."""
    present = [~np.isnan(y) for y in actual]
    s = score_panel([y[p] for y, p in zip(actual, present)], [f[p] for f, p in zip(forecast, present)], insample, season)
    row = {"smape": s["smape"], "mase": s["mase"]}
    for level, (lo, hi) in (bounds or {}).items():
        inside = np.concatenate([((y >= a) & (y <= b))[p] for y, a, b, p in zip(actual, lo, hi, present)])
        row[f"coverage_{level}"] = 100 * float(inside.mean())
    return row


def fit_forecaster(ds: DataSet, long: pd.DataFrame, ids: list, seed: int, settings: dict) -> tuple[dict, dict]:
    """Fit and predict once: the forecasts, the interval bounds by level (none, with the reason
    in ``info``, where the model refuses intervals) and the run's timings."""
    model = Forecaster(h=ds.h, season=ds.season, freq=ds.freq, seed=seed, **settings)
    t0 = time.perf_counter()
    model.fit(long)
    info = {"fit_s": time.perf_counter() - t0, "best_step": [r.best_step for r in model.history_]}
    t0 = time.perf_counter()
    try:
        predicted = model.predict(level=list(LEVELS))
    except SeriesValidationError as e:
        info["interval_error"] = str(e)
        predicted = model.predict()
    info["predict_s"] = time.perf_counter() - t0
    matrices = {name: forecasts_matrix(predicted, name, ids, ds.h) for name in predicted.columns[2:]}
    bounds = {lv: (matrices[f"{model.alias}-lo-{lv}"], matrices[f"{model.alias}-hi-{lv}"]) for lv in LEVELS if "interval_error" not in info}
    return {"forecast": matrices[model.alias], "bounds": bounds}, info


def run_data_set(key: str, args, overrides: dict) -> list[dict]:
    """The data set's rows: the Forecaster's mean over seeds, one row per seed, the baselines,
    the published figures."""
    ds = DATASETS[key]
    train, actual = load(ds, args.data, args.validate)
    ids = list(train)
    long = long_frame(ds, train)
    y, insample = [actual[i] for i in ids], [train[i] for i in ids]
    fill = {"fill_missing": args.nn5_fill} if ds.start else {}
    base = {"data": key, "data_name": ds.name, "series": len(ids)}

    baselines = []
    for cls in (SeasonalNaive, Naive2):
        t0 = time.perf_counter()
        fc = forecasts_matrix(cls(ds.season).fit(long, freq=ds.freq, **fill).predict(ds.h), cls.alias, ids, ds.h)
        baselines.append({**base, "model": cls.alias, "kind": "baseline", "seconds": time.perf_counter() - t0,
                          **score(y, fc, insample, ds.season)})

    seeds = []
    for seed in args.seeds:
        try:
            out, info = fit_forecaster(ds, long, ids, seed, {**fill, **overrides})
        except SeriesValidationError as e:  # the default recipe refusing a data set is a result, not a crash
            seeds.append({**base, "model": "Forecaster", "kind": "seed", "seed": seed, "error": str(e)})
            continue
        seeds.append({**base, "model": "Forecaster", "kind": "seed", "seed": seed, **info,
                      **score(y, out["forecast"], insample, ds.season, out["bounds"])})
        print(f"{ds.name}, seed {seed}: fit {info['fit_s']:.1f} s", file=sys.stderr)
    fitted = [r for r in seeds if "error" not in r]
    if fitted:
        keys = ["smape", "mase", "fit_s", "predict_s"] + [f"coverage_{lv}" for lv in LEVELS]
        seeds.insert(0, {**base, "model": "Forecaster", "kind": "mean", "seeds": [r["seed"] for r in fitted],
                         **{k: float(np.mean([r[k] for r in fitted])) for k in keys if all(k in r for r in fitted)}})
    naive2 = baselines[1]
    for r in seeds + baselines:
        if "mase" in r:
            r["owa"] = owa(r["smape"], r["mase"], naive2["smape"], naive2["mase"])

    published = []
    reference = PUBLISHED_NAIVE2.get(key)
    for name, (s, m) in REFERENCES[key].items():
        published.append({**base, "model": name, "kind": "published", "smape": s, "mase": m})
        if reference and s is not None:
            published[-1]["owa"] = owa(s, m, *reference)
    return seeds + baselines + published


def _cells(row: dict, keys: list[str], fmt: str) -> list[str]:
    return [fmt.format(row[k]) if row.get(k) is not None else "" for k in keys]


def markdown(rows: list[dict]) -> str:
    cov = [f"coverage_{lv}" for lv in LEVELS]
    lines = ["| data set | series | model | sMAPE | MASE | OWA | fit s | " + " | ".join(f"{lv}% cover" for lv in LEVELS) + " |",
             "|---|---:|---|---:|---:|---:|---:|" + "---:|" * len(LEVELS)]
    for r in rows:
        if r["kind"] == "seed" and "error" not in r:
            continue
        model = {"mean": f"Forecaster (seeds {' '.join(map(str, r.get('seeds', [])))})", "published": f"*{r['model']}*",
                 "seed": f"Forecaster, seed {r.get('seed')}: refused (below)"}.get(r["kind"], r["model"])
        values = _cells(r, ["smape", "mase", "owa"], "{:.3f}") + _cells(r, ["fit_s"], "{:.1f}") + _cells(r, cov, "{:.1f}%")
        lines.append(f"| {r['data_name']} | {r['series']} | {model} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data",
                   help="the folder holding m4_hourly/, m1/ and nn5/ (default: ../shared/data beside the checkout)")
    p.add_argument("--only", nargs="+", choices=list(DATASETS), default=list(DATASETS), help="data sets to run")
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--validate", action="store_true", help="score on the last H training points, not the test files")
    p.add_argument("--set", nargs="*", default=[], help="override Forecaster settings: key=value ...")
    p.add_argument("--nn5-fill", default="interpolate", choices=FILL_METHODS, help="fill_missing= for NN5's missing days")
    p.add_argument("--json", help="write every row (with one per seed) and the run's settings to this file")
    args = p.parse_args()
    overrides = parse_set(args.set)
    t_start = time.perf_counter()
    rows, wall = [], {}
    for key in args.only:
        t0 = time.perf_counter()
        rows += run_data_set(key, args, overrides)
        wall[key] = time.perf_counter() - t0
    total = time.perf_counter() - t_start

    split = "validation (last H training points)" if args.validate else "test"
    print(f"split: {split}; overrides: {overrides or 'none'}; NN5 fill_missing={args.nn5_fill!r}\n")
    print(markdown(rows))
    print()
    for r in rows:
        if "error" in r:
            print(f"{r['data_name']}, seed {r['seed']}: the Forecaster refused the data: {r['error']}")
        if "interval_error" in r:
            print(f"{r['data_name']}, seed {r['seed']}: no intervals: {r['interval_error']}")
    print("wall s: " + ", ".join(f"{DATASETS[k].name} {s:.0f}" for k, s in wall.items()) + f"; whole run {total:.0f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"split": "validation" if args.validate else "test", "seeds": args.seeds, "overrides": overrides,
                       "nn5_fill": args.nn5_fill, "wall_s": wall, "total_s": total, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
