"""The default Forecaster on single real series, as a user runs it: only ``h`` (and what an error
message asks for), the last ``h`` points held out.

    python benchmarks/classics.py [--data DIR] [--only NAME ...] [--seed 0]

Series from ``../shared/data`` (each folder's README has its origin): classic small sets (shampoo
sales, Nile, lynx, electrical equipment), sunspots (yearly, monthly), Mauna Loa CO2 (weekly, with
missing weeks: ``fill_missing="interpolate"``, as the refusal without it asks), Microsoft's
closing prices (the last 1,500 trading days: ``freq="obs"``, as the refusal of an irregular
calendar asks), a half-hourly electricity demand (Taylor) and ETTh1's oil temperature (hourly).
Frequency and season are inferred. Prints per series: the choices the recipe made, MASE of ours,
seasonal naive (naive where no season) and naive, all scaled by the training part's seasonal
change, coverage of the 80% and 95% intervals (of only ``h`` points: a noisy figure), fit seconds.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from seriespredictor import Forecaster, Naive, SeasonalNaive
from seriespredictor.metrics import mase


def _frame(ds, y) -> pd.DataFrame:
    return pd.DataFrame({"ds": ds, "y": np.asarray(y, np.float64)})


def read(name: str, data: Path) -> tuple[pd.DataFrame, int, dict]:
    """(series, h, the options a user adds after the error message asking for them)."""
    if name == "shampoo":
        f = pd.read_csv(data / "classic_small/shampoo_sales_monthly.csv")
        return _frame(pd.to_datetime(f.Time), f.Sales), 6, {}
    if name == "nile":
        f = pd.read_csv(data / "classic_small/nile_yearly_1871_1970.csv")
        return _frame(pd.to_datetime(f.year.astype(str)), f.volume), 6, {}
    if name == "lynx":
        f = pd.read_csv(data / "classic_small/lynx_yearly_1821_1934.csv")
        return _frame(pd.to_datetime(f.iloc[:, 0].astype(str)), f.iloc[:, 1]), 6, {}
    if name == "elec_equip":
        f = pd.read_csv(data / "classic_small/elec_equip_monthly.csv")
        return _frame(pd.to_datetime(f.iloc[:, 0], format="%b-%d-%Y"), f.iloc[:, 1]), 12, {}
    if name == "sunspots_yearly":
        f = pd.read_csv(data / "sunspots/sunspots_yearly_1700_2008.csv")
        return _frame(pd.to_datetime(f.YEAR.astype(int).astype(str)), f.SUNACTIVITY), 11, {}
    if name == "sunspots_monthly":
        v = np.loadtxt(data / "sunspots/sunspots_monthly_1749_1983.txt").ravel()
        return _frame(pd.date_range("1749-01", periods=len(v), freq="MS"), v), 24, {}
    if name == "co2_weekly":
        f = pd.read_csv(data / "co2_mauna_loa/co2_weekly_1958_2001.csv")
        return _frame(pd.to_datetime(f.date.astype(str)), f.co2), 13, {"fill_missing": "interpolate"}
    if name == "msft":
        f = pd.read_csv(data / "msft_stock/msft_daily_1986_2017.csv").tail(1500)
        return _frame(pd.to_datetime(f.Date), f.Close), 10, {"freq": "obs"}
    if name == "taylor":
        f = pd.read_csv(data / "taylor_electricity/taylor_halfhourly_2000.csv")
        return _frame(pd.to_datetime(f.timestamp), f.demand_mw), 48, {}
    if name == "etth1":
        f = pd.read_csv(data / "ett_small/ETTh1.csv")
        return _frame(pd.to_datetime(f.date), f.OT), 24, {}
    raise SystemExit(f"unknown series {name!r}")


NAMES = ["shampoo", "nile", "lynx", "elec_equip", "sunspots_yearly", "sunspots_monthly", "co2_weekly", "msft", "taylor", "etth1"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    p.add_argument("--only", nargs="+", choices=NAMES, default=NAMES)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    print("| series | points | h | m | input | log | MASE ours | seasonal naive | naive | 80% / 95% cover | fit s |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|")
    for name in args.only:
        df, h, options = read(name, args.data)
        train, test = df.iloc[:-h], df.y.to_numpy()[-h:]
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "95% intervals need at least ..." on one series: printed by the CLI
            model = Forecaster(h=h, seed=args.seed, **options).fit(train)
            fit_s = time.perf_counter() - t0
            fc = model.predict(level=[80, 95])
        m = model.season_
        base = SeasonalNaive(m) if m > 1 else Naive()
        snaive = base.fit(train, **options).predict(h)[base.alias].to_numpy()
        naive = Naive().fit(train, **options).predict(h)["Naive"].to_numpy()
        x = train.y.to_numpy()
        if options.get("fill_missing"):
            x = pd.Series(x).interpolate().to_numpy()
        scale_m = m if len(x) > 2 * m else 1
        scores = [mase(test, f, x, scale_m) for f in (fc[model.alias].to_numpy(), snaive, naive)]
        cover = [np.mean((test >= fc[f"{model.alias}-lo-{lv}"]) & (test <= fc[f"{model.alias}-hi-{lv}"])) for lv in (80, 95)]
        p_ = model.params_
        print(f"| {name} | {len(train)} | {h} | {m} | {p_['seq_size']} | {p_['log']} | {scores[0]:.3f} | {scores[1]:.3f} | {scores[2]:.3f} | "
              f"{100 * cover[0]:.0f}% / {100 * cover[1]:.0f}% | {fit_s:.1f} |", flush=True)


if __name__ == "__main__":
    main()
