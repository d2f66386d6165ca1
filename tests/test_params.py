import numpy as np
import pytest

from seriespredictor import Forecaster, Naive, SeriesValidationError
from seriespredictor.params import MAX_HORIZON, horizon_arg, integer_arg, is_integer

SERIES = np.arange(30.0)


@pytest.mark.parametrize("h", [True, False, np.True_, np.False_])
def test_the_horizon_refuses_bools_with_one_message(h):
    message = rf"^h={h!r} must be a positive integer \(at most {MAX_HORIZON}\)$"
    with pytest.raises(SeriesValidationError, match=message):
        horizon_arg(h)
    with pytest.raises(SeriesValidationError, match=message):
        Naive().fit(SERIES).predict(h)
    with pytest.raises(SeriesValidationError, match=message):
        Forecaster(h=h).fit(SERIES)


@pytest.mark.parametrize("h", [1, np.int64(7), MAX_HORIZON])
def test_the_horizon_is_a_python_int(h):
    assert horizon_arg(h) == h and type(horizon_arg(h)) is int


@pytest.mark.parametrize("v,ok", [(1, True), (np.int32(5), True), (0, False), (11, False), (True, False), (np.True_, False),
                                  (2.0, False), ("3", False), (None, False)])
def test_an_integer_in_range_is_an_int_or_numpy_int_and_never_a_bool(v, ok):
    assert is_integer(v, 1, 10) is ok
    if not ok:
        with pytest.raises(SeriesValidationError, match=rf"n={v!r} must be a positive integer \(at most 10\)"):
            integer_arg("n", v, 1, 10)
