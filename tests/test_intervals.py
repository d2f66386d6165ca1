import numpy as np
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
