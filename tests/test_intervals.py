import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from seriespredictor import SeriesValidationError
from seriespredictor.intervals import conformal_quantile, conformal_widths


def test_conformal_quantile_has_the_finite_sample_correction():
    errors = np.arange(1.0, 20.0)  # 19 errors
    assert conformal_quantile(errors, 90) == 18.0  # ceil(20 * 0.9) = 18th smallest
    assert conformal_quantile(errors, 99) == 19.0  # capped at the largest


def test_widths_per_step_scale_with_each_series_spread():
    rng = np.random.default_rng(0)
    spread = np.r_[np.full(20, 1.0), np.full(20, 10.0)]
    residuals = rng.normal(0, 1, (40, 3)) * spread[:, None]  # noise proportional to the spread
    w = conformal_widths(residuals, spread, 90, 3)
    assert w.shape == (40, 3)
    np.testing.assert_allclose(w[20:], 10 * w[:20])
    for k in range(3):
        inside = np.abs(residuals[:, k]) <= w[:, k]
        assert inside.mean() >= 0.9


def test_longer_horizons_grow_with_the_square_root():
    w = conformal_widths(np.ones((3, 4)), np.ones(3), 80, 16)
    np.testing.assert_allclose(w[0, 3:], np.sqrt(np.arange(4, 17) / 4))


def test_level_must_be_a_percentage():
    with pytest.raises(SeriesValidationError, match="level=150 must be a percentage"):
        conformal_widths(np.ones((3, 4)), np.ones(3), 150, 4)


def test_too_few_errors_for_the_level_warn_instead_of_silently_capping():
    residuals, spread = np.arange(1.0, 7.0)[None, :], np.ones(1)  # one series, 6 held-out errors
    with pytest.warns(RuntimeWarning, match=r"95% intervals need at least 19 held-out errors but there are 6: .* about 86%"):
        wide = conformal_widths(residuals, spread, 95, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (conformal_widths(residuals, spread, 80, 6) == wide).all()  # 6 errors are enough for 80%


def test_the_cli_prints_library_warnings_as_one_line(tmp_path):
    t = np.arange(48)
    pd.DataFrame({"ds": pd.date_range("2000-01", periods=48, freq="MS"), "y": 10 + np.sin(t)}).to_csv(tmp_path / "s.csv", index=False)
    r = subprocess.run([sys.executable, "-m", "seriespredictor", "forecast", str(tmp_path / "s.csv"), "--h", "4", "--level", "95",
                        "--steps", "5", "--out", str(tmp_path / "o"), "--quiet"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert any(line.startswith("warning: 95% intervals need at least 19 held-out errors but there are 4: ") for line in r.stderr.splitlines())
    assert "Warning" not in r.stderr  # no file:line or source line of the warnings module
