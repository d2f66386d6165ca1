"""Rules for the values of a model's ``config.json``: each a description for the message and a
test. Loaders check a table of them (dotted keys) before building anything from the file.
"""

from __future__ import annotations

import math

from .errors import ModelFileError
from .params import is_integer


class Field:
    """One rule for a config value: a description for the message and a test."""

    def __init__(self, description: str, test):
        self.description, self.test = description, test

    def ok(self, value) -> bool:
        try:
            return bool(self.test(value))
        except (TypeError, ValueError, OverflowError, KeyError):  # what parsers of bad values raise
            return False


def _is_number(v) -> bool:
    return type(v) in (int, float) and math.isfinite(v)


def integer(lo: int = 1, hi: int = 2**31 - 1) -> Field:
    return Field(f"an integer in [{lo}, {hi}]", lambda v: is_integer(v, lo, hi))


def number(lo: float = -math.inf, hi: float = math.inf, *, low_open: bool = False) -> Field:
    low = "(" if low_open else "["
    return Field(f"a finite number in {low}{lo}, {hi}]",
                 lambda v: _is_number(v) and (v > lo if low_open else v >= lo) and v <= hi)


def one_of(*choices) -> Field:
    return Field(f"one of {choices}", lambda v: any(type(v) is type(c) and v == c for c in choices))


def optional(field: Field) -> Field:
    return Field(f"null or {field.description}", lambda v: v is None or field.ok(v))


def list_of(field: Field, length: int | None = None) -> Field:
    size = f" of length {length}" if length is not None else ""
    return Field(f"a list{size}, each value {field.description}",
                 lambda v: type(v) is list and (length is None or len(v) == length) and all(field.ok(x) for x in v))


TEXT = Field("a non-empty string", lambda v: type(v) is str and v != "")
BOOL = Field("true or false", lambda v: type(v) is bool)
DICT = Field("an object", lambda v: type(v) is dict)
LOSS_HISTORY = list_of(Field("a [step, loss] pair", lambda v: type(v) is list and len(v) == 2 and type(v[0]) is int
                             and _is_number(v[1])))


def check_fields(config: dict, rules: dict[str, Field], path) -> None:
    """Check ``config`` against ``rules`` (dotted keys such as ``"network.hidden_dim"``).

    Raises:
        ModelFileError: naming the file, the field, its value and what it must be.
    """
    for key, rule in rules.items():
        value = config
        for part in key.split("."):
            if type(value) is not dict or part not in value:
                raise ModelFileError(f"{str(path)!r}: config.json has no field {key!r}; the file is damaged, save the model again")
            value = value[part]
        if not rule.ok(value):
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            raise ModelFileError(
                f"{str(path)!r}: config.json field {key!r} = {shown} must be {rule.description}; "
                "the file is damaged or was edited, save the model again"
            )
