import inspect
import warnings

import numpy as np
import pytest

from seriespredictor import Forecaster, Naive, SeriesPredictor, SeriesValidationError
from seriespredictor.params import MAX_HORIZON, Params, horizon_arg, integer_arg, is_integer, levels_arg

SERIES = np.arange(30.0)


class Estimator(Params):
    def __init__(self, a: int, b: str = "x", *, c: float | None = None):
        self.a, self.b, self.c = a, b, c


@pytest.mark.parametrize("cls", [Forecaster, SeriesPredictor, Estimator])
def test_the_parameters_are_the_constructor_arguments_in_order(cls):
    names = list(inspect.signature(cls).parameters)
    required = {n: 1 for n, p in inspect.signature(cls).parameters.items() if p.default is inspect.Parameter.empty}
    assert list(cls(**required).get_params()) == names


def test_set_params_sets_a_known_name_and_refuses_an_unknown_one():
    est = Estimator(1)
    assert est.set_params(b="y", c=0.5).get_params() == {"a": 1, "b": "y", "c": 0.5}
    with pytest.raises(SeriesValidationError, match=r"invalid parameter 'd' for Estimator; valid parameters are \('a', 'b', 'c'\)"):
        est.set_params(d=1)


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


def test_a_level_its_column_name_cannot_tell_apart_is_refused_and_fractions_are_flagged():
    assert levels_arg([80, 95.5]) == [80, 95.5]
    with pytest.raises(SeriesValidationError, match=r"level=99\.9999999 has more digits than its column name shows \(100\); round it, "
                                                    r"e\.g\. to 99\.9999"):
        levels_arg([80, 99.9999999])  # its columns would read "-lo-100"
    with pytest.warns(UserWarning, match=r"level=\[0\.8, 0\.95\] is in percent: 0\.8%, 0\.95% intervals; for 80%, 95% pass level=\[80, 95\]"):
        assert levels_arg([0.8, 0.95]) == [0.8, 0.95]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert levels_arg([]) == []  # no levels: nothing to warn of
