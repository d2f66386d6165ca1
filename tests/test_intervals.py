import math
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from seriespredictor import SeriesValidationError
from seriespredictor.intervals import calibration_windows, conformal_quantile, conformal_widths, too_few_errors


def test_conformal_quantile_has_the_finite_sample_correction():
    errors = np.arange(1.0, 20.0)  # 19 errors
    assert conformal_quantile(errors, 90) == 18.0  # ceil(20 * 0.9) = 18th smallest
    assert conformal_quantile(errors, 99) == 19.0  # capped at the largest


def test_calibration_windows_roll_through_the_held_out_part():
    assert calibration_windows(12, 12) == (3, 1, 12)  # val == h: one window, as before
    assert calibration_windows(36, 12) == (3, 9, 12)  # cutoffs 0, 3, ..., 24 points into it
    assert calibration_windows(5, 12) == (3, 1, 5)  # val < h: one window of val steps
    assert calibration_windows(10, 3) == (1, 8, 3)


def test_widths_per_step_are_in_units_of_each_series_spread():
    rng = np.random.default_rng(0)
    spread = np.r_[np.full(20, 1.0), np.full(20, 10.0)]
    residuals = rng.normal(0, 1, (40, 3, 3)) * spread[:, None, None]  # noise proportional to the spread
    w = conformal_widths(residuals, spread, 90, 3)  # 120 errors per step: a quantile per step
    assert w.shape == (3,)
    r = np.abs(residuals).reshape(120, 3) / np.repeat(spread, 3)[:, None]
    oracle = [np.sort(r[:, k])[math.ceil(121 * 0.9) - 1] for k in range(3)]
    np.testing.assert_allclose(w, oracle)


def test_widths_follow_the_errors_per_step_and_never_shrink_when_pooled():
    rng = np.random.default_rng(1)
    shrinking = rng.normal(0, 1, (200, 1, 6)) * np.linspace(2, 1, 6)  # errors smaller further ahead
    many = conformal_widths(shrinking, np.ones(200), 80, 6)  # a quantile per step: the widths follow them
    assert many[0] > 1.5 * many[-1]
    few = conformal_widths(shrinking[:3], np.ones(3), 80, 6)  # too few per step: a scale that never shrinks
    assert (np.diff(few) >= 0).all()


def random_walk_errors(rng, series: int, h: int, val: int):
    """Naive forecast errors of random walks: ``[S, J, V]`` on the calibration windows of the
    last ``val`` points before a test window, and ``[S, h]`` on that test window."""
    stride, windows, steps = calibration_windows(val, h)
    y = np.cumsum(rng.normal(size=(series, 10 + val + h)), 1)
    cuts = 10 + stride * np.arange(windows)
    calibration = np.stack([y[:, c : c + steps] - y[:, c - 1 : c] for c in cuts], 1)
    return calibration, y[:, -h:] - y[:, -h - 1 : -h]


def test_a_single_series_gets_several_windows_and_widths_that_grow():
    calibration, _ = random_walk_errors(np.random.default_rng(2), 1, 12, 36)
    assert calibration.shape == (1, 9, 12)
    w = conformal_widths(calibration, np.ones(1), 80, 12)
    assert (np.diff(w) > 0).all()  # a random walk's error grows with the step


@pytest.mark.parametrize("series, level", [(1, 80), (1, 90), (40, 90)])
def test_coverage_of_random_walks_is_close_to_nominal(series, level):
    rng = np.random.default_rng(3)
    covered = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 108 or more errors each: enough for these levels
        for _ in range(300):
            calibration, test = random_walk_errors(rng, series, 12, 36)
            covered.append(np.abs(test) <= conformal_widths(calibration, np.ones(series), level, 12))
    covered = np.array(covered)  # [run, S, h]
    assert level - 4 <= 100 * covered.mean() <= level + 4
    assert (100 * covered.mean(axis=(0, 1)) >= level - 8).all()  # on every step ahead, not only on average


def test_longer_horizons_grow_with_the_square_root():
    w = conformal_widths(np.ones((3, 1, 4)), np.ones(3), 80, 16)
    np.testing.assert_allclose(w[3:], np.sqrt(np.arange(4, 17) / 4))


def test_level_must_be_a_percentage():
    with pytest.raises(SeriesValidationError, match="level=150 must be a percentage"):
        conformal_widths(np.ones((3, 1, 4)), np.ones(3), 150, 4)


def test_too_few_errors_for_the_level_warn_instead_of_silently_capping():
    residuals, spread = np.arange(1.0, 7.0)[None, None, :], np.ones(1)  # one series, one window, 6 errors
    message = "95% intervals need at least 19 held-out errors but there are 6: they are as wide as the largest error and cover only about 86%"
    assert too_few_errors(6, 95).startswith(message) and too_few_errors(19, 95) is None
    with pytest.warns(RuntimeWarning, match=re.escape(message)):
        wide = conformal_widths(residuals, spread, 95, 6)
    assert (np.abs(residuals[0, 0]) <= wide).all()  # every error inside
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (conformal_widths(residuals, spread, 80, 6) <= wide).all()  # 6 errors are enough for 80%


def test_the_cli_prints_library_warnings_as_one_line_once(tmp_path):
    t = np.arange(24)  # too short to hold out the 19 errors a 95% interval needs
    pd.DataFrame({"ds": pd.date_range("2000-01", periods=24, freq="MS"), "y": 10 + np.sin(t)}).to_csv(tmp_path / "s.csv", index=False)
    r = subprocess.run([sys.executable, "-m", "seriespredictor", "forecast", str(tmp_path / "s.csv"), "--h", "4", "--level", "95",
                        "--steps", "5", "--ensemble", "1", "--out", str(tmp_path / "o"), "--quiet"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    # each distinct warning once (the holdout's model and the final one hold out different points)
    lines = [line for line in r.stderr.splitlines() if line.startswith("warning: 95% intervals need at least 19 held-out errors")]
    assert lines and len(lines) == len(set(lines))
    assert "Warning" not in r.stderr  # no file:line or source line of the warnings module
