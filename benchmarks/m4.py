"""Score the Forecaster on any M4-format pair of files, next to Naive2 and seasonal naive.

    python benchmarks/m4.py --train ../shared/data/m4_hourly/Hourly-train.csv \\
        --test ../shared/data/m4_hourly/Hourly-test.csv --h 48 --season 24 --seed 0

M4 files hold one series per row: the id, then the values, padded with empty cells. Prints one
JSON line: sMAPE, MASE and OWA of the LSTM, the same for seasonal naive, Naive2's sMAPE and MASE
(the OWA reference, computed here on the same data), fit and predict seconds and peak RSS.
``--level 95`` adds the coverage (in percent) and MSIS of the conformal 95% intervals.
``--validate`` scores on the last ``h`` points of each training series instead of the test file
(use it to choose settings). ``--forecasts-out F.csv`` writes the forecasts as ``id,F1..FH``
(and, with ``--level``, the bounds beside it as ``F-lo-95.csv`` and ``F-hi-95.csv``).
"""

from __future__ import annotations

import argparse
import ast
import json
import resource
import time

import numpy as np
import pandas as pd

from seriespredictor import Forecaster, Naive2, SeasonalNaive
from seriespredictor.metrics import msis, owa, score_panel
from seriespredictor.recipe import CHOSEN


def read_m4(path) -> dict[str, np.ndarray]:
    frame = pd.read_csv(path, dtype=str)
    out = {}
    for row in frame.itertuples(index=False):
        values = [v for v in row[1:] if isinstance(v, str) and v.strip()]
        out[row[0]] = np.asarray(values, dtype=np.float64)
    return out


def to_long(series: dict[str, np.ndarray]) -> pd.DataFrame:
    ids = np.repeat(list(series), [len(v) for v in series.values()])
    ds = np.concatenate([np.arange(len(v)) for v in series.values()])
    return pd.DataFrame({"unique_id": ids, "ds": ds, "y": np.concatenate(list(series.values()))})


def forecasts_matrix(frame: pd.DataFrame, column: str, ids: list[str], h: int) -> np.ndarray:
    by_id = frame.groupby("unique_id", sort=False)[column].apply(lambda s: s.to_numpy())
    return np.stack([by_id[i][:h] for i in ids])


def parse_set(pairs: list[str]) -> dict:
    """``--set key=value ...`` as Forecaster keyword arguments: Python literals (numbers, True,
    None, tuples) are read as such, anything else stays a string (``loss=mae``)."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not (sep and key):
            raise SystemExit(f"--set {pair!r} must be key=value, e.g. --set steps=20")
        try:
            settings[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            settings[key] = value
    return settings


def write_m4(path, matrix: np.ndarray, ids: list[str]) -> None:
    out = pd.DataFrame(matrix, columns=[f"F{k}" for k in range(1, matrix.shape[1] + 1)])
    out.insert(0, "id", ids)
    out.to_csv(path, index=False)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--h", type=int, required=True)
    p.add_argument("--season", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--validate", action="store_true", help="score on the last h training points, not the test file")
    p.add_argument("--set", nargs="*", default=[], help="override Forecaster settings: key=value ...")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--level", type=float, help="interval level in percent (M4: 95): adds coverage and MSIS")
    p.add_argument("--forecasts-out")
    p.add_argument("--json")
    args = p.parse_args()
    t_start = time.perf_counter()
    train = read_m4(args.train)
    if args.validate:
        actual = {k: v[-args.h :] for k, v in train.items()}
        train = {k: v[: -args.h] for k, v in train.items()}
    else:
        test = read_m4(args.test)
        actual = {k: test[k][: args.h] for k in train}
    ids = list(train)
    settings = parse_set(args.set)
    long = to_long(train)
    model = Forecaster(h=args.h, season=args.season, seed=args.seed, threads=args.threads, device=args.device, freq=1,
                       **settings)
    t0 = time.perf_counter()
    model.fit(long)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    predicted = model.predict(level=[args.level] if args.level else None)
    lstm = forecasts_matrix(predicted, "LSTM", ids, args.h)
    predict_s = time.perf_counter() - t0
    y = [actual[i] for i in ids]
    insample = [train[i] for i in ids]
    scores = {}
    for name, fc in [("lstm", lstm),
                     ("snaive", forecasts_matrix(SeasonalNaive(args.season).fit(long, freq=1).predict(args.h), "SeasonalNaive", ids, args.h)),
                     ("naive2", forecasts_matrix(Naive2(args.season).fit(long, freq=1).predict(args.h), "Naive2", ids, args.h))]:
        scores[name] = score_panel(y, list(fc), insample, args.season)
    ref = scores["naive2"]
    result = {
        "split": "validation" if args.validate else "test",
        "seed": args.seed,
        "smape": round(scores["lstm"]["smape"], 3),
        "mase": round(scores["lstm"]["mase"], 3),
        "owa": round(owa(scores["lstm"]["smape"], scores["lstm"]["mase"], ref["smape"], ref["mase"]), 3),
        "snaive_smape": round(scores["snaive"]["smape"], 3),
        "snaive_mase": round(scores["snaive"]["mase"], 3),
        "snaive_owa": round(owa(scores["snaive"]["smape"], scores["snaive"]["mase"], ref["smape"], ref["mase"]), 3),
        "naive2_smape": round(ref["smape"], 3),
        "naive2_mase": round(ref["mase"], 3),
        "fit_s": round(fit_s, 1),
        "predict_s": round(predict_s, 2),
        "total_s": round(time.perf_counter() - t_start, 1),
        "best_step": [r.best_step for r in model.history_],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "settings": settings,
        "chosen": {k: model.params_[k] for k in CHOSEN},
    }
    bounds = {}
    if args.level:
        lv = f"{args.level:g}"
        bounds = {f"lo-{lv}": forecasts_matrix(predicted, f"LSTM-lo-{lv}", ids, args.h),
                  f"hi-{lv}": forecasts_matrix(predicted, f"LSTM-hi-{lv}", ids, args.h)}
        lo, hi = bounds[f"lo-{lv}"], bounds[f"hi-{lv}"]
        actual_m = np.stack(y)
        result["coverage"] = round(float(np.mean((actual_m >= lo) & (actual_m <= hi))) * 100, 2)
        alpha = 1 - args.level / 100
        result["msis"] = round(float(np.nanmean([msis(a, l, u, x, args.season, alpha)
                                                 for a, l, u, x in zip(y, lo, hi, insample)])), 3)
    print(json.dumps(result))
    if args.forecasts_out:
        write_m4(args.forecasts_out, lstm, ids)
        stem = args.forecasts_out[:-4] if args.forecasts_out.endswith(".csv") else args.forecasts_out
        for name, matrix in bounds.items():
            write_m4(f"{stem}-{name}.csv", matrix, ids)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
