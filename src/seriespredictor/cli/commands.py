"""The seven commands: forecast, backtest, fit, predict, update, export and serve."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .. import distributed
from ..backtest import check_windows, cross_validation, evaluate
from ..baselines import Naive, SeasonalNaive
from ..calendar import resolve_season
from ..panel import Panel
from ..errors import SeriesValidationError
from ..forecaster import Forecaster
from ..persistence import check_replaceable
from .outputs import _check_outputs, _check_target, _note, _same, _write
from .parser import CHECKPOINTS, DATA, MODEL
from .report import _coverage_notes, _plot, _plot_ids, _skill_warnings, _span


def _reading(args) -> dict:
    """Keyword arguments that say how to read the data."""
    return {k: getattr(args, k) for k in DATA}


def _covariates(args) -> dict:
    """The covariate settings of the flags (``--calendar`` alone: the frequency's defaults)."""
    calendar = getattr(args, "calendar", None)
    return {"futr_exog": getattr(args, "futr_exog", None), "hist_exog": getattr(args, "hist_exog", None),
            "stat_exog": getattr(args, "stat_exog", None), "calendar": calendar or calendar == [], "holidays": getattr(args, "holidays", None)}


def _forecaster(args, h: int) -> Forecaster:
    """The Forecaster of the flags given; the others (and the flags of other commands) keep its defaults."""
    settings = {k: getattr(args, k) for k in MODEL + CHECKPOINTS if hasattr(args, k)}
    return Forecaster(h=h, **settings, **_covariates(args), progress=not args.quiet, **_reading(args))


def _backtest_all(panel: Panel, h: int, windows: int, step: int, args, *, refit: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backtest the LSTM (trained before the first cutoff, or at each with ``refit``) and the baselines."""
    cuts = check_windows(panel, h, windows, step)
    first = int(np.argmin(cuts[:, 0]))
    if args.season is not None and args.season >= cuts[first, 0]:
        raise SeriesValidationError(
            f"--season {args.season} is not shorter than the history before the first cutoff "
            f"({int(cuts[first, 0])} points in {panel.ids[first]!r}); use a smaller --season"
        )
    models = (_forecaster(args, h), Naive(), SeasonalNaive(args.season))
    cv, *others = (cross_validation(m, panel, h, windows, step, refit=refit, level=args.level, id_col=args.id_col,
                                    time_col=args.time_col) for m in models)
    for frame in others:
        cv[frame.columns[4:]] = frame[frame.columns[4:]]  # the same rows: the baseline's forecast columns
    season = resolve_season(args.season, panel.freq)
    table = evaluate(cv, panel, [m.alias for m in models], season, id_col=args.id_col, level=args.level)
    return table, cv


def _load(args) -> tuple[Panel, int]:
    if args.data is None:
        from ..datasets import load_airline_passengers

        data, h = load_airline_passengers(), args.h or 12
        source = "embedded airline passengers (monthly, 1949-1960)"
    else:
        if args.h is None:
            raise SeriesValidationError("--h is required with a data file: how many steps ahead to forecast")
        data, h, source = args.data, args.h, args.data
    model = _forecaster(args, h)
    model._check_settings()  # the covariate flags, before reading
    panel = model._read(data, args.static_df)
    _note(args, f"data: {source}: {len(panel.ids)} series, {int(panel.lengths.sum())} points, frequency {panel.freq}")
    if panel.covariates is not None:
        _note(args, f"covariates: {panel.covariates.describe()}")
    if panel.filled:
        _note(args, f"filled {panel.filled} missing points with {args.fill_missing}")
    return panel, h


def _tune(args, panel: Panel, h: int) -> None:
    """Replace the model settings in ``args`` by the best found by backtest."""
    from ..tuning import default_grid, longest_window, tune

    train = panel.head(panel.lengths - h)  # the holdout stays out of tuning
    grid = default_grid(h, resolve_season(args.season, panel.freq), longest_window(train, h))
    grid = {k: v for k, v in grid.items() if getattr(args, k) is None}  # what the user set stays as set
    best, table = tune(_forecaster(args, h), train, grid=grid)
    _note(args, "tuning (backtest MASE, 2 windows before the holdout):")
    _note(args, table.head(5).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for k, v in best.items():
        setattr(args, k, v)
    _note(args, f"chosen: {best}")


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
            model._check_settings()  # the covariate flags, before reading
            panel = model._read(args.data, args.static_df)
            if panel.filled and distributed.is_main():
                _note(args, f"filled {panel.filled} missing points with {args.fill_missing}")
            model.fit(panel, resume=args.resume)
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
    _check_covariates(model, args)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        model.predict_to(args.out, args.h, data=args.data, futr_df=args.futr_df, static_df=args.static_df, level=args.level,
                         chunk_size=args.chunk_size)
        _note(args, f"forecast written to {args.out}")
    else:
        forecast = model.predict(args.h, data=args.data, futr_df=args.futr_df, static_df=args.static_df, level=args.level)
        forecast.to_csv(sys.stdout, index=False)
    return 0


def _check_covariates(model, args) -> None:
    """Covariate flags given to ``predict`` must be the model's: it reads what it was fitted with."""
    given = _covariates(args)
    for name, value in given.items():
        if value in (None, False):
            continue
        own = getattr(model, name)
        if name == "calendar" and value is True and own:  # alone: whatever calendar the model takes
            continue
        if (list(value) if isinstance(value, (list, tuple)) else value) != (list(own) if isinstance(own, (list, tuple)) else own):
            flag = "--" + name.replace("_", "-")
            raise SeriesValidationError(f"{flag} {value!r} differs from the covariates this model was fitted with ({own!r}): a saved "
                                        f"model reads its own; leave {flag} out, or fit a model with it")


def _cmd_serve(args) -> int:
    from ..serve import serve  # MissingExtraError without the [serve] extra: the message names it
    model = Forecaster.load(args.model)
    try:
        serve(model, args.model, host=args.host, port=args.port, quiet=args.quiet)
    except KeyboardInterrupt:  # uvicorn raises the signal it stopped on again, once it has stopped cleanly
        pass
    return 0


def _cmd_update(args) -> int:
    """Load, continue training, save as a new model: the model read is replaced only when
    ``--out`` names it and ``--overwrite`` is given, then in one step (``Forecaster.save``)."""
    out, source = Path(args.out), Path(args.model)
    if source.exists() and _same(out, source):
        if not args.overwrite:
            raise SeriesValidationError(f"--out {args.out!r} is the model read; choose another folder, or pass --overwrite "
                                        "to replace it with the updated model")
    else:
        _check_target(out, args, folder=True)
        if out.exists() and not args.overwrite:
            raise SeriesValidationError(f"model folder {args.out!r} already exists; pass --overwrite to replace it")
    check_replaceable(out, args.overwrite)  # before training, not after it
    model = Forecaster.load(args.model)
    model.progress = not args.quiet
    steps_before = sum(r.steps_run for r in model.history_)
    model.update(args.data, steps=args.steps)
    model.save(out, overwrite=args.overwrite)
    _note(args, f"model updated on {args.data} ({len(model.ids_)} series, {sum(r.steps_run for r in model.history_) - steps_before} "
                f"steps) and saved to {args.out}")
    return 0


def _cmd_export(args) -> int:
    _check_target(Path(args.onnx), args, flag="--onnx")
    model = Forecaster.load(args.model)
    model.export_onnx(args.onnx, overwrite=args.overwrite)
    _note(args, f"ONNX graph written to {args.onnx}: input 'history' float32 [batch, {model.seq_size_}], "
                f"output 'forecast' float32 [batch, {model.nets_[0].config.h}]")
    return 0
