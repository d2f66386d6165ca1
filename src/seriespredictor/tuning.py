"""A small hyperparameter search scored by backtest, over the settings the book names:
hidden size, window length and training length.

Each candidate is trained on every series up to the first backtest cutoff and scored by mean
MASE over ``n_windows`` windows after it, so no candidate sees the data it is scored on.
"""

from __future__ import annotations

import itertools

import pandas as pd

from .backtest import check_windows, cross_validation, evaluate
from .calendar import resolve_season
from .data import to_panel
from .errors import SeriesValidationError
from .settings import DATA_OPTIONS, data_options


def default_grid(h: int, season: int, max_seq: int | None = None) -> dict[str, list]:
    """The candidates; window lengths are capped at ``max_seq`` (see :func:`longest_window`) when it is at least 1."""
    seqs = {max(2 * season, 2 * h), max(season, h) + h}
    if max_seq is not None and max_seq >= 1:
        seqs = {min(s, max_seq) for s in seqs}
    return {"hidden_dim": [32, 64, 128], "seq_size": sorted(seqs), "steps": [500, 1000]}


def longest_window(panel, h: int, n_windows: int = 2) -> int:
    """The longest input window every series can train with before the first of ``n_windows`` cutoffs."""
    return int(panel.lengths.min()) - (n_windows + 1) * h


def backtest_score(model, panel, h: int, n_windows: int, season: int) -> float:
    """Mean MASE of ``model`` over ``n_windows`` windows of ``h``, trained before the first
    (see :func:`backtest.cross_validation`)."""
    cv = cross_validation(model, panel, h, n_windows)
    return float(evaluate(cv, panel, [model.alias], season).loc[model.alias, "MASE"])


def tune(forecaster, data, *, grid: dict[str, list] | None = None, n_windows: int = 2) -> tuple[dict, pd.DataFrame]:
    """Try every combination of ``grid`` on copies of ``forecaster``; return the best settings.

    Args:
        forecaster: an unfitted ``Forecaster`` whose other settings are kept.
        data: the series, in any form ``to_panel`` accepts.
        grid: ``{setting: [values]}``; default :func:`default_grid`.
        n_windows: backtest windows of ``forecaster.h`` after the training part.

    Returns:
        ``(best settings, table of every candidate with its backtest MASE)``.
    """
    panel = to_panel(data, **data_options(forecaster))
    check_windows(panel, forecaster.h, n_windows, forecaster.h,  # what every candidate's backtest would refuse, refused once
                  fix=f"tuning backtests {n_windows} windows of h before the data's end: tune on longer series, or set the settings instead")
    season = resolve_season(forecaster.season, panel.freq)
    grid = default_grid(forecaster.h, season, longest_window(panel, forecaster.h, n_windows)) if grid is None else grid
    unknown = sorted(set(grid) - set(forecaster.get_params()).difference(DATA_OPTIONS))
    if unknown:
        raise SeriesValidationError(f"cannot tune {unknown}: not Forecaster model settings (how to read the data is not tuned)")
    rows = []
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        one = {"ensemble": forecaster.ensemble or 1, "refit": bool(forecaster.refit)}  # candidates compare one network each
        model = type(forecaster)(**{**forecaster.get_params(), **one, **params, "progress": False})
        try:
            score = backtest_score(model, panel, forecaster.h, n_windows, season)
        except SeriesValidationError as e:  # e.g. a window too long for the shortest series
            score, params["skipped"] = float("nan"), str(e).split(";")[0]
        rows.append({**params, "mase": score})
    table = pd.DataFrame(rows).sort_values("mase", na_position="last").reset_index(drop=True)
    if table["mase"].isna().all():
        raise SeriesValidationError(
            f"no candidate could be scored; the first failed with: {rows[0].get('skipped')}; "
            "tune on longer series, or give the settings instead of tuning them"
        )
    best = {k: table.loc[0, k] for k in grid}
    best = {k: v.item() if hasattr(v, "item") else v for k, v in best.items()}
    return best, table
