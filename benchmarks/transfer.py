"""Transfer on M4 Hourly: a model fitted on half the series forecasts the other half.

    python benchmarks/transfer.py --data ../shared/data/m4_hourly --seed 0

The series are split by position (even rows fit, odd rows are new). One ``Forecaster(h=48,
season=24)`` is fitted on the even half and forecasts the odd half through ``predict(data=...)``,
each new series scaled by its own history; another is fitted on every series and forecasts the
odd half with ``predict()``. Prints one JSON line: both models' sMAPE, MASE and OWA on the odd
half's test points (Naive2 of the same series as the OWA reference) and their fit seconds.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from m4 import forecasts_matrix, read_m4, to_long

from seriespredictor import Forecaster, Naive2
from seriespredictor.metrics import owa, score_panel

H, SEASON = 48, 24


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/m4_hourly", help="folder with Hourly-train.csv and Hourly-test.csv")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--series", type=int, default=None, help="use the first N series only (a quick check)")
    args = p.parse_args()
    train, test = read_m4(Path(args.data) / "Hourly-train.csv"), read_m4(Path(args.data) / "Hourly-test.csv")
    ids = list(train)[: args.series]
    seen, new = ids[0::2], ids[1::2]
    actual, insample = [test[i][:H] for i in new], [train[i] for i in new]
    new_long = to_long({i: train[i] for i in new})
    naive2 = score_panel(actual, list(forecasts_matrix(Naive2(SEASON).fit(new_long, freq=1).predict(H), "Naive2", new, H)), insample, SEASON)
    result = {"seed": args.seed, "fitted_series": len(seen), "new_series": len(new)}
    for name, fit_ids in (("half", seen), ("all", ids)):
        model = Forecaster(h=H, season=SEASON, seed=args.seed, freq=1)
        t0 = time.perf_counter()
        model.fit(to_long({i: train[i] for i in fit_ids}))
        result[f"{name}_fit_s"] = round(time.perf_counter() - t0, 1)
        predicted = model.predict(data=new_long) if name == "half" else model.predict()
        s = score_panel(actual, list(forecasts_matrix(predicted, "LSTM", new, H)), insample, SEASON)
        result.update({f"{name}_smape": round(s["smape"], 3), f"{name}_mase": round(s["mase"], 3),
                       f"{name}_owa": round(owa(s["smape"], s["mase"], naive2["smape"], naive2["mase"]), 3)})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
