"""scikit-learn's ``get_params``/``set_params`` without the dependency (its develop.rst shape),
and the checks of constructor arguments that every estimator's ``_check_settings`` uses."""

from __future__ import annotations

import inspect
import math
import os
import re
import warnings
from pathlib import Path

import numpy as np

from .errors import SeriesValidationError

MAX_HORIZON = 10**5  # 69 days of minutes, 11 years of hours: a larger h in a model file is damage
MAX_SEASON, MAX_SEQ_SIZE = 10**6, 10**7  # what a saved model may hold: a model fitted within them loads back
MAX_STEPS = 10**7  # training steps, eval and checkpoint intervals: past this a fit would run for weeks
MAX_THREADS = 1024
MAX_BATCH = 2**20  # windows per step
MAX_SEED = 2**32 - 1  # numpy's seed range; seed + member offsets stay far inside torch's 64 bits


class Params:
    """``get_params``/``set_params`` over the constructor's arguments, each stored as the
    attribute of its name; the names come from the signature, as scikit-learn's do."""

    @classmethod
    def _get_param_names(cls) -> tuple[str, ...]:
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        return tuple(p.name for p in list(inspect.signature(cls.__init__).parameters.values())[1:] if p.kind in kinds)

    def _set_params_from(self, arguments: dict) -> None:
        """Keep each constructor argument under its name (pass the constructor's ``locals()``):
        nothing is validated or changed here, so ``get_params`` returns what was given."""
        for name in self._get_param_names():
            setattr(self, name, arguments[name])

    def get_params(self, deep: bool = True) -> dict:
        return {k: getattr(self, k) for k in self._get_param_names()}

    def set_params(self, **params):
        names = self._get_param_names()
        for k, v in params.items():
            if k not in names:
                raise SeriesValidationError(f"invalid parameter {k!r} for {type(self).__name__}; valid parameters are {names}")
            setattr(self, k, v)
        return self


def is_integer(v, lo: int, hi: int) -> bool:
    """Whether ``v`` is an integer (numpy's included, bools not) in ``[lo, hi]``."""
    return not isinstance(v, (bool, np.bool_)) and isinstance(v, (int, np.integer)) and bool(lo <= v <= hi)


def integer_kind(lo: int, hi: int, *, optional: bool = False) -> str:
    """What an integer in ``[lo, hi]`` is called in messages: "a positive integer (at most 10)"."""
    kind = {0: "a non-negative integer", 1: "a positive integer"}.get(lo, f"an integer of at least {lo}")
    return f"{kind}{' or None' if optional else ''} (at most {hi})"


def integer_arg(name: str, v, lo: int, hi: int, *, optional: bool = False) -> int | None:
    """``v`` as a Python int when it is an integer in ``[lo, hi]`` (or None when ``optional``)."""
    if optional and v is None:
        return None
    if not is_integer(v, lo, hi):
        raise SeriesValidationError(f"{name}={v!r} must be {integer_kind(lo, hi, optional=optional)}", argument=name)
    return int(v)


def horizon_arg(h, hi: int = MAX_HORIZON) -> int:
    """The horizon ``h`` (steps ahead) as a Python int in ``[1, hi]``; True and numpy bools are refused."""
    return integer_arg("h", h, 1, hi)


def check_int(est, name: str, lo: int, hi: int, *, optional: bool = False) -> None:
    """``est.name`` is an integer in ``[lo, hi]`` (or None when ``optional``); a numpy integer
    becomes a Python int, so torch and the saved config.json take it."""
    setattr(est, name, integer_arg(name, getattr(est, name), lo, hi, optional=optional))


def check_number(est, name: str, lo: float, hi: float, *, low_open: bool = False, optional: bool = False) -> None:
    """``est.name`` is a finite number in ``[lo, hi]`` (``(lo, hi]`` when ``low_open``), or None
    when ``optional``; a numpy number becomes a Python float."""
    v = getattr(est, name)
    if optional and v is None:
        return
    if not (is_real(v) and (v > lo if low_open else v >= lo) and v <= hi):
        kind = "a positive number" if (lo, low_open) == (0, True) else f"a number in [{lo:g}, {hi:g}]"
        limit = f" (at most {hi:g})" if math.isfinite(hi) and kind == "a positive number" else ""
        raise SeriesValidationError(f"{name}={v!r} must be {kind}{' or None' if optional else ''}{limit}", argument=name)
    setattr(est, name, float(v))


def is_real(v) -> bool:
    """A finite int or float (numpy's included), not a bool."""
    return (not isinstance(v, (bool, np.bool_)) and isinstance(v, (int, float, np.integer, np.floating))
            and math.isfinite(v))


def levels_arg(level) -> list:
    """``level=`` of predict and backtests as a list of distinct percentages: None or empty is
    none, one number is one level."""
    if level is None:
        return []
    values = sorted(level) if isinstance(level, (set, frozenset)) else level
    values = [values] if is_real(values) else values
    if not isinstance(values, (list, tuple, np.ndarray)) or not all(is_real(v) and 0 < v < 100 for v in values):
        raise SeriesValidationError(f"level={level!r} must be percentages strictly between 0 and 100, e.g. level=[80, 95]")
    for v in values:
        if unlabelled(v):
            raise SeriesValidationError(f"level={v!r} {unlabelled(v)}", argument="level")
    if len(values) and all(v < 1 for v in values):
        warnings.warn(f"level={level!r} is in percent: {', '.join(f'{v:g}%' for v in values)} intervals; for "
                      f"{', '.join(f'{100 * v:g}%' for v in values)} pass level=[{', '.join(f'{100 * v:g}' for v in values)}]",
                      UserWarning, stacklevel=3)
    return list(dict.fromkeys(int(v) if float(v).is_integer() else float(v) for v in values))


def unlabelled(level: float) -> str | None:
    """Why a level's column name (its six significant digits: "-lo-95") cannot say which level it
    is, with a rounded one to give instead; None when it can."""
    shown = float(f"{level:g}")
    if shown == level:
        return None
    rounded = shown if shown < 100 else math.floor(level * 1e4) / 1e4  # 99.9999999 shows as 100
    return f"has more digits than its column name shows ({level:g}); round it, e.g. to {rounded:g}"


def bool_arg(name: str, v) -> bool:
    if not isinstance(v, (bool, np.bool_)):
        raise SeriesValidationError(f"{name}={v!r} must be True or False")
    return bool(v)


def path_arg(name: str, v) -> Path:
    """``v`` as a Path when it is a non-empty str or os.PathLike of str."""
    if not (isinstance(v, (str, os.PathLike)) and isinstance(os.fspath(v), str) and os.fspath(v).strip()):
        raise SeriesValidationError(f"{name}={v!r} must be a non-empty path (a str or pathlib.Path)", argument=name)
    return Path(v)


def check_choice(est, name: str, choices: tuple) -> None:
    """``est.name`` is one of ``choices`` (same type: ``1`` is not ``True``); a numpy bool
    becomes a Python bool."""
    v = getattr(est, name)
    v = bool(v) if isinstance(v, np.bool_) else v
    if not any(type(v) is type(c) and v == c for c in choices):
        raise SeriesValidationError(f"{name}={v!r} is not one of {choices}", argument=name)
    setattr(est, name, v)


def check_device(est) -> None:
    """``est.device`` is "cpu", "cuda" or "cuda:N" with that GPU present."""
    import torch

    v = est.device
    if not (isinstance(v, str) and re.fullmatch(r"cpu|cuda(:\d+)?", v)):
        raise SeriesValidationError(f"device={v!r} is not 'cpu', 'cuda' or 'cuda:N'")
    if v != "cpu" and not torch.cuda.is_available():
        raise SeriesValidationError(f"device={v!r} but no CUDA GPU is available here; use device='cpu'")
    if v.startswith("cuda:") and int(v[5:]) >= torch.cuda.device_count():
        raise SeriesValidationError(f"device={v!r} but this machine has {torch.cuda.device_count()} GPU(s); use cuda:0 to cuda:{torch.cuda.device_count() - 1}")
