"""Weekly series, which the development suite lacks: a panel aggregated from ../shared/data.

    python benchmarks/weekly.py [--validate] [--seeds 0] [--only nn5 ett epf other] [--set key=value ...] [--data DIR]

No weekly competition data is staged, so the panel is built from finer data, each series cut to
whole weeks (Monday to Sunday):
- nn5: NN5's 111 cash machines, daily withdrawals summed per week (training and test files joined;
  missing days interpolated first), 113 weeks;
- ett: ETTh1 and ETTh2's seven columns, hourly loads and oil temperature averaged, 103 weeks;
- epf: the five electricity markets' prices and their two day-ahead forecasts, hourly values
  averaged, 313 weeks;
- other: Microsoft's closing price at each week's last trading day (1,640 weeks) and the bike
  rentals summed (104 weeks).

``--only`` keeps the named groups (``--only epf other``: the long series, a typical 290 weeks).
The last 13 weeks of each series (M4 Weekly's horizon) are the test; ``--validate`` drops them
and scores the 13 before (tune there). ``Forecaster(h=13, seed=S)`` reads the weekly dates, so
the recipe sees season 52. Scores as M4 scores weekly data: sMAPE and MASE scaled by the
training part's mean absolute change (m = 1), mean over series, per group and over the panel,
with naive and the seasonal naive of one year; coverage of the 80% and 95% intervals, pooled.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from m4 import parse_set

from seriespredictor import Forecaster, Naive, SeasonalNaive
from seriespredictor.metrics import score_panel

H = 13
LEVELS = (80, 95)


def _weeks(series: pd.Series, how: str) -> pd.Series:
    """``series`` (a time index) aggregated per week ending on Sunday, whole weeks only."""
    weeks = series.sort_index().resample("W-SUN")
    counts = weeks.count()
    return getattr(weeks, how)()[counts >= counts.max()]


def panel(data: Path) -> dict[str, pd.Series]:
    """``{name: weekly series}``, names prefixed by their group."""
    out = {}
    train = pd.read_csv(data / "nn5/Daily-train.csv", index_col=0)
    test = pd.read_csv(data / "nn5/Daily-test.csv", index_col=0)
    for name in train.index:
        days = np.r_[train.loc[name].to_numpy(float), test.loc[name].to_numpy(float)]
        daily = pd.Series(days, pd.date_range("1996-03-18", periods=len(days), freq="D")).interpolate(limit_direction="both")
        out[f"nn5 {name}"] = _weeks(daily, "sum")
    for stem in ("ETTh1", "ETTh2"):
        frame = pd.read_csv(data / f"ett_small/{stem}.csv", parse_dates=["date"], index_col="date")
        out.update({f"ett {stem} {c}": _weeks(frame[c], "mean") for c in frame.columns})
    for market in ("NP", "PJM", "BE", "FR", "DE"):
        frame = pd.read_csv(data / f"epf/epf_{market}.csv", parse_dates=["ds"], index_col="ds").drop(columns="unique_id")
        out.update({f"epf {market} {c}": _weeks(frame[c], "mean") for c in frame.columns})
    msft = pd.read_csv(data / "msft_stock/msft_daily_1986_2017.csv", parse_dates=["Date"], index_col="Date")["Close"]
    out["other msft"] = msft.resample("W-SUN").last().dropna()
    bike = pd.read_csv(data / "bike_sharing/bike_sharing_hourly.csv", parse_dates=["ds"], index_col="ds")["y"]
    out["other bike"] = _weeks(bike, "sum")
    return {k: v.asfreq("W-SUN").interpolate() for k, v in out.items()}  # a week without data (none here) would be interpolated


def split(series: dict[str, pd.Series], validate: bool) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The training frame (unique_id, ds, y) and each series' next ``H`` values."""
    frames, actual = [], {}
    for name, s in series.items():
        s = s.iloc[:-H] if validate else s
        frames.append(pd.DataFrame({"unique_id": name, "ds": s.index[:-H], "y": s.to_numpy()[:-H]}))
        actual[name] = s.to_numpy()[-H:]
    return pd.concat(frames, ignore_index=True), actual


def scores(train: pd.DataFrame, actual: dict, forecast: pd.DataFrame, column: str) -> dict:
    """sMAPE and MASE (m = 1) over the panel and MASE per group; coverage where bounds exist."""
    history = {k: g["y"].to_numpy() for k, g in train.groupby("unique_id", sort=False)}
    got = {k: g for k, g in forecast.groupby("unique_id", sort=False)}
    names = list(actual)
    row = score_panel([actual[k] for k in names], [got[k][column].to_numpy() for k in names], [history[k] for k in names])
    for group in dict.fromkeys(k.split()[0] for k in names):
        mine = [k for k in names if k.split()[0] == group]
        row[group] = score_panel([actual[k] for k in mine], [got[k][column].to_numpy() for k in mine], [history[k] for k in mine])["mase"]
    for level in LEVELS:
        lo, hi = f"{column}-lo-{level}", f"{column}-hi-{level}"
        if lo in forecast:
            inside = [(actual[k] >= got[k][lo].to_numpy()) & (actual[k] <= got[k][hi].to_numpy()) for k in names]
            row[f"cover {level}"] = 100 * float(np.concatenate(inside).mean())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--validate", action="store_true", help="score the 13 weeks before the test weeks")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--only", nargs="+", choices=["nn5", "ett", "epf", "other"], help="the groups to keep (default: all)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="Forecaster settings, as in m4.py")
    args = parser.parse_args()
    series = {k: v for k, v in panel(args.data).items() if args.only is None or k.split()[0] in args.only}
    train, actual = split(series, args.validate)
    lengths = train.groupby("unique_id").size()
    print(f"{len(actual)} weekly series, training lengths {lengths.min()}-{lengths.max()} (median {lengths.median():.0f}), "
          f"{'validation' if args.validate else 'test'} split, h {H}")
    rows = {}
    for name, model in (("naive", Naive()), ("seasonal naive (52)", SeasonalNaive(52))):
        rows[name] = scores(train, actual, model.fit(train).predict(H), model.alias)
    for seed in args.seeds:
        model = Forecaster(h=H, seed=seed, **parse_set(args.set))
        t0 = time.perf_counter()
        model.fit(train)
        seconds = time.perf_counter() - t0
        p = model.params_
        print(f"seed {seed}: input {p['seq_size']}, {p['patch_size']} per LSTM step, seasonal base {p['seasonal_base']}, "
              f"log {p['log']}, best steps {[r.best_step for r in model.history_[: p['ensemble']]]}, fit {seconds:.1f} s")
        rows[f"Forecaster, seed {seed}"] = scores(train, actual, model.predict(level=list(LEVELS)), model.alias)
    groups = [k for k in next(iter(rows.values())) if k not in ("smape", "mase", "mae", "rmse") and not k.startswith("cover")]
    print("\n| model | sMAPE | MASE | " + " | ".join(f"MASE {g}" for g in groups) + " | 80% / 95% cover |")
    print("|---|---:|---:|" + "---:|" * len(groups) + "---|")
    for name, r in rows.items():
        cover = f"{r['cover 80']:.1f}% / {r['cover 95']:.1f}%" if "cover 80" in r else ""
        print(f"| {name} | {r['smape']:.3f} | {r['mase']:.3f} | " + " | ".join(f"{r[g]:.3f}" for g in groups) + f" | {cover} |")


if __name__ == "__main__":
    main()
