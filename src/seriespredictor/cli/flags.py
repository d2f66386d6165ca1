"""Flags built from a function's signature and docstring, as scikit-learn reads parameters from
the signature: a flag's default, type and help are the parameter's own, kept in one place.

``add_parameters(group, Forecaster, ["hidden_dim", "lr"])`` adds ``--hidden-dim`` and ``--lr``
with the constructor's defaults, a type from each annotation (int, float or str) and the text of
the docstring's ``Args:`` entry as help.
"""

from __future__ import annotations

import inspect
import re
import typing

from ..recipe import CHOSEN
from .argtypes import COUNT, positive_float, text

TYPES = {int: COUNT, float: positive_float, str: text, inspect.Parameter.empty: text}


def param_docs(obj) -> dict[str, str]:
    """Each parameter's text in the ``Args:`` section of ``obj``'s docstring, on one line; an
    entry naming several parameters (``a, b: ...``) is the text of each."""
    doc = inspect.getdoc(obj) or ""
    docs, names = {}, []
    for line in doc.partition("\nArgs:\n")[2].splitlines():
        if line and not line[0].isspace():  # the next section
            break
        entry = re.match(r" {4}(\w+(?:, \w+)*): (.*)", line)
        if entry:
            names = entry[1].split(", ")
            docs.update(dict.fromkeys(names, entry[2]))
        elif line.strip():
            docs.update({name: f"{docs[name]} {line.strip()}" for name in names})
    return docs


def _type(name: str, param: inspect.Parameter) -> dict:
    """The argparse ``type`` of a parameter annotated int, float or str (or ``X | None``)."""
    kinds = [k for k in typing.get_args(param.annotation) or (param.annotation,) if k is not type(None)]
    if len(kinds) != 1 or kinds[0] not in TYPES:
        raise TypeError(f"no flag type for {name}: {param.annotation}; give it a parser or choices")
    return {"type": TYPES[kinds[0]]}


def _default(name: str, default) -> str:
    if default is not None:
        return f"(default: {default})"
    return "(default: chosen from the data)" if name in CHOSEN else ""  # else the docstring says what None does


def add_parameters(group, func, names, *, parsers=None, choices=None, notes=None) -> None:
    """Add ``--name`` for each of ``names``, a parameter of ``func`` (a class: its constructor).

    ``parsers`` and ``choices`` map a name to its argparse type or its allowed values where the
    annotation does not tell them; ``notes`` replaces a flag's "(default: ...)" after its help.
    """
    parsers, choices, notes = parsers or {}, choices or {}, notes or {}
    signature = inspect.signature(func, eval_str=True)
    docs = param_docs(func)
    for name in names:
        param = signature.parameters[name]
        default = None if param.default is param.empty else param.default
        if name in choices:
            kind = {"choices": choices[name]}
        else:
            kind = {"type": parsers[name]} if name in parsers else _type(name, param)
        doc = docs[name].replace("``", "").replace("%", "%%")  # as typed on a command line; % escaped for argparse
        help = f"{doc} {notes[name] if name in notes else _default(name, default)}".rstrip()
        group.add_argument("--" + name.replace("_", "-"), default=default, help=help, **kind)
