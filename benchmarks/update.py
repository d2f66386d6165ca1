"""Update against refit on M4 Hourly (issue #15): does ``Forecaster.update`` with the withheld
points score like a full refit, in a fraction of its time?

    python benchmarks/update.py [--data ../shared/data/m4_hourly] [--steps N] [--series N] \\
        [--set key=value ...] [--seed 0] [--json FILE]

1. fit ``Forecaster(h=48, season=24, seed=0)`` on each training series less its last 48 points;
2. ``update`` it with the whole training file (``--steps``; default: the library's, a tenth of the
   fit's steps, at least 100);
3. fit the same Forecaster on the whole training file (the refit).

Prints one JSON line: sMAPE, MASE and OWA (against Naive2 on the whole training file) of the
updated model and of the refit on the test file, the seconds of the first fit, of the update and
of the refit, the OWA gap in percent and the update's share of the refit's time. ``--series N``
takes the first N series only (a smoke run, not the benchmark); ``--set`` overrides settings of
both models, as in ``m4.py``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from m4 import forecasts_matrix, parse_set, read_m4, to_long

from seriespredictor import Forecaster, Naive2
from seriespredictor.metrics import owa, score_panel

H, SEASON = 48, 24


def scores(model, ids: list, actual: dict, insample: dict, reference: dict) -> dict:
    """Test-file sMAPE, MASE and OWA of ``model``'s forecasts."""
    fc = forecasts_matrix(model.predict(), model.alias, ids, H)
    s = score_panel([actual[i] for i in ids], list(fc), [insample[i] for i in ids], SEASON)
    return {"smape": round(s["smape"], 3), "mase": round(s["mase"], 3),
            "owa": round(owa(s["smape"], s["mase"], reference["smape"], reference["mase"]), 4)}


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - t0, 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "m4_hourly"))
    p.add_argument("--steps", type=int, help="update steps per network (default: the library's rule)")
    p.add_argument("--series", type=int, help="the first N series only: a smoke run, not the benchmark")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", nargs="*", default=[], help="override Forecaster settings of both models: key=value ...")
    p.add_argument("--json")
    args = p.parse_args()
    train, test = read_m4(Path(args.data) / "Hourly-train.csv"), read_m4(Path(args.data) / "Hourly-test.csv")
    ids = list(train)[: args.series]
    train = {i: train[i] for i in ids}
    actual = {i: test[i][:H] for i in ids}
    full, withheld = to_long(train), to_long({i: v[:-H] for i, v in train.items()})
    settings = dict(h=H, season=SEASON, seed=args.seed, freq=1, **parse_set(args.set))
    naive2 = forecasts_matrix(Naive2(SEASON).fit(full, freq=1).predict(H), "Naive2", ids, H)
    reference = score_panel([actual[i] for i in ids], list(naive2), [train[i] for i in ids], SEASON)

    model, first_s = timed(lambda: Forecaster(**settings).fit(withheld))
    runs = len(model.history_)
    model, update_s = timed(lambda: model.update(full, steps=args.steps))
    refit, refit_s = timed(lambda: Forecaster(**settings).fit(full))
    updated, again = scores(model, ids, actual, train, reference), scores(refit, ids, actual, train, reference)
    result = {
        "series": len(ids), "seed": args.seed, "settings": parse_set(args.set),
        "update": {**updated, "seconds": update_s, "steps": [r.steps_run for r in model.history_[runs:]]},
        "refit": {**again, "seconds": refit_s},
        "first_fit_s": first_s,
        "owa_gap_pct": round(100 * (updated["owa"] / again["owa"] - 1), 2),
        "time_share": round(update_s / refit_s, 3),
    }
    print(json.dumps(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
