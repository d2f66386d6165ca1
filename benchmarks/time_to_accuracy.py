"""Time to NeuralForecast's accuracy: our defaults under a time budget against its LSTM.

    python benchmarks/time_to_accuracy.py [--tasks airline panel] [--seeds 0 1 2] \\
        [--budgets 0.5 1 2 4 8 none] [--json OUT.json]

The tasks of ../shared/reference/BENCHMARKS.md: A, airline passengers with the last 12 months held
out (NeuralForecast's LSTM with input 24, hidden 64, batch 32, 500 steps, Adam 1e-3); B, the
generated panel of 2,000 series x 500 points (season 24, trend, AR(1) noise; ``speed.generated_panel``)
with the last 24 points held out (input 96, hidden 64, batch 256, 300 steps). NeuralForecast
needs ``pip install neuralforecast`` (its rows are skipped, with a note, where it is missing);
seriespredictor runs ``Forecaster(h, season, seed=s, time_budget=b)``, nothing else set, for each
budget ``b`` (``none``: no budget). Runs alternate in one process, seeds 0..2 each.

Prints, per task and system: fit seconds (median over seeds) and MASE (mean; the task's season);
then the smallest budget whose mean MASE is at most NeuralForecast's, and its fit seconds as a
share of NeuralForecast's: the time to its accuracy.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import warnings

import numpy as np
import pandas as pd
from speed import generated_panel

from seriespredictor import Forecaster, load_airline_passengers
from seriespredictor.metrics import mase

TASKS = {  # h, season, NeuralForecast's frequency and LSTM settings
    "airline": (12, 12, "MS", dict(input_size=24, encoder_hidden_size=64, batch_size=32, max_steps=500, learning_rate=1e-3)),
    "panel": (24, 24, 1, dict(input_size=96, encoder_hidden_size=64, batch_size=256, max_steps=300, learning_rate=1e-3)),
}


def task_data(task: str) -> pd.DataFrame:
    if task == "airline":
        s = load_airline_passengers()
        return pd.DataFrame({"unique_id": "airline", "ds": s.index, "y": s.to_numpy(np.float64)})
    return generated_panel(2000, 500)


def split(df: pd.DataFrame, h: int) -> tuple[pd.DataFrame, dict, dict]:
    """Training frame, and per series the held-out values and the training values."""
    last = df.groupby("unique_id").cumcount(ascending=False) < h
    train = df[~last]
    actual = {k: g.y.to_numpy() for k, g in df[last].groupby("unique_id")}
    insample = {k: g.y.to_numpy() for k, g in train.groupby("unique_id")}
    return train, actual, insample


def score(forecast: pd.DataFrame, column: str, actual: dict, insample: dict, season: int) -> float:
    got = {k: g[column].to_numpy() for k, g in forecast.groupby("unique_id")}
    return float(np.mean([mase(actual[k], got[k], insample[k], season) for k in actual]))


def fit_ours(train, h, season, freq, seed, budget):
    model = Forecaster(h=h, season=season, freq=None if freq == "MS" else freq, seed=seed, time_budget=budget)
    t0 = time.perf_counter()
    model.fit(train)
    fit_s = time.perf_counter() - t0
    return model.predict(), model.alias, fit_s


def fit_neuralforecast(train, h, freq, seed, settings):
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    model = LSTM(h=h, random_seed=seed, enable_progress_bar=False, logger=False, enable_checkpointing=False,
                 accelerator="cpu", enable_model_summary=False, **settings)
    nf = NeuralForecast(models=[model], freq=freq)
    t0 = time.perf_counter()
    nf.fit(train)
    fit_s = time.perf_counter() - t0
    return nf.predict().reset_index(), "LSTM", fit_s


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--budgets", nargs="+", type=lambda v: None if v == "none" else float(v), default=[0.5, 1, 2, 4, 8, None],
                   help="time budgets in seconds for our runs; none: the defaults without one")
    p.add_argument("--json", help="write every run here")
    args = p.parse_args()
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    try:
        import neuralforecast  # noqa: F401
        peers = True
    except ImportError:
        peers = False
        print("neuralforecast is not installed: its rows are skipped (pip install neuralforecast)")
    runs = []
    for task in args.tasks:
        h, season, freq, settings = TASKS[task]
        train, actual, insample = split(task_data(task), h)
        systems = ([("NeuralForecast LSTM", None)] if peers else []) + [("ours" if b is None else f"ours, budget {b:g} s", b) for b in args.budgets]
        for seed in args.seeds:
            for name, budget in systems:
                if name.startswith("NeuralForecast"):
                    fc, column, fit_s = fit_neuralforecast(train, h, freq, seed, settings)
                else:
                    fc, column, fit_s = fit_ours(train, h, season, freq, seed, budget)
                runs.append({"task": task, "system": name, "budget": budget, "seed": seed, "fit_s": fit_s,
                             "mase": score(fc, column, actual, insample, season)})
                print(json.dumps(runs[-1]), flush=True)
    print()
    print("| task | system | fit s (median) | MASE (mean) |")
    print("|---|---|---:|---:|")
    frame = pd.DataFrame(runs)
    table = frame.groupby(["task", "system"], sort=False).agg(fit_s=("fit_s", "median"), mase=("mase", "mean")).reset_index()
    for r in table.itertuples():
        print(f"| {r.task} | {r.system} | {r.fit_s:.2f} | {r.mase:.3f} |")
    for task in args.tasks:
        rows = table[table.task == task]
        peer = rows[rows.system.str.startswith("NeuralForecast")]
        if peer.empty:
            continue
        reached = rows[~rows.system.str.startswith("NeuralForecast") & (rows.mase <= float(peer.mase.iloc[0]))]
        if reached.empty:
            print(f"{task}: no run of ours reached NeuralForecast's MASE {float(peer.mase.iloc[0]):.3f}")
            continue
        fastest = reached.loc[reached.fit_s.idxmin()]
        print(f"{task}: ours reached NeuralForecast's MASE {float(peer.mase.iloc[0]):.3f} ({fastest.system}: {fastest.mase:.3f}) "
              f"in {fastest.fit_s:.2f} s, {fastest.fit_s / float(peer.fit_s.iloc[0]):.2f}x its {float(peer.fit_s.iloc[0]):.2f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)


if __name__ == "__main__":
    main()
