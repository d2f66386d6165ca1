"""The command line: five subcommands whose model and data flags are built from the signatures
of ``Forecaster`` and ``to_panel`` (see :mod:`.flags`); this module names the flags, never their
defaults, types or help."""

from __future__ import annotations

import argparse

from .. import __version__
from ..calendar_features import FEATURES
from ..data import AGGREGATIONS, FILL_METHODS, to_panel
from ..forecaster import Forecaster
from ..network import HEADS
from ..settings import PRECISIONS
from ..params import MAX_HORIZON, MAX_SEED
from .argtypes import (
    COUNT,
    device,
    freq,
    history,
    int_in,
    percent,
    positive_float,
    text,
)
from .flags import add_parameters

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
  seriespredictor predict model --data new.csv --level 80 95 --out new-forecast.csv
  seriespredictor update model sales.csv --out model-2 --steps 50  # continue training on new data
  seriespredictor forecast electricity.csv --h 24 --futr-exog load_forecast --calendar --out prices  # with covariates
"""

# The Forecaster parameters each command exposes; every other one keeps its default.
MODEL = ("seq_size", "hidden_dim", "num_layers", "head", "steps", "batch_size", "micro_batch_size", "lr", "ensemble",
         "time_budget", "season", "seed", "threads", "device", "precision")
CHECKPOINTS = ("checkpoint_dir", "checkpoint_every")  # fit only
DATA = ("id_col", "time_col", "target_col", "time_format", "freq", "fill_missing", "aggregate_duplicates")  # to_panel's
PARSERS = {"h": int_in(1, MAX_HORIZON), "seed": int_in(0, MAX_SEED), "device": device, "freq": freq}
CHOICES = {"head": HEADS, "precision": PRECISIONS, "fill_missing": FILL_METHODS, "aggregate_duplicates": AGGREGATIONS}
TUNED = ("seq_size", "hidden_dim", "steps")  # what --tune chooses, among these settings not given


class _Parser(argparse.ArgumentParser):
    """Argument errors in one line (no usage block), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"seriespredictor: error: {message} (see '{self.prog} --help')\n")


def _data_args(p: argparse.ArgumentParser) -> None:
    add_parameters(p.add_argument_group("reading the data"), to_panel, DATA, parsers=PARSERS, choices=CHOICES)


def _model_args(p: argparse.ArgumentParser, h_note: str = "(default: 12 on the embedded data)") -> None:
    group = p.add_argument_group("the model", "a flag left out keeps the Forecaster's default; None below means left out")
    add_parameters(group, Forecaster, ("h", *MODEL), parsers=PARSERS, choices=CHOICES, notes={"h": h_note})


def _covariate_args(p: argparse.ArgumentParser, note: str = "") -> None:
    g = p.add_argument_group("covariates", "columns of the data beside the target (see Forecaster's futr_exog, hist_exog, stat_exog, "
                                           f"calendar){'; ' + note if note else ''}")
    g.add_argument("--futr-exog", type=text, nargs="+", metavar="COL",
                   help="known-future columns; their values ahead are the rows after each series' last target (target empty)")
    g.add_argument("--hist-exog", type=text, nargs="+", metavar="COL", help="past-only columns, observed with the target")
    g.add_argument("--stat-exog", type=text, nargs="+", metavar="COL", help="static columns, one value per series (numbers or categories)")
    g.add_argument("--calendar", choices=FEATURES, nargs="*", metavar="FEATURE",
                   help="calendar features derived from the timestamps: alone, the frequency's defaults; or names from "
                        f"{', '.join(FEATURES)}")
    g.add_argument("--holidays", type=text, nargs="+", metavar="DATE", help="dates of the 'holiday' calendar feature, e.g. 2024-12-25")
    g.add_argument("--static-df", type=text, metavar="FILE",
                   help="CSV or Parquet file of the --stat-exog columns, one row per series (id and those columns), "
                        "instead of columns of the data")


def _output_args(p: argparse.ArgumentParser, out_help: str, **out) -> None:
    p.add_argument("--out", type=text, help=out_help, **out)
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs (never the input data or the model read)")
    p.add_argument("--quiet", action="store_true", help="print no progress bar or notes (errors and warnings still)")


def _plot_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("the plot")
    g.add_argument("--plot-history", type=history, default=argparse.SUPPRESS, metavar="N|all",
                   help="observations shown before the forecast, 'all' for every one "
                        "(default: the holdout and 3 seasons or 3 horizons before it, whichever is longer)")
    g.add_argument("--plot-ids", type=text, nargs="+", metavar="ID", help="series to draw (default: the first 4)")


def _subparser(sub, name: str, help: str) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help, description=help, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)


DATA_FILE = "CSV or Parquet file (default: the embedded airline passengers series)"
LEVEL = dict(type=percent, nargs="+", help="prediction-interval levels in percent, e.g. 80 95")


def _forecast(sub) -> None:
    p = _subparser(sub, "forecast", "compare against naive baselines on a holdout, then forecast the future")
    p.add_argument("data", nargs="?", help=DATA_FILE)
    _output_args(p, "folder for forecast.csv, metrics.csv, holdout.csv and forecast.png (default: out)", default="out")
    p.add_argument("--level", **LEVEL)
    p.add_argument("--tune", action="store_true", help="choose --hidden-dim, --seq-size and --steps by backtest first (those not given)")
    _plot_args(p)
    _model_args(p)
    _covariate_args(p)
    _data_args(p)


def _backtest(sub) -> None:
    p = _subparser(sub, "backtest", "rolling-origin backtest of the LSTM and the baselines")
    p.add_argument("data", nargs="?", help=DATA_FILE)
    p.add_argument("--windows", type=int_in(1, 10**6), default=3, help="number of cutoffs per series (default: 3)")
    p.add_argument("--step-size", type=int_in(1, 10**6), help="steps between cutoffs (default: h)")
    p.add_argument("--refit", action="store_true", help="retrain the LSTM at every cutoff (default: train once before the first)")
    p.add_argument("--level", **LEVEL)
    _output_args(p, "folder for backtest.csv and backtest_metrics.csv (default: out)", default="out")
    _model_args(p)
    _covariate_args(p)
    _data_args(p)


def _fit(sub) -> None:
    p = _subparser(sub, "fit", "train on a file and save the model")
    p.add_argument("data", help="CSV or Parquet file")
    _output_args(p, "model folder to write", required=True)
    add_parameters(p, Forecaster, CHECKPOINTS)
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from --checkpoint-dir")
    p.add_argument("--timeout", type=positive_float, default=300, help="seconds a torchrun process waits for the others (default: 300)")
    _model_args(p, "(required)")
    _covariate_args(p)
    _data_args(p)


def _predict(sub) -> None:
    p = _subparser(sub, "predict", "forecast with a saved model")
    p.add_argument("model", help="model folder written by 'fit'")
    p.add_argument("--data", type=text, help="CSV or Parquet file of histories to forecast from, read as 'fit' read its data: "
                                             "series it was fitted on with new points appended, or new series "
                                             "(default: continue the training data)")
    p.add_argument("--futr-df", type=text, metavar="FILE",
                   help="a model with known-future covariates: CSV or Parquet file of their values ahead (id, time, those columns; "
                        "default: the rows after each series' last target in --data, or in the training data)")
    p.add_argument("--h", type=PARSERS["h"], help="horizon (default: the one the model was trained for)")
    _output_args(p, "CSV or Parquet file (by its suffix) to write, chunk by chunk (default, or -: CSV to standard output)")
    p.add_argument("--chunk-size", type=COUNT, default=10_000, help="series forecast per chunk with --out (default: 10000)")
    p.add_argument("--level", **LEVEL)
    _covariate_args(p, "the model reads the covariates it was fitted with; given here, they must be those")


def _update(sub) -> None:
    p = _subparser(sub, "update", "continue training a saved model on new data and save it as a new model")
    p.add_argument("model", help="model folder written by 'fit' (left as it is, unless --out names it and --overwrite is given)")
    p.add_argument("data", help="CSV or Parquet file: each series' whole history with its new points, read as at fit")
    p.add_argument("--steps", type=COUNT, help="Adam steps per network (default: a tenth of the fit's, at least 100, at most the fit's)")
    _output_args(p, "model folder to write", required=True)


def _export(sub) -> None:
    p = _subparser(sub, "export", "write a saved model's forecast as an ONNX graph")
    p.add_argument("model", help="model folder written by 'fit'")
    p.add_argument("--onnx", type=text, required=True, metavar="FILE",
                   help="ONNX file to write: input 'history' float32 [batch, seq_size] of raw values, output 'forecast' float32 [batch, h]")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.add_argument("--quiet", action="store_true", help="print no notes (errors still)")


def _serve(sub) -> None:
    p = _subparser(sub, "serve", "serve a saved model's forecasts over HTTP: POST /forecast, GET /health, GET /model "
                                "(needs the [serve] extra; Ctrl-C or SIGTERM stops it)")
    p.add_argument("model", help="model folder written by 'fit', read once at start")
    p.add_argument("--host", type=text, default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int_in(1, 65535), default=8000, help="port to listen on (default: 8000)")
    p.add_argument("--quiet", action="store_true", help="log no request lines or notes (errors and warnings still)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="seriespredictor",
        description="Forecast time series with an LSTM: CSV, Parquet or the embedded airline series in, forecasts out.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in (_forecast, _backtest, _fit, _predict, _update, _export, _serve):
        add(sub)
    return parser


def commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def check_combinations(parser: argparse.ArgumentParser, args) -> None:
    if getattr(args, "resume", False) and not args.checkpoint_dir:
        parser.error("--resume needs --checkpoint-dir, the folder where the interrupted run saved its checkpoints")
    micro, batch = getattr(args, "micro_batch_size", None), getattr(args, "batch_size", None)
    if getattr(args, "tune", False) and all(getattr(args, k) is not None for k in TUNED):
        parser.error("--tune chooses --seq-size, --hidden-dim and --steps, but all three are given; leave out one of them or --tune")
    if micro is not None and batch is not None and micro > batch:
        parser.error(f"--micro-batch-size {micro} is larger than --batch-size {batch}; a step is split into passes of at most its size")
