"""What a forecast or backtest tells besides its files: interval coverage, skill against the
baselines, and the plot."""

from __future__ import annotations

import pandas as pd

from ..calendar import resolve_season
from ..panel import Panel
from ..errors import SeriesValidationError
from .outputs import _note, _warn

COVERAGE_SLACK = 15  # percentage points a backtest's interval coverage may fall below the nominal level unwarned


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
    from ..plotting import plot_forecast

    season = resolve_season(args.season, panel.freq)
    shown = getattr(args, "plot_history", 3 * max(season, h) + h)  # the holdout is part of the history
    fig = plot_forecast(panel.to_frame(args.id_col, args.time_col, args.target_col), forecast,
                        holdout=holdout.rename(columns={"y": args.target_col}), ids=ids, history_points=shown,
                        id_col=args.id_col, time_col=args.time_col, target_col=args.target_col, labels=panel.names,
                        title=None if panel.covariates is None else f"covariates: {panel.covariates.describe()}")
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
