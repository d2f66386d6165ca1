import inspect

import pytest

from seriespredictor import Forecaster, SeriesPredictor
from seriespredictor.errors import SeriesValidationError
from seriespredictor.params import Params


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
