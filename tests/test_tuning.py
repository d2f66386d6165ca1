import numpy as np
import pandas as pd
import pytest

from seriespredictor import Forecaster, SeriesValidationError
from seriespredictor.tuning import default_grid, tune


def series(n=120):
    t = np.arange(n)
    return pd.Series(50 + 10 * np.sin(2 * np.pi * t / 12) + 0.2 * t, index=pd.date_range("2010-01", periods=n, freq="MS"))


def test_tune_scores_every_candidate_and_returns_the_best():
    grid = {"hidden_dim": [4, 16], "steps": [5, 150]}
    best, table = tune(Forecaster(h=6, seq_size=24, seed=0), series(), grid=grid, n_windows=2)
    assert len(table) == 4 and table["mase"].is_monotonic_increasing
    assert best == {"hidden_dim": table.loc[0, "hidden_dim"], "steps": table.loc[0, "steps"]}
    assert best["steps"] == 150  # 5 steps cannot beat 150 on a clean seasonal series


def test_candidates_that_do_not_fit_are_skipped_not_fatal():
    best, table = tune(Forecaster(ensemble=1, refit=False, h=6, seed=0, steps=20), series(60), grid={"seq_size": [12, 200]}, n_windows=1)
    assert best == {"seq_size": 12}
    assert np.isnan(table.set_index("seq_size").loc[200, "mase"])


def test_unknown_settings_are_refused():
    with pytest.raises(SeriesValidationError, match=r"cannot tune \['hidden'\]"):
        tune(Forecaster(h=6), series(), grid={"hidden": [1]})


def test_default_grid_names_the_books_settings():
    assert set(default_grid(12, 12)) == {"hidden_dim", "seq_size", "steps"}


def test_series_with_no_history_before_the_tuning_cutoffs_are_named_with_their_length():
    with pytest.raises(SeriesValidationError, match=r"too short for 2 windows .* they need 5 points, e.g. \[\('y', 4\)\]; tune on longer series"):
        tune(Forecaster(ensemble=1, refit=False, h=2, seq_size=1, steps=5), series(4).rename("y"), grid={"hidden_dim": [4]}, n_windows=2)
