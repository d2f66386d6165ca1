"""The ``seriespredictor`` command: a thin layer over ``Forecaster`` and the baselines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from . import distributed
from .backtest import cross_validation, cutoff_points, evaluate
from .baselines import Naive, SeasonalNaive
from .data import Panel, to_panel
from .errors import ModelFileError, NotFittedError, SeriesValidationError, TrainingDivergedError
from .forecaster import HEADS, Forecaster

EXAMPLES = """examples:
  seriespredictor forecast                         # embedded airline passengers, h=12, into ./out
  seriespredictor forecast sales.csv --h 8 --out results
  seriespredictor forecast panel.parquet --h 24 --id-col store --time-col date --target-col sales
  seriespredictor forecast sales.csv --h 8 --level 80 95 --tune
  seriespredictor backtest sales.csv --h 8 --windows 4 --level 95
  seriespredictor fit sales.csv --h 8 --out model
  seriespredictor fit big.parquet --h 24 --out model --checkpoint-dir ckpt --resume
  seriespredictor predict model --h 8 --out forecast.csv
"""


def _data_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reading the data")
    g.add_argument("--id-col", default="unique_id", help="series id column of a long table (default: unique_id)")
    g.add_argument("--time-col", default="ds", help="time column (default: ds; a two-column file needs none)")
    g.add_argument("--target-col", default="y", help="value column (default: y)")
    g.add_argument("--freq", default=None, help="frequency alias such as h, D, MS or an integer step, when it cannot be inferred")
    g.add_argument("--fill-missing", choices=["ffill", "interpolate", "zero"], help="fill gaps and NaN values instead of refusing them")
    g.add_argument("--aggregate-duplicates", choices=["mean", "sum", "first", "last"], help="combine rows with the same timestamp instead of refusing them")


def _model_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("the model")
    g.add_argument("--h", type=int, default=None, help="forecast horizon (default: 12 on the embedded data)")
    g.add_argument("--seq-size", type=int, help="input window length (default: twice the season or the horizon)")
    g.add_argument("--hidden-dim", type=int, default=64, help="LSTM hidden units (default: 64)")
    g.add_argument("--num-layers", type=int, default=1, help="stacked LSTM layers (default: 1)")
    g.add_argument("--head", choices=HEADS, default="direct", help="direct multi-output or recursive forecasting")
    g.add_argument("--steps", type=int, default=1000, help="training steps (default: 1000)")
    g.add_argument("--batch-size", type=int, default=32, help="windows per step (default: 32)")
    g.add_argument("--micro-batch-size", type=int,
                   help="windows per forward/backward pass within a step (default: what fits the CPU cache)")
    g.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: 0.001)")
    g.add_argument("--season", type=int, help="seasonal period (default: from the frequency)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    g.add_argument("--threads", type=int, help="torch threads for training (default: chosen from the model size)")
    g.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    g.add_argument("--precision", choices=["fp32", "bf16"], default="fp32", help="bf16 trains under bfloat16 autocast (GPUs)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seriespredictor",
        description="Forecast time series with an LSTM: CSV, Parquet or the embedded airline series in, forecasts out.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("forecast", help="compare against naive baselines on a holdout, then forecast the future",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="?", help="CSV or Parquet file (default: the embedded airline passengers series)")
    p.add_argument("--out", default="out", help="folder for forecast.csv, metrics.csv and forecast.png (default: out)")
    p.add_argument("--level", type=float, nargs="+", help="prediction-interval levels in percent, e.g. 80 95")
    p.add_argument("--tune", action="store_true", help="choose hidden size, window and steps by backtest first")
    _model_args(p)
    _data_args(p)
    p = sub.add_parser("backtest", help="rolling-origin backtest of the LSTM and the baselines", epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="?", help="CSV or Parquet file (default: the embedded airline passengers series)")
    p.add_argument("--windows", type=int, default=3, help="number of cutoffs per series (default: 3)")
    p.add_argument("--step-size", type=int, help="steps between cutoffs (default: h)")
    p.add_argument("--refit", action="store_true", help="retrain the LSTM at every cutoff (default: train once before the first)")
    p.add_argument("--level", type=float, nargs="+", help="prediction-interval levels in percent, e.g. 80 95")
    p.add_argument("--out", default="out", help="folder for backtest.csv and backtest_metrics.csv (default: out)")
    _model_args(p)
    _data_args(p)
    p = sub.add_parser("fit", help="train on a file and save the model", epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="CSV or Parquet file")
    p.add_argument("--out", required=True, help="model folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing model")
    p.add_argument("--checkpoint-dir", help="write training checkpoints here (atomically) to be able to --resume")
    p.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints (default: 500)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from --checkpoint-dir")
    p.add_argument("--timeout", type=float, default=300, help="seconds a torchrun process waits for the others (default: 300)")
    _model_args(p)
    _data_args(p)
    p = sub.add_parser("predict", help="forecast with a saved model", epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="model folder written by 'fit'")
    p.add_argument("--h", type=int, help="horizon (default: the one the model was trained for)")
    p.add_argument("--out", help="CSV or Parquet file to write, chunk by chunk (default: CSV to standard output)")
    p.add_argument("--chunk-size", type=int, default=10_000, help="series forecast per chunk with --out (default: 10000)")
    p.add_argument("--level", type=float, nargs="+", help="prediction-interval levels in percent, e.g. 80 95")
    return parser


def _freq(value):
    return int(value) if value is not None and value.lstrip("-").isdigit() else value


def _forecaster(args, h: int) -> Forecaster:
    return Forecaster(
        h=h, seq_size=args.seq_size, hidden_dim=args.hidden_dim, num_layers=args.num_layers, head=args.head,
        steps=args.steps, batch_size=args.batch_size, micro_batch_size=args.micro_batch_size, lr=args.lr, season=args.season, seed=args.seed,
        threads=args.threads, device=args.device, precision=args.precision, progress=True,
        freq=_freq(args.freq), fill_missing=args.fill_missing, aggregate_duplicates=args.aggregate_duplicates,
        id_col=args.id_col, time_col=args.time_col, target_col=args.target_col,
        checkpoint_dir=getattr(args, "checkpoint_dir", None), checkpoint_every=getattr(args, "checkpoint_every", 500),
    )


def _backtest_all(panel: Panel, h: int, windows: int, step: int, args, *, refit: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backtest the LSTM (trained before the first cutoff, or at each with ``refit``) and the baselines."""
    model = _forecaster(args, h)
    if not refit:
        cuts = cutoff_points(panel.lengths, h, windows, step)
        short = [(sid, int(n)) for sid, n, c in zip(panel.ids, panel.lengths, cuts[:, 0]) if c < 1]
        if short:
            raise SeriesValidationError(
                f"{len(short)} series are too short for {windows} window(s) of h={h}, e.g. {short[:3]}; "
                "use a smaller --h or fewer --windows"
            )
        model.fit(panel.head(cuts[:, 0]))
    cv = cross_validation(model, panel, h, windows, step, refit=refit, level=args.level)
    for baseline in (Naive(), SeasonalNaive(args.season)):
        cv[baseline.alias] = cross_validation(baseline, panel, h, windows, step)[baseline.alias].to_numpy()
    table = evaluate(cv, panel, ["LSTM", "Naive", "SeasonalNaive"], model.season_, level=args.level)
    return table, cv


def _load(args) -> tuple[Panel, int]:
    if args.data is None:
        from .datasets import load_airline_passengers

        data, h = load_airline_passengers(), args.h or 12
        source = "embedded airline passengers (monthly, 1949-1960)"
    else:
        if args.h is None:
            raise SeriesValidationError("--h is required with a data file: how many steps ahead to forecast")
        data, h, source = args.data, args.h, args.data
    panel = to_panel(data, id_col=args.id_col, time_col=args.time_col, target_col=args.target_col,
                     freq=_freq(args.freq), fill_missing=args.fill_missing, aggregate_duplicates=args.aggregate_duplicates)
    print(f"data: {source}: {len(panel.ids)} series, {int(panel.lengths.sum())} points, frequency {panel.freq}")
    return panel, h


def _tune(args, panel: Panel, h: int) -> None:
    """Replace the model settings in ``args`` by the best found by backtest."""
    from .tuning import tune

    train = panel.head(panel.lengths - h)  # the holdout stays out of tuning
    best, table = tune(_forecaster(args, h), train)
    print("tuning (backtest MASE, 2 windows before the holdout):")
    print(table.head(5).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for k, v in best.items():
        setattr(args, k, v)
    print(f"chosen: {best}")


def _cmd_forecast(args) -> int:
    panel, h = _load(args)
    if args.tune:
        _tune(args, panel, h)
    print(f"holdout: the last {h} points of each series")
    table, holdout = _backtest_all(panel, h, 1, h, args)
    print(table.to_string(float_format=lambda v: f"{v:.3f}", na_rep=""))
    if table.loc["LSTM", "MASE"] >= table.loc["Naive", "MASE"]:
        print("warning: the LSTM does not beat the naive forecast (last value) on the holdout; "
              "for series like stock prices that is expected - trust the naive forecast here.")
    model = _forecaster(args, h).fit(panel)
    forecast = model.predict(level=args.level)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    forecast.to_csv(out / "forecast.csv", index=False)
    table.to_csv(out / "metrics.csv")
    holdout.to_csv(out / "holdout.csv", index=False)
    from .plotting import plot_forecast

    fig = plot_forecast(panel.to_frame(), forecast, holdout=holdout)
    fig.savefig(out / "forecast.png", dpi=110)
    first, last = (str(t.date()) if isinstance(t, pd.Timestamp) and t == t.normalize() else str(t)
                   for t in (forecast["ds"].iloc[0], forecast["ds"].iloc[-1]))
    print(f"forecast: {h} steps per series ({first} .. {last}) written to {out / 'forecast.csv'}, plot {out / 'forecast.png'}")
    return 0


def _cmd_backtest(args) -> int:

    panel, h = _load(args)
    step = args.step_size or h
    table, cv = _backtest_all(panel, h, args.windows, step, args, refit=args.refit)
    print(f"backtest: {args.windows} windows of {h} steps every {step} per series, {'refit at each cutoff' if args.refit else 'trained once before the first cutoff'}")
    print(table.to_string(float_format=lambda v: f"{v:.3f}", na_rep=""))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cv.to_csv(out / "backtest.csv", index=False)
    table.to_csv(out / "backtest_metrics.csv")
    print(f"written: {out / 'backtest.csv'}, {out / 'backtest_metrics.csv'}")
    return 0


def _cmd_fit(args) -> int:
    """Train and save; under ``torchrun`` every process trains its share and rank 0 saves."""
    if args.h is None:
        raise SeriesValidationError("--h is required: how many steps ahead the model forecasts")
    distributed.init_from_env(timeout_s=args.timeout)
    try:
        with distributed.failing_together():  # an error on any rank stops them all with its message
            model = _forecaster(args, args.h)
            model.progress = distributed.is_main()
            model.fit(args.data, resume=args.resume)
            distributed.agree(lambda: _save_on_main(model, args))
    finally:
        distributed.shutdown()
    return 0


def _save_on_main(model, args) -> None:
    if not distributed.is_main():
        return
    for member, r in enumerate(model.history_):
        if r.resumed_from is not None:
            print(f"resumed ensemble member {member} from its checkpoint at step {r.resumed_from}")
    model.save(args.out, overwrite=args.overwrite)
    world = distributed.rank_and_world()[1]
    print(f"model saved to {args.out} ({len(model.ids_)} series, h={args.h}"
          + (f", trained by {world} processes" if world > 1 else "") + ")")


def _cmd_predict(args) -> int:
    model = Forecaster.load(args.model)
    if args.out:
        model.predict_to(args.out, args.h, level=args.level, chunk_size=args.chunk_size)
        print(f"forecast written to {args.out}")
    else:
        model.predict(args.h, level=args.level).to_csv(sys.stdout, index=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = {"forecast": _cmd_forecast, "backtest": _cmd_backtest, "fit": _cmd_fit, "predict": _cmd_predict}[args.command]
    try:
        return command(args)
    except (SeriesValidationError, ModelFileError, NotFittedError, FileExistsError, TrainingDivergedError) as e:
        print(f"seriespredictor: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
