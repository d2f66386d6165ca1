"""Hourly bike rentals (UCI Bike Sharing, Washington D.C.): the Forecaster with and without
calendar and weather covariates, next to seasonal naive (24 h and 168 h).

    python benchmarks/bike.py [--configs plain calendar weather_past weather_oracle] [--seeds 0] \\
        [--set steps=20 ensemble=1] [--fill zero] [--data DIR] [--json FILE]

Protocol (``../shared/data/bike_sharing/README.md``, whose split this is; no published scores
exist): the series ``total`` of ``bike_sharing_hourly.csv``; the test period is the last 21 days,
2012-12-11 00:00 to 2012-12-31 23:00 (504 hours); each day's 24 hours are forecast from the data up
to the day before. The Forecaster is trained once, on everything before 2012-12-11, then forecasts
every test day without refitting: ``cross_validation(df, h=24, n_windows=21, step_size=24)``.

Configurations:
- ``plain``: rentals only.
- ``calendar``: the library's calendar features ``calendar=["hour", "dayofweek", "holiday"]``
  with ``holidays=`` the 21 DC holiday dates of the ``holiday`` column (``ds`` cannot give them;
  ``workingday`` follows from the three).
- ``weather_past``: ``calendar`` plus the five weather columns (``weathersit``, ``temp``, ``atemp``,
  ``hum``, ``windspeed``) as past-only covariates (``hist_exog``): a setup one could run.
- ``weather_oracle``: ``calendar`` plus the weather columns as known-future covariates. They are
  the **observed** weather of each hour, so this stands for a perfect weather forecast: an
  optimistic bound, not a forecast one could make.

The source has no row for 165 hours (2 of them in the test period): their rentals are filled
for training as ``--fill`` says (default ``zero``: the source never records 0 rentals, so an
absent hour is probably an hour without any), their weather by linear interpolation in time.
Scores (MAE, RMSE) are over the test hours where the actual and both seasonal-naive values
exist, the same hours for every row; the README's own seasonal-naive figures (each on its own
hours) are checked and printed above the table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from epf import report
from m4 import parse_set

from seriespredictor import Forecaster, SeriesValidationError
from seriespredictor.data import FILL_METHODS
from seriespredictor.metrics import mae, rmse

H = 24
TEST_DAYS = 21
TEST_START = pd.Timestamp("2012-12-11 00:00:00")
WEATHER = ["weathersit", "temp", "atemp", "hum", "windspeed"]
CONFIGS = ("plain", "calendar", "weather_past", "weather_oracle")
# README, "Split and horizon": day-ahead seasonal naive on the last 21 days, each scored on the hours
# where both the actual and the naive value exist: season -> (hours, MAE, RMSE).
PUBLISHED_NAIVE = {24: (500, 48.55, 81.02), 168: (501, 68.40, 119.58)}


def configs(holidays: list[str]) -> dict[str, dict]:
    """Forecaster settings of each configuration, given the holiday dates."""
    calendar = {"calendar": ["hour", "dayofweek", "holiday"], "holidays": holidays}
    return {"plain": {}, "calendar": calendar, "weather_past": {**calendar, "hist_exog": WEATHER},
            "weather_oracle": {**calendar, "futr_exog": WEATHER}}


def read_bike(data: Path) -> pd.DataFrame:
    """The hourly frame on its full grid: ``y`` NaN on the absent hours, the weather there
    interpolated linearly in time (a covariate must be known wherever the model reads it)."""
    frame = pd.read_csv(data / "bike_sharing_hourly.csv", parse_dates=["ds"])
    frame[WEATHER] = frame[WEATHER].interpolate(limit_direction="both")
    return frame


def seasonal_naive(frame: pd.DataFrame, season: int) -> np.ndarray:
    """The value ``season`` hours earlier, for every hour of the (gapless) grid; NaN where absent."""
    return frame["y"].shift(season).to_numpy()


def check_naive(y: np.ndarray, naive: dict[int, np.ndarray]) -> list[str]:
    """Where the seasonal-naive figures on each one's own hours differ from the README's: one line
    each; empty when all reproduce."""
    bad = []
    for season, (hours, published_mae, published_rmse) in PUBLISHED_NAIVE.items():
        keep = ~np.isnan(y) & ~np.isnan(naive[season])
        ours = (int(keep.sum()), round(mae(y[keep], naive[season][keep]), 2), round(rmse(y[keep], naive[season][keep]), 2))
        if ours != (hours, published_mae, published_rmse):
            bad.append(f"seasonal naive {season} h: {ours} here (hours, MAE, RMSE), {(hours, published_mae, published_rmse)} in the README")
    return bad


def run_lstm(frame: pd.DataFrame, settings: dict, seed: int, fill: str, overrides: dict) -> tuple[pd.DataFrame, float]:
    """One fit before the test period, then one forecast per test day: the backtest frame and
    its wall seconds (fit and 21 forecasts together)."""
    model = Forecaster(h=H, season=24, seed=seed, fill_missing=fill, **{**settings, **overrides})
    columns = ["unique_id", "ds", "y", *settings.get("futr_exog", []), *settings.get("hist_exog", [])]
    t0 = time.perf_counter()
    cv = model.cross_validation(frame[columns], h=H, n_windows=TEST_DAYS, step_size=H)
    return cv, time.perf_counter() - t0


def run(args, overrides: dict) -> tuple[list[dict], list[str], int]:
    """Every row (LSTM configurations per seed and their mean, the two seasonal naives), the
    README-check mismatches and the number of hours scored."""
    frame = read_bike(args.data)
    test = (frame["ds"] >= TEST_START).to_numpy()
    if test.sum() != TEST_DAYS * H:
        raise SystemExit(f"{args.data}: {int(test.sum())} hours from {TEST_START}, expected {TEST_DAYS * H}")
    y, test_ds = frame["y"].to_numpy()[test], frame["ds"][test].reset_index(drop=True)
    holidays = sorted(frame.loc[frame["holiday"] == 1, "ds"].dt.strftime("%Y-%m-%d").unique())
    naive = {season: seasonal_naive(frame, season)[test] for season in PUBLISHED_NAIVE}
    scored = ~np.isnan(y) & ~np.isnan(naive[24]) & ~np.isnan(naive[168])

    def scores(forecast: np.ndarray) -> dict:
        return {"mae": mae(y[scored], forecast[scored]), "rmse": rmse(y[scored], forecast[scored])}

    rows = []
    for config in args.configs:
        settings = configs(holidays)[config]
        per_seed = []
        for seed in args.seeds:
            row = {"model": f"LSTM {config}", "kind": "seed", "config": config, "settings": settings, "seed": seed}
            try:
                cv, seconds = run_lstm(frame, settings, seed, args.fill, overrides)
            except SeriesValidationError as e:  # a refused configuration is a result, not a crash
                rows.append({**row, "error": str(e)})
                continue
            aligned = cv.set_index("ds").reindex(test_ds)
            forecast = aligned["LSTM"].to_numpy()
            present = ~np.isnan(y)  # the backtest's actuals are filled where the source has no row
            if np.isnan(forecast).any() or not np.array_equal(aligned["y"].to_numpy()[present], y[present]):
                raise SystemExit(f"{config}: the backtest's hours or actuals are not the test period's")
            per_seed.append({**row, "seconds": seconds, **scores(forecast)})
            print(f"{config} seed {seed}: MAE {per_seed[-1]['mae']:.2f} in {seconds:.0f} s", file=sys.stderr)
        if per_seed:
            rows.append({"model": f"LSTM {config}", "kind": "mean", "config": config, "settings": settings,
                         "seeds": [r["seed"] for r in per_seed],
                         **{k: float(np.mean([r[k] for r in per_seed])) for k in ("mae", "rmse", "seconds")}})
        rows += per_seed
    for season in PUBLISHED_NAIVE:
        rows.append({"model": f"seasonal naive {season} h", "kind": "naive", **scores(naive[season])})
    return rows, check_naive(y, naive), int(scored.sum())


def markdown(rows: list[dict]) -> str:
    lines = ["| model | MAE | RMSE | fit+forecast s |", "|---|---:|---:|---:|"]
    for r in rows:
        if r["kind"] == "seed" and "error" not in r:
            continue  # shown through their mean
        if "error" in r:
            lines.append(f"| {r['model']}, seed {r['seed']}: refused (below) | | | |")
            continue
        model = f"{r['model']} (seeds {' '.join(map(str, r['seeds']))})" if r["kind"] == "mean" else r["model"]
        if r.get("config") == "weather_oracle":
            model += ", observed weather as a perfect forecast"
        seconds = f"{r['seconds']:.0f}" if "seconds" in r else ""
        lines.append(f"| {model} | {r['mae']:.2f} | {r['rmse']:.2f} | {seconds} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bike_sharing",
                   help="the folder holding bike_sharing_hourly.csv (default: ../shared/data/bike_sharing beside the checkout)")
    p.add_argument("--configs", nargs="*", choices=CONFIGS, default=list(CONFIGS),
                   help="LSTM configurations to run (none: the seasonal naive rows only)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--fill", default="zero", choices=FILL_METHODS, help="fill_missing= for the 165 absent hours' rentals")
    p.add_argument("--set", nargs="*", default=[], help="override Forecaster settings: key=value ...")
    p.add_argument("--json", help="write every row (one per seed, with its seconds) to this file")
    args = p.parse_args()
    overrides = parse_set(args.set)
    t_start = time.perf_counter()
    rows, mismatches, hours = run(args, overrides)
    total = time.perf_counter() - t_start

    print(f"Bike sharing, last {TEST_DAYS} days from {TEST_START:%Y-%m-%d}, {hours} hours scored; one fit per configuration, "
          f"no refit; fill_missing={args.fill!r}; overrides: {overrides or 'none'}")
    print("seasonal-naive check against the README: " + ("reproduces" if not mismatches else f"{len(mismatches)} differ"))
    report(mismatches, markdown(rows), rows, total, args.json,
           {"seeds": args.seeds, "fill": args.fill, "overrides": overrides, "hours_scored": hours, "naive_mismatches": mismatches})


if __name__ == "__main__":
    main()
