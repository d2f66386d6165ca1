"""Argument types: each rejects a bad value before any work, in one line naming the value."""

from __future__ import annotations

import argparse
import math
import re

import pandas as pd

from ..params import integer_kind, is_integer, unlabelled


def _number(text: str, kind):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def int_in(low: int, high: int):
    def parse(text: str) -> int:
        value = _number(text, int)
        if not is_integer(value, low, high):
            raise argparse.ArgumentTypeError(f"{text!r} must be {integer_kind(low, high)}")
        return value
    return parse


COUNT = int_in(1, 10**9)  # the estimators check their own upper bounds


def positive_float(text: str) -> float:
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def percent(text: str) -> float:
    value = _number(text, float)
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"{text!r} must be a percentage between 0 and 100, e.g. 80 or 95")
    if unlabelled(value):  # as levels_arg: a column name must say which level it is
        raise argparse.ArgumentTypeError(f"{text!r} {unlabelled(value)}")
    return value


def text(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("an empty value; give a name")
    return value


def freq(value: str):
    """'obs', a positive integer step, or a pandas frequency alias such as h, D or MS."""
    if value == "obs":
        return value
    if value.lstrip("+-").isdigit():
        return int_in(1, 10**12)(value)
    try:
        pd.tseries.frequencies.to_offset(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a frequency; use an alias such as h, D, W, MS, a positive integer step, or obs"
        ) from None
    return value


def device(value: str) -> str:
    if not re.fullmatch(r"cpu|cuda(:\d+)?", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not cpu, cuda or cuda:N")
    import torch

    if value != "cpu" and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError(f"{value!r} but no CUDA GPU is available here; use --device cpu")
    return value


def history(value: str):
    return None if value == "all" else int_in(1, 10**9)(value)
