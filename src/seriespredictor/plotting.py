"""Plots of history, holdout and forecast on one time axis."""

from __future__ import annotations

import re

import pandas as pd


def plot_forecast(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    *,
    holdout: pd.DataFrame | None = None,
    models: list[str] | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    ids: list | None = None,
    max_series: int = 4,
    history_points: int | None = None,
    title: str | None = None,
    labels: tuple[str, str] | None = None,
):
    """Draw each series' recent history, the held-out actuals and their forecasts, and the forecast.

    The caller's matplotlib state is left alone: the figure is a ``matplotlib.figure.Figure`` on
    an Agg canvas, never a pyplot figure.

    Args:
        history: long frame of observed values.
        forecast: long frame from ``predict`` (one column per model, ``<model>-lo-<level>`` and
            ``<model>-hi-<level>`` for each interval level; every level is drawn).
        holdout: optional long frame with the held-out actuals ``target_col`` and each model's
            holdout forecasts, drawn over the same time axis.
        models: forecast columns to draw (default: all point-forecast columns of ``forecast``).
        ids: the series to draw (default: the first ``max_series``).
        max_series: how many series are drawn when ``ids`` is None, one panel each.
        history_points: how many observations before the forecast to show (default: all).
        title: the figure's title; a note "k of n series" is added when not all are drawn.
        labels: the (time, value) axis labels (default: ``time_col``, ``target_col``), e.g. a
            file's own column names.

    Returns:
        The matplotlib Figure.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    every = list(pd.unique(history[id_col]))
    ids = every[:max_series] if ids is None else list(ids)
    models = models or _point_columns(forecast, id_col, time_col, target_col)
    held = _point_columns(holdout, id_col, time_col, target_col) if holdout is not None else []
    colors = {m: f"C{k}" for k, m in enumerate(dict.fromkeys(models + held))}
    fig = Figure(figsize=(11, 0.6 + 3.2 * len(ids)), layout="constrained")
    FigureCanvasAgg(fig)
    for ax, sid in zip(fig.subplots(len(ids), 1, squeeze=False)[:, 0], ids):
        seen = history[history[id_col] == sid]
        if history_points is not None:
            seen = seen.iloc[-history_points:]
        if holdout is not None:
            _draw_holdout(ax, seen, holdout[holdout[id_col] == sid], held, colors, time_col, target_col)
        else:
            ax.plot(seen[time_col], seen[target_col], color="black", lw=1.2, label="history")
        last = seen.iloc[-1:]
        fc = forecast[forecast[id_col] == sid]
        for m in models:
            _draw_forecast(ax, last, fc, m, colors[m], time_col, target_col)
        _style(ax, str(sid), labels or (time_col, target_col), pd.api.types.is_datetime64_any_dtype(history[time_col]))
    if ids:
        fig.legend(*fig.axes[0].get_legend_handles_labels(), loc="outside right upper", fontsize=8)
    note = f"{len(ids)} of {len(every)} series" if len(ids) < len(every) else None
    heading = "; ".join(t for t in (title, note) if t)
    if heading:
        fig.suptitle(heading)
    return fig


def _style(ax, title: str, labels: tuple[str, str], dates: bool) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    if dates:  # no overlapping full dates
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.grid(alpha=0.3)


def _point_columns(frame: pd.DataFrame, id_col: str, time_col: str, target_col: str) -> list[str]:
    keys = (id_col, time_col, target_col, "y", "cutoff")
    return [c for c in frame.columns if c not in keys and "-lo-" not in c and "-hi-" not in c]


def _levels(frame: pd.DataFrame, model: str) -> list[str]:
    """The interval levels present for ``model``, widest first (as written in the column names)."""
    found = [m.group(1) for c in frame.columns if (m := re.fullmatch(re.escape(model) + r"-lo-(.+)", c))]
    return sorted((lv for lv in found if f"{model}-hi-{lv}" in frame), key=float, reverse=True)


def _joined(last: pd.DataFrame, times, values, time_col: str, target_col: str):
    """Prepend the last observation, so the line starts where the data ends."""
    return (pd.concat([last[time_col], pd.Series(times)], ignore_index=True),
            pd.concat([last[target_col], pd.Series(values)], ignore_index=True))


def _draw_forecast(ax, last, fc, model, color, time_col, target_col) -> None:
    t, y = _joined(last, fc[time_col], fc[model], time_col, target_col)
    ax.plot(t, y, color=color, lw=2.2, label=f"{model} forecast")
    levels = _levels(fc, model)
    for k, lv in enumerate(levels):  # widest lightest; they stack to darker bands inside
        lo = _joined(last, fc[time_col], fc[f"{model}-lo-{lv}"], time_col, target_col)[1]
        hi = _joined(last, fc[time_col], fc[f"{model}-hi-{lv}"], time_col, target_col)[1]
        ax.fill_between(t, lo, hi, color=color, alpha=0.12 + 0.06 * k, lw=0, label=f"{model} {lv}% interval")


def _draw_holdout(ax, seen, hold, held, colors, time_col, target_col) -> None:
    cut = hold[time_col].min()
    before = seen[seen[time_col] < cut]
    last = before.iloc[-1:]
    ax.plot(before[time_col], before[target_col], color="black", lw=1.2, label="history")
    t, y = _joined(last, hold[time_col], hold[target_col], time_col, target_col)
    ax.plot(t, y, color="black", lw=1.2, ls="--", label="holdout (actual)")
    for m in held:
        t, y = _joined(last, hold[time_col], hold[m], time_col, target_col)
        ax.plot(t, y, color=colors[m], lw=1, alpha=0.8, label=f"{m} on holdout")
    ax.axvline(last[time_col].iloc[0] if len(last) else cut, color="grey", lw=0.8, ls=":")
