"""scikit-learn's ``get_params``/``set_params`` without the dependency (its develop.rst shape)."""

from __future__ import annotations


class Params:
    """Estimators list their constructor arguments in ``_PARAMS``."""

    _PARAMS: tuple[str, ...] = ()

    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in self._PARAMS}

    def set_params(self, **params):
        for k, v in params.items():
            if k not in self._PARAMS:
                raise ValueError(f"invalid parameter {k!r} for {type(self).__name__}; valid parameters are {self._PARAMS}")
            setattr(self, k, v)
        return self
