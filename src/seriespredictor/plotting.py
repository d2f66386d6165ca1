"""Plots of history, holdout and forecast on one time axis."""

from __future__ import annotations

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
    max_series: int = 4,
    title: str | None = None,
):
    """Draw each series' history, the held-out actuals and their forecasts, and the forecast.

    Args:
        history: long frame of observed values.
        forecast: long frame from ``predict`` (one column per model).
        holdout: optional long frame with the held-out actuals ``target_col`` and each model's
            holdout forecasts, drawn over the same time axis.
        models: forecast columns to draw (default: all non-key columns of ``forecast``).
        max_series: the first this many series are drawn, one panel each.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def point_columns(frame: pd.DataFrame) -> list[str]:
        keys = (id_col, time_col, target_col, "cutoff")
        return [c for c in frame.columns if c not in keys and "-lo-" not in c and "-hi-" not in c]

    models = models or point_columns(forecast)
    ids = list(pd.unique(history[id_col]))[:max_series]
    fig, axes = plt.subplots(len(ids), 1, figsize=(10, 3.6 * len(ids)), squeeze=False)
    held = point_columns(holdout) if holdout is not None else []
    colors = {m: f"C{k}" for k, m in enumerate(dict.fromkeys(models + held))}
    for ax, sid in zip(axes[:, 0], ids):
        hist = history[history[id_col] == sid]
        if holdout is not None:
            hold = holdout[holdout[id_col] == sid]
            cut = hold[time_col].min()
            hist = hist[hist[time_col] <= cut]  # the holdout's actuals are drawn dashed below
            ax.plot(hold[time_col], hold[target_col], color="black", lw=1.2, ls="--", label="holdout (actual)")
            for m in held:
                ax.plot(hold[time_col], hold[m], color=colors[m], lw=1, alpha=0.8, label=f"{m} on holdout")
            ax.axvline(cut, color="grey", lw=0.8, ls=":")
        ax.plot(hist[time_col], hist[target_col], color="black", lw=1.2, label="history")
        fc = forecast[forecast[id_col] == sid]
        for m in models:
            line = ax.plot(fc[time_col], fc[m], color=colors[m], lw=2.2, label=f"{m} forecast")[0]
            if f"{m}-lo-95" in fc:
                ax.fill_between(fc[time_col], fc[f"{m}-lo-95"], fc[f"{m}-hi-95"], color=line.get_color(), alpha=0.15, label=f"{m} 95%")
            if f"{m}-lo-80" in fc:
                ax.fill_between(fc[time_col], fc[f"{m}-lo-80"], fc[f"{m}-hi-80"], color=line.get_color(), alpha=0.25, label=f"{m} 80%")
        ax.set_title(title or str(sid))
        ax.set_xlabel(time_col)
        ax.set_ylabel(target_col)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
