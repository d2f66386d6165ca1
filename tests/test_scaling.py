from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seriespredictor.scaling import Scaler, log_flags, mean_std

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("method", ["standard", "minmax", "none"])
@given(x=arrays(np.float64, st.integers(1, 50), elements=finite))
@settings(max_examples=50, deadline=None)
def test_inverse_undoes_transform(method, x):
    s = Scaler.fit(x, method)
    np.testing.assert_allclose(s.inverse(s.transform(x)), x, rtol=1e-9, atol=1e-6)
    assert np.all(np.isfinite(s.transform(x)))


def test_constant_series_scales_to_zeros_not_nan():
    s = Scaler.fit(np.full(10, 5.0), "standard")
    assert s.scale[0] == pytest.approx(5e-3)  # a thousandth of its size: errors on it stay small in its units
    assert Scaler.fit(np.zeros(4), "standard").scale[0] == 1.0
    assert np.array_equal(s.transform(np.full(3, 5.0)), np.zeros(3))


@pytest.mark.parametrize("x", [1e12 + np.arange(5.0), 1e20 + 1e5 * np.arange(5.0)], ids=["1e12", "1e20-moves-of-a-few-ulps"])
def test_huge_but_close_values_keep_their_spread(x):
    z = Scaler.fit(x, "standard").transform(x)
    assert np.std(z) == pytest.approx(1.0, rel=1e-2)  # 1e20 + 1e5 k holds only a few ulps of 1e20 per step


def test_log_auto_leaves_series_that_barely_move_relative_to_their_size():
    values = np.r_[1e20 + 1e5 * np.arange(5.0), np.full(3, 4.0), [1.0, 2.0, 3.0]]
    panel = SimpleNamespace(values=values, offsets=np.array([0, 5, 8, 11]), ids=["huge", "constant", "moves"])
    assert log_flags(panel, "auto").tolist() == [False, False, True]  # the log would round the first one's moves away
    assert log_flags(panel, True).tolist() == [True, True, True]


def test_statistics_per_feature_and_round_trip_through_dict():
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    s = Scaler.fit(x, "minmax", axis=0)
    assert s.shift.tolist() == [1.0, 10.0] and s.scale.tolist() == [2.0, 20.0]
    t = Scaler.from_dict(s.to_dict())
    assert np.array_equal(t.transform(x), s.transform(x))


def test_unknown_method():
    with pytest.raises(ValueError, match="scaler='robust' is not one of"):
        Scaler.fit([1.0], "robust")


def test_statistics_of_values_near_the_float_limit_do_not_overflow():
    x = np.array([1e300, -1.5e300, 1.7e308, -1.7e308, 3.0])
    s = Scaler.fit(x, "standard")
    assert np.isfinite(s.shift).all() and np.isfinite(s.scale).all() and s.scale[0] > 1e307
    assert s.shift[0] == pytest.approx(np.mean(x / 1e300) * 1e300)
    rows = Scaler.fit(np.array([[1e300, -1e300], [2.0, 4.0]]), "standard", axis=1)
    assert rows.shift.tolist() == [0.0, 3.0] and rows.scale.tolist() == [1e300, 1.0]


def test_per_series_statistics_come_from_each_training_part_in_one_pass():
    values = np.r_[np.arange(1.0, 11.0), np.full(5, 3.0), [1e300, -1e300, 5e299, 7.0], np.linspace(-1, 1, 6)]
    offsets = np.array([0, 10, 15, 19, 25])
    train_len = np.array([8, 5, 3, 6])
    log = np.array([True, False, False, False])
    s = Scaler.fit_series(values, offsets, train_len, log)
    for i in range(4):
        part = values[offsets[i] : offsets[i] + train_len[i]]  # the last points of series 0 and 2 are not seen
        mean, std = mean_std(np.log(part) if log[i] else part)
        assert s.shift[i] == pytest.approx(mean, rel=1e-12)
        assert s.scale[i] == pytest.approx(std if i != 1 else 3e-3, rel=1e-12)  # series 1 is a constant
    rows = np.array([0, 2])
    z = s.at(rows).transform(np.array([[1.0, 2.0], [1e300, 0.0]]))
    np.testing.assert_allclose(z[0], (np.log([1.0, 2.0]) - s.shift[0]) / s.scale[0], rtol=1e-12)
    np.testing.assert_allclose(z[1], (np.array([1e300, 0.0]) - s.shift[2]) / s.scale[2], rtol=1e-12)
    np.testing.assert_allclose(s.at(rows).inverse(z), [[1.0, 2.0], [1e300, 0.0]], rtol=1e-12, atol=1e-12)
