"""The ``seriespredictor`` command: a thin layer over ``Forecaster`` and the baselines."""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import re
import signal
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, distributed
from .atomic import atomic_output
from .backtest import cross_validation, cutoff_points, evaluate
from .baselines import Naive, SeasonalNaive
from .calendar import resolve_season
from .data import to_panel
from .errors import (ModelFileError, NotFittedError, SeriesValidationError, TrainingDivergedError, interrupt_exit, message,
                     raise_terminated)
from .forecaster import HEADS, Forecaster
from .panel import Panel
from .params import MAX_HORIZON, integer_kind, is_integer
from .persistence import check_replaceable

EXAMPLES = """examples:
  seriespredictor forecast                         # embedded airline passengers, h=12, into ./out
  seriespredictor forecast sales.csv --h 8 --out results
  seriespredictor forecast panel.parquet --h 24 --id-col store --time-col date --target-col sales --out stores
  seriespredictor forecast sales.csv --h 8 --level 80 95 --tune --out tuned
  seriespredictor forecast sales.csv --h 8 --out results --overwrite  # run again into the same folder
  seriespredictor backtest sales.csv --h 8 --windows 4 --level 95
  seriespredictor fit sales.csv --h 8 --out model
  seriespredictor fit big.parquet --h 24 --out big-model --checkpoint-dir ckpt --resume
  seriespredictor predict model --h 8 --out forecast.csv
"""


# -- argument types: each rejects a bad value before any work, naming the value --------------------
def _number(text: str, kind):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _int_in(low: int, high: int):
    def parse(text: str) -> int:
        value = _number(text, int)
        if not is_integer(value, low, high):
            raise argparse.ArgumentTypeError(f"{text!r} must be {integer_kind(low, high)}")
        return value
    return parse


def _positive_float(text: str) -> float:
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def _percent(text: str) -> float:
    value = _number(text, float)
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"{text!r} must be a percentage between 0 and 100, e.g. 80 or 95")
    return value


def _text(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty value; give a name")
    return text


def _freq(text: str):
    """'obs', a positive integer step, or a pandas frequency alias such as h, D or MS."""
    if text == "obs":
        return text
    if text.lstrip("+-").isdigit():
        return _int_in(1, 10**12)(text)
    try:
        pd.tseries.frequencies.to_offset(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a frequency; use an alias such as h, D, W, MS, a positive integer step, or obs"
        ) from None
    return text


def _device(text: str) -> str:
    if not re.fullmatch(r"cpu|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not cpu, cuda or cuda:N")
    import torch

    if text != "cpu" and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError(f"{text!r} but no CUDA GPU is available here; use --device cpu")
    return text


def _history(text: str):
    return None if text == "all" else _int_in(1, 10**9)(text)


COUNT = _int_in(1, 10**9)
TUNED = ("seq_size", "hidden_dim", "steps")  # what --tune chooses, among these settings not given
COVERAGE_SLACK = 15  # percentage points a backtest's interval coverage may fall below the nominal level unwarned


class _Parser(argparse.ArgumentParser):
    """Argument errors in one line (no usage block), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"seriespredictor: error: {message} (see '{self.prog} --help')\n")


# -- the parser ----------------------------------------------------------------------------------
def _data_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reading the data")
    g.add_argument("--id-col", type=_text, default="unique_id", help="series id column of a long table (default: unique_id)")
    g.add_argument("--time-col", type=_text, default="ds", help="time column (default: ds; a two-column file needs none)")
    g.add_argument("--target-col", type=_text, default="y", help="value column (default: y)")
    g.add_argument("--time-format", type=_text, help="strftime format of the time column, e.g. %%Y%%m%%d (default: inferred)")
    g.add_argument("--freq", type=_freq, default=None,
                   help="frequency alias such as h, D, MS, an integer step, or obs (the next row is the next step, "
                        "e.g. trading days), when it cannot be inferred")
    g.add_argument("--fill-missing", choices=["ffill", "interpolate", "zero"], help="fill gaps and NaN values instead of refusing them")
    g.add_argument("--aggregate-duplicates", choices=["mean", "sum", "first", "last"], help="combine rows with the same timestamp instead of refusing them")


def _model_args(p: argparse.ArgumentParser, h_help: str = "forecast horizon (default: 12 on the embedded data)") -> None:
    g = p.add_argument_group("the model")
    g.add_argument("--h", type=_int_in(1, MAX_HORIZON), default=None, help=h_help)
    g.add_argument("--seq-size", type=_int_in(1, 10**6), help="input window length (default: chosen from the data, as every setting not given)")
    g.add_argument("--hidden-dim", type=_int_in(1, 4096), help="LSTM hidden units (default: 64, 128 from 50,000 training windows)")
    g.add_argument("--num-layers", type=_int_in(1, 64), default=1, help="stacked LSTM layers (default: 1)")
    g.add_argument("--head", choices=HEADS, default="direct", help="direct multi-output or recursive forecasting")
    g.add_argument("--steps", type=COUNT, help="training steps at most (default: about 8 passes over the windows, 1500 to 6000)")
    g.add_argument("--batch-size", type=_int_in(1, 10**6), help="windows per step (default: 32 to 256, by the number of windows)")
    g.add_argument("--micro-batch-size", type=_int_in(1, 10**6),
                   help="windows per forward/backward pass within a step (default: what fits the CPU cache)")
    g.add_argument("--lr", type=_positive_float, help="Adam learning rate (default: 0.003, decayed along a cosine)")
    g.add_argument("--ensemble", type=_int_in(1, 1000), help="networks averaged (default: 5)")
    g.add_argument("--time-budget", type=_positive_float, metavar="SECONDS",
                   help="end training after this many seconds, keeping the best weights (default: no limit)")
    g.add_argument("--season", type=_int_in(1, 10**6), help="seasonal period (default: from the frequency)")
    g.add_argument("--seed", type=_int_in(0, 2**32 - 1), default=0, help="random seed (default: 0)")
    g.add_argument("--threads", type=_int_in(1, 1024), help="torch threads for training and forecasting (default: chosen from the model size)")
    g.add_argument("--device", type=_device, default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    g.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="bf16 trains under bfloat16 autocast (default auto: bf16 where the CPU or GPU computes it natively)")


def _output_args(p: argparse.ArgumentParser, out_help: str, **out) -> None:
    p.add_argument("--out", type=_text, help=out_help, **out)
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs (never the input data or the model read)")
    p.add_argument("--quiet", action="store_true", help="print no progress bar or notes (errors and warnings still)")


def _plot_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("the plot")
    g.add_argument("--plot-history", type=_history, default=argparse.SUPPRESS, metavar="N|all",
                   help="observations shown before the forecast, 'all' for every one "
                        "(default: the holdout and 3 seasons or 3 horizons before it, whichever is longer)")
    g.add_argument("--plot-ids", type=_text, nargs="+", metavar="ID", help="series to draw (default: the first 4)")


def _subparser(sub, name: str, help: str) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help, description=help, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="seriespredictor",
        description="Forecast time series with an LSTM: CSV, Parquet or the embedded airline series in, forecasts out.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    level = dict(type=_percent, nargs="+", help="prediction-interval levels in percent, e.g. 80 95")
    p = _subparser(sub, "forecast", "compare against naive baselines on a holdout, then forecast the future")
    p.add_argument("data", nargs="?", help="CSV or Parquet file (default: the embedded airline passengers series)")
    _output_args(p, "folder for forecast.csv, metrics.csv, holdout.csv and forecast.png (default: out)", default="out")
    p.add_argument("--level", **level)
    p.add_argument("--tune", action="store_true", help="choose --hidden-dim, --seq-size and --steps by backtest first (those not given)")
    _plot_args(p)
    _model_args(p)
    _data_args(p)
    p = _subparser(sub, "backtest", "rolling-origin backtest of the LSTM and the baselines")
    p.add_argument("data", nargs="?", help="CSV or Parquet file (default: the embedded airline passengers series)")
    p.add_argument("--windows", type=_int_in(1, 10**6), default=3, help="number of cutoffs per series (default: 3)")
    p.add_argument("--step-size", type=_int_in(1, 10**6), help="steps between cutoffs (default: h)")
    p.add_argument("--refit", action="store_true", help="retrain the LSTM at every cutoff (default: train once before the first)")
    p.add_argument("--level", **level)
    _output_args(p, "folder for backtest.csv and backtest_metrics.csv (default: out)", default="out")
    _model_args(p)
    _data_args(p)
    p = _subparser(sub, "fit", "train on a file and save the model")
    p.add_argument("data", help="CSV or Parquet file")
    _output_args(p, "model folder to write", required=True)
    p.add_argument("--checkpoint-dir", type=_text, help="write training checkpoints here (atomically) to be able to --resume")
    p.add_argument("--checkpoint-every", type=COUNT, default=500, help="steps between checkpoints (default: 500)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from --checkpoint-dir")
    p.add_argument("--timeout", type=_positive_float, default=300, help="seconds a torchrun process waits for the others (default: 300)")
    _model_args(p, "forecast horizon (required)")
    _data_args(p)
    p = _subparser(sub, "predict", "forecast with a saved model")
    p.add_argument("model", help="model folder written by 'fit'")
    p.add_argument("--h", type=_int_in(1, MAX_HORIZON), help="horizon (default: the one the model was trained for)")
    _output_args(p, "CSV or Parquet file (by its suffix) to write, chunk by chunk (default, or -: CSV to standard output)")
    p.add_argument("--chunk-size", type=COUNT, default=10_000, help="series forecast per chunk with --out (default: 10000)")
    p.add_argument("--level", **level)
    return parser


def _check_combinations(parser: argparse.ArgumentParser, args) -> None:
    if getattr(args, "resume", False) and not args.checkpoint_dir:
        parser.error("--resume needs --checkpoint-dir, the folder where the interrupted run saved its checkpoints")
    micro, batch = getattr(args, "micro_batch_size", None), getattr(args, "batch_size", None)
    if getattr(args, "tune", False) and all(getattr(args, k) is not None for k in TUNED):
        parser.error("--tune chooses --seq-size, --hidden-dim and --steps, but all three are given; leave out one of them or --tune")
    if micro is not None and batch is not None and micro > batch:
        parser.error(f"--micro-batch-size {micro} is larger than --batch-size {batch}; a step is split into passes of at most its size")


# -- outputs: checked before any work, written atomically ----------------------------------------
def _inputs(args) -> list[Path]:
    return [Path(p) for p in (getattr(args, "data", None), getattr(args, "model", None)) if p]


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _check_target(path: Path, args, *, folder: bool = False, flag: str = "--out") -> None:
    """Refuse an output that would replace an input, an existing file without --overwrite, or
    that cannot be written; create nothing."""
    for source in _inputs(args):
        if _same(path, source) or (source.is_dir() and source.resolve() in path.resolve().parents):
            raise SeriesValidationError(f"{flag} {str(path)!r} would write onto the input {str(source)!r}; choose another {flag}")
    if path.exists() or path.is_symlink():
        if path.is_dir() != folder:
            kind = "a folder; give a file name" if path.is_dir() else "a file; give a folder name"
            raise SeriesValidationError(f"{flag} {str(path)!r} is {kind}")
        if not folder and path.exists() and not path.is_file():
            raise SeriesValidationError(f"{flag} {str(path)!r} is not a regular file (a FIFO or device); give a file name")
        if not args.overwrite and not folder:
            raise SeriesValidationError(f"{str(path)!r} already exists; pass --overwrite to replace it")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise SeriesValidationError(f"cannot create {str(path)!r}: {str(parent)!r} is a file, not a folder")
    try:  # an unnamed file, gone when closed: catches read-only file systems and missing permissions alike
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as e:
        raise SeriesValidationError(f"cannot write {str(path)!r}: {e.strerror} in {str(parent)!r}; choose another {flag}") from None


def _check_outputs(args, names: tuple[str, ...]) -> None:
    out = Path(args.out)
    _check_target(out, args, folder=True)
    for name in names:
        _check_target(out / name, args)


def _write(out: Path, writers: dict) -> None:
    """Write each file of ``out`` through a temporary file in the same folder, renamed only once
    every file is complete: no file is half-written, and a failure replaces none of them."""
    with contextlib.ExitStack() as files:
        for name, write in writers.items():
            write(files.enter_context(atomic_output(out / name)))


# -- the work --------------------------------------------------------------------------------------
def _note(args, message: str) -> None:
    if not args.quiet:
        print(message)


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _reading(args) -> dict:
    """Keyword arguments that say how to read the data."""
    return dict(id_col=args.id_col, time_col=args.time_col, target_col=args.target_col, freq=args.freq,
                time_format=args.time_format, fill_missing=args.fill_missing, aggregate_duplicates=args.aggregate_duplicates)


def _forecaster(args, h: int) -> Forecaster:
    chosen = {k: getattr(args, k) for k in TUNED if getattr(args, k) is not None}  # unset: the Forecaster's defaults
    return Forecaster(
        h=h, **chosen, num_layers=args.num_layers, head=args.head, batch_size=args.batch_size, micro_batch_size=args.micro_batch_size, lr=args.lr,
        ensemble=args.ensemble, time_budget=args.time_budget, season=args.season, seed=args.seed,
        threads=args.threads, device=args.device, precision=args.precision, progress=not args.quiet,
        checkpoint_dir=getattr(args, "checkpoint_dir", None), checkpoint_every=getattr(args, "checkpoint_every", 500),
        **_reading(args),
    )


def _backtest_all(panel: Panel, h: int, windows: int, step: int, args, *, refit: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backtest the LSTM (trained before the first cutoff, or at each with ``refit``) and the baselines."""
    model = _forecaster(args, h)
    cuts = cutoff_points(panel.lengths, h, windows, step)
    short = [(sid, int(n)) for sid, n, c in zip(panel.ids, panel.lengths, cuts[:, 0]) if c < 1]
    if short:
        raise SeriesValidationError(
            f"{len(short)} series are too short for {windows} window(s) of --h {h}, e.g. {short[:3]}; "
            f"use a smaller --h{' or fewer --windows' if args.command == 'backtest' else ''}, or drop those series"
        )
    first = int(np.argmin(cuts[:, 0]))
    if args.season is not None and args.season >= cuts[first, 0]:
        raise SeriesValidationError(
            f"--season {args.season} is not shorter than the history before the first cutoff "
            f"({int(cuts[first, 0])} points in {panel.ids[first]!r}); use a smaller --season"
        )
    if not refit:
        model.fit(panel.head(cuts[:, 0]))
    cv = cross_validation(model, panel, h, windows, step, refit=refit, level=args.level)
    for baseline in (Naive(), SeasonalNaive(args.season)):
        cv[baseline.alias] = cross_validation(baseline, panel, h, windows, step)[baseline.alias].to_numpy()
    season = resolve_season(args.season, panel.freq)
    table = evaluate(cv, panel, ["LSTM", "Naive", "SeasonalNaive"], season, id_col=args.id_col, level=args.level)
    return table, cv


def _coverage_notes(args, table: pd.DataFrame, points: int, where: str) -> None:
    """Each level's interval coverage next to its nominal level; a warning when it falls short."""
    for lv in args.level or []:
        covered = table.loc["LSTM", f"coverage-{lv:g}"]
        text = f"{lv:g}% intervals covered {covered:.1f}% of {points} points {where} (nominal {lv:g}%)"
        if covered < lv - COVERAGE_SLACK:
            _warn(f"{text}: they are too narrow; trust them less, or give the model more series or longer ones to calibrate on")
        else:
            _note(args, text)


def _skill_warnings(table: pd.DataFrame, where: str) -> None:
    """Warn when the LSTM does not beat a baseline; hint at a random walk where naive wins outright."""
    mase = table["MASE"]
    for baseline, what in (("Naive", "the naive forecast (last value)"), ("SeasonalNaive", "the seasonal naive forecast")):
        if mase["LSTM"] >= mase[baseline]:
            _warn(f"the LSTM does not beat {what} {where} (MASE {mase['LSTM']:.3f} vs {mase[baseline]:.3f})")
    if mase["Naive"] < min(mase["LSTM"], mase["SeasonalNaive"]):
        _warn("the last value is the best forecast here: the series behaves like a random walk (as stock prices do), "
              "so trust the naive forecast")


def _load(args) -> tuple[Panel, int]:
    if args.data is None:
        from .datasets import load_airline_passengers

        data, h = load_airline_passengers(), args.h or 12
        source = "embedded airline passengers (monthly, 1949-1960)"
    else:
        if args.h is None:
            raise SeriesValidationError("--h is required with a data file: how many steps ahead to forecast")
        data, h, source = args.data, args.h, args.data
    panel = to_panel(data, **_reading(args))
    _note(args, f"data: {source}: {len(panel.ids)} series, {int(panel.lengths.sum())} points, frequency {panel.freq}")
    if panel.filled:
        _note(args, f"filled {panel.filled} missing points with {args.fill_missing}")
    return panel, h


def _tune(args, panel: Panel, h: int) -> None:
    """Replace the model settings in ``args`` by the best found by backtest."""
    from .tuning import default_grid, longest_window, tune

    train = panel.head(panel.lengths - h)  # the holdout stays out of tuning
    grid = default_grid(h, resolve_season(args.season, panel.freq), longest_window(train, h))
    grid = {k: v for k, v in grid.items() if getattr(args, k) is None}  # what the user set stays as set
    best, table = tune(_forecaster(args, h), train, grid=grid)
    _note(args, "tuning (backtest MASE, 2 windows before the holdout):")
    _note(args, table.head(5).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for k, v in best.items():
        setattr(args, k, v)
    _note(args, f"chosen: {best}")


def _plot_ids(panel: Panel, args) -> list | None:
    """The series ``--plot-ids`` names, in the data's own type; one clear error for unknown names."""
    if not args.plot_ids:
        return None
    by_name = {str(sid): sid for sid in panel.ids}
    unknown = [name for name in args.plot_ids if name not in by_name]
    if unknown:
        raise SeriesValidationError(f"--plot-ids {unknown[:3]} not found in the data; its series include {list(by_name)[:5]}")
    return [by_name[name] for name in args.plot_ids]


def _plot(args, panel: Panel, forecast: pd.DataFrame, holdout: pd.DataFrame, h: int, ids: list | None):
    from .plotting import plot_forecast

    season = resolve_season(args.season, panel.freq)
    shown = getattr(args, "plot_history", 3 * max(season, h) + h)  # the holdout is part of the history
    fig = plot_forecast(panel.to_frame(args.id_col, args.time_col, args.target_col), forecast,
                        holdout=holdout.rename(columns={"y": args.target_col}), ids=ids, history_points=shown,
                        id_col=args.id_col, time_col=args.time_col, target_col=args.target_col, labels=panel.names)
    drawn = len(ids) if ids else min(4, len(panel.ids))
    if drawn < len(panel.ids):
        _note(args, f"the plot shows {drawn} of {len(panel.ids)} series; choose others with --plot-ids")
    return fig


def _span(times: pd.Series) -> str:
    """'first .. last' of all series, both as dates when neither has a time of day."""
    ends = pd.Series([times.min(), times.max()])
    if pd.api.types.is_datetime64_any_dtype(ends) and (ends == ends.dt.normalize()).all():
        ends = ends.dt.date
    return " .. ".join(map(str, ends))


def _cmd_forecast(args) -> int:
    names = ("forecast.csv", "metrics.csv", "holdout.csv", "forecast.png")
    _check_outputs(args, names)
    panel, h = _load(args)
    ids = _plot_ids(panel, args)
    if args.tune:
        _tune(args, panel, h)
    _note(args, f"holdout: the last {h} points of each series")
    table, holdout = _backtest_all(panel, h, 1, h, args)
    _note(args, table.to_string(float_format=lambda v: f"{v:.3f}", na_rep=""))
    _coverage_notes(args, table, len(holdout), "on the holdout")
    _skill_warnings(table, "on the holdout")
    forecast = _forecaster(args, h).fit(panel).predict(level=args.level)
    fig = _plot(args, panel, forecast, holdout, h, ids)
    out = Path(args.out)
    _write(out, dict(zip(names, (lambda p: forecast.to_csv(p, index=False), table.to_csv,
                                 lambda p: holdout.to_csv(p, index=False), lambda p: fig.savefig(p, dpi=110, format="png")))))
    _note(args, f"forecast: {h} steps per series ({_span(forecast[args.time_col])}) written to {out / names[0]}, plot {out / names[3]}")
    return 0


def _cmd_backtest(args) -> int:
    names = ("backtest.csv", "backtest_metrics.csv")
    _check_outputs(args, names)
    panel, h = _load(args)
    step = h if args.step_size is None else args.step_size
    table, cv = _backtest_all(panel, h, args.windows, step, args, refit=args.refit)
    _note(args, f"backtest: {args.windows} windows of {h} steps every {step} per series, "
                f"{'refit at each cutoff' if args.refit else 'trained once before the first cutoff'}")
    _note(args, table.to_string(float_format=lambda v: f"{v:.3f}", na_rep=""))
    _coverage_notes(args, table, len(cv), "in the backtest")
    _skill_warnings(table, "in the backtest")
    out = Path(args.out)
    _write(out, dict(zip(names, (lambda p: cv.to_csv(p, index=False), table.to_csv))))
    _note(args, f"written: {out / names[0]}, {out / names[1]}")
    return 0


def _cmd_fit(args) -> int:
    """Train and save; under ``torchrun`` every process trains its share and rank 0 saves."""
    if args.h is None:
        raise SeriesValidationError("--h is required: how many steps ahead the model forecasts")
    _check_target(Path(args.out), args, folder=True)
    if Path(args.out).exists() and not args.overwrite:
        raise SeriesValidationError(f"model folder {args.out!r} already exists; pass --overwrite to replace it")
    check_replaceable(Path(args.out), args.overwrite)  # before training, not after it
    if args.checkpoint_dir:
        _check_target(Path(args.checkpoint_dir), args, folder=True, flag="--checkpoint-dir")
        if _same(Path(args.checkpoint_dir), Path(args.out)) or Path(args.out).resolve() in Path(args.checkpoint_dir).resolve().parents:
            raise SeriesValidationError(f"--checkpoint-dir {args.checkpoint_dir!r} is or is inside the --out folder {args.out!r}, "
                                        "which the saved model replaces; give the checkpoints their own folder")
        if not (args.resume or args.overwrite) and any(Path(args.checkpoint_dir).glob("member-*")):
            raise SeriesValidationError(f"--checkpoint-dir {args.checkpoint_dir!r} holds the checkpoints of an earlier run; "
                                        "pass --resume to continue it, or --overwrite to start over")
    distributed.init_from_env(timeout_s=args.timeout)
    try:
        with distributed.failing_together():  # an error on any rank stops them all with its message
            model = _forecaster(args, args.h)
            model.progress = model.progress and distributed.is_main()
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
            _note(args, f"resumed ensemble member {member} from its checkpoint at step {r.resumed_from}")
    model.save(args.out, overwrite=args.overwrite)
    world = distributed.rank_and_world()[1]
    _note(args, f"model saved to {args.out} ({len(model.ids_)} series, h={args.h}"
                + (f", trained by {world} processes" if world > 1 else "") + ")")


def _cmd_predict(args) -> int:
    if args.out == "-":  # the usual name for standard output
        args.out = None
    if args.out:
        _check_target(Path(args.out), args)
    model = Forecaster.load(args.model)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        model.predict_to(args.out, args.h, level=args.level, chunk_size=args.chunk_size)
        _note(args, f"forecast written to {args.out}")
    else:
        model.predict(args.h, level=args.level).to_csv(sys.stdout, index=False)
    return 0


# -- errors and signals ----------------------------------------------------------------------------
def _cli_words(message: str, flags: dict[str, str]) -> str:
    """Say ``--fill-missing ffill, interpolate or zero`` where the library says
    ``fill_missing='ffill', 'interpolate' or 'zero'``; drop its ``(CLI: ...)`` and ``; CLI: ...`` asides."""
    message = re.sub(r" \(CLI: [^)]*\)|; CLI: [^)]*(?=\))", "", message)

    def swap(m: re.Match) -> str:
        flag = flags.get(m.group(1))
        if flag is None:
            return m.group(0)
        value = (m.group(2) or "").strip("'\"")
        alternatives = re.sub(r"'([^']*)'", r"\1", m.group(3))  # the other values, as typed on a command line
        return flag + alternatives if value in ("", "True") else f"{flag} {value}{alternatives}"

    return re.sub(r"\b([a-z_]+)=('[^']*'|\"[^\"]*\"|[^\s,;)]+)?((?:(?:, | or )'[^']*')*)", swap, message)


def _os_message(e: OSError) -> str:
    hint = {errno.ENOSPC: "; free some disk space", errno.EFBIG: "; the file size limit is reached",
            errno.EACCES: "; choose a place you can write to", errno.EROFS: "; choose a place you can write to",
            errno.ENOENT: "; check the path"}.get(e.errno, "")
    return f"{message(e)}{hint}"


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def _flags(parser: argparse.ArgumentParser) -> dict[str, str]:
    return {a.dest: a.option_strings[-1] for p in _commands(parser).values() for a in p._actions if a.option_strings}


def _fail(message: str) -> int:
    print(f"seriespredictor: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, raise_terminated) if in_main_thread else None
    parser = _parser()
    shown = set()

    def show_once(message, *_):  # one line, as the CLI's own; once, though forecast calibrates twice
        if str(message) not in shown:
            shown.add(str(message))
            _warn(str(message))

    with warnings.catch_warnings():
        warnings.showwarning = show_once
        return _run(parser, argv, in_main_thread, previous)


def _run(parser, argv, in_main_thread: bool, previous) -> int:
    try:
        args = parser.parse_args(argv)
        _check_combinations(_commands(parser)[args.command], args)
        command = {"forecast": _cmd_forecast, "backtest": _cmd_backtest, "fit": _cmd_fit, "predict": _cmd_predict}[args.command]
        return command(args)
    except (SeriesValidationError, ModelFileError, NotFittedError, TrainingDivergedError) as e:
        return _fail(_cli_words(str(e), _flags(parser)))
    except BrokenPipeError:  # the reader of our output left (as `| head` does): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except OSError as e:  # FileExistsError included: "already exists; pass overwrite=True"
        return _fail(_cli_words(_os_message(e), _flags(parser)))
    except MemoryError:
        return _fail("not enough memory; use a smaller --hidden-dim, --batch-size or --chunk-size")
    except KeyboardInterrupt as e:
        return interrupt_exit(e)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)

if __name__ == "__main__":
    raise SystemExit(main())
