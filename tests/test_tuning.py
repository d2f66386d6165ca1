import numpy as np
import pandas as pd
import pytest

from seriespredictor import Forecaster, SeriesValidationError
from seriespredictor.data import to_panel
from seriespredictor.tuning import default_grid, longest_window, tune


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
    model = Forecaster(ensemble=1, refit=False, h=6, seed=0, steps=20, seasonal_base=True)
    best, table = tune(model, series(60), grid={"seq_size": [12, 6]}, n_windows=1)
    assert best == {"seq_size": 12}
    skipped = table.set_index("seq_size").loc[6]
    assert np.isnan(skipped["mase"]) and skipped["skipped"] == "seasonal_base needs seq_size >= season (12)"


def test_unknown_settings_are_refused():
    with pytest.raises(SeriesValidationError, match=r"cannot tune \['hidden'\]"):
        tune(Forecaster(h=6), series(), grid={"hidden": [1]})
    with pytest.raises(SeriesValidationError, match=r"cannot tune \['freq'\]: not Forecaster model settings"):
        tune(Forecaster(h=6), series(), grid={"freq": ["D", "W"]})


def test_default_grid_tries_the_books_settings_with_windows_the_series_hold():
    books = {"hidden_dim": [32, 64, 128], "steps": [500, 1000]}
    assert default_grid(6, 12) == {**books, "seq_size": [18, 24]}  # a season plus h, and two seasons
    assert default_grid(24, 12) == {**books, "seq_size": [48]}  # two horizons when h is the longer
    assert default_grid(6, 12, max_seq=20) == {**books, "seq_size": [18, 20]}
    assert default_grid(6, 12, max_seq=0) == default_grid(6, 12)  # series too short to cap anything: the cap is ignored
    assert longest_window(to_panel(series(60)), 6, n_windows=2) == 60 - 3 * 6


def test_series_with_no_history_before_the_tuning_cutoffs_get_the_backtests_message_before_any_training(monkeypatch):
    monkeypatch.setattr(Forecaster, "fit", lambda *_: pytest.fail("trained a candidate"))
    with pytest.raises(SeriesValidationError, match=r"^1 series are too short for 2 windows of h=2 every 2 steps: they need 5 points .*, e.g. \[\('y', 4\)\]"):
        tune(Forecaster(h=2), series(4).rename("y"), grid={"hidden_dim": [4]}, n_windows=2)
