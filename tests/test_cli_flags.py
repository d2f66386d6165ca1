"""The CLI's model and data flags come from the signatures and docstrings of ``Forecaster`` and
``to_panel``: every default, type and help text below is read from them, never copied."""

import argparse
import functools
import inspect
import re

import pytest

from seriespredictor import Forecaster
from seriespredictor.cli import main
from seriespredictor.cli.commands import _forecaster
from seriespredictor.cli.flags import add_parameters, param_docs
from seriespredictor.cli.parser import build_parser, commands
from seriespredictor.data import AGGREGATIONS, FILL_METHODS, to_panel
from seriespredictor.network import HEADS
from seriespredictor.settings import PRECISIONS

# The flags each command has today: their names are the CLI's interface.
MODEL = ["--seq-size", "--hidden-dim", "--num-layers", "--head", "--steps", "--batch-size", "--micro-batch-size", "--lr",
         "--ensemble", "--time-budget", "--season", "--seed", "--threads", "--device", "--precision"]
DATA = ["--id-col", "--time-col", "--target-col", "--time-format", "--freq", "--fill-missing", "--aggregate-duplicates"]
EXPOSED = [(command, flag, Forecaster) for command in ("forecast", "backtest", "fit") for flag in MODEL]
EXPOSED += [("fit", flag, Forecaster) for flag in ("--checkpoint-dir", "--checkpoint-every")]
EXPOSED += [(command, flag, to_panel) for command in ("forecast", "backtest", "fit") for flag in DATA]


@functools.cache
def flags(command: str) -> dict[str, argparse.Action]:
    return {a.option_strings[-1]: a for a in commands(build_parser())[command]._actions if a.option_strings}


def entry(func, name: str) -> str:
    """The first line of ``name``'s entry in the docstring's Args section, without backticks."""
    return re.search(rf"^ +{name}: (.*)$", inspect.getdoc(func), flags=re.M)[1].replace("``", "")


@pytest.mark.parametrize("command,flag,func", EXPOSED)
def test_every_flag_has_the_signature_default_and_the_docstring_help(command, flag, func):
    name = flag[2:].replace("-", "_")
    action = flags(command)[flag]
    assert action.dest == name
    assert action.default == inspect.signature(func).parameters[name].default
    assert action.help.replace("%%", "%").startswith(entry(func, name))


@pytest.mark.parametrize("flag", DATA)
def test_the_data_flags_read_as_the_forecaster_reads(flag):
    name = flag[2:].replace("-", "_")
    if name in inspect.signature(Forecaster).parameters:
        assert inspect.signature(Forecaster).parameters[name].default == inspect.signature(to_panel).parameters[name].default


@pytest.mark.parametrize("command,flag,choices", [
    ("forecast", "--head", HEADS), ("fit", "--precision", PRECISIONS),
    ("backtest", "--fill-missing", FILL_METHODS), ("fit", "--aggregate-duplicates", AGGREGATIONS),
])
def test_a_wrong_choice_is_one_line_naming_the_flag_and_its_choices(command, flag, choices, capsys):
    assert tuple(flags(command)[flag].choices) == choices
    with pytest.raises(SystemExit) as e:
        main([command, *(["d.csv", "--out", "m"] if command == "fit" else []), flag, "sideways"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.splitlines()) == 1
    assert re.match(rf"seriespredictor: error: argument {flag}: invalid choice: 'sideways' \(choose from ", err), err
    assert all(c in err for c in choices)


@pytest.mark.parametrize("argv,given", [
    (["fit", "d.csv", "--out", "m", "--hidden-dim", "8", "--head", "recursive", "--checkpoint-every", "7"],
     dict(hidden_dim=8, head="recursive", checkpoint_every=7)),
    (["backtest", "--refit", "--fill-missing", "zero", "--seed", "0"], dict(fill_missing="zero", seed=0)),  # --refit is the backtest's
    (["forecast", "--quiet"], dict(progress=False)),
])
def test_the_forecaster_takes_the_flags_given_and_its_own_defaults(argv, given):
    model = _forecaster(build_parser().parse_args(argv), 5)
    assert model.get_params() == Forecaster(h=5, **{"progress": True, **given}).get_params()


def toy(*, count: int = 3, rate: float | None = None, mode: str = "a", name=None, flag: bool = False):
    """A function to build flags from.

    Args:
        count: how many; a text on
            two lines.
        rate, mode: one text for two.
        name: 50% of ``names``.
        flag: no flag type.
    """


def test_flags_follow_the_signature_and_the_docstring():
    assert param_docs(toy) == {"count": "how many; a text on two lines.", "rate": "one text for two.", "mode": "one text for two.",
                               "name": "50% of ``names``.", "flag": "no flag type."}
    p = argparse.ArgumentParser()
    add_parameters(p, toy, ["count", "rate", "mode", "name"], choices={"mode": ("a", "b")})
    assert vars(p.parse_args([])) == {"count": 3, "rate": None, "mode": "a", "name": None}
    assert vars(p.parse_args(["--count", "2", "--rate", "0.5", "--mode", "b", "--name", "x"])) == dict(count=2, rate=0.5, mode="b", name="x")
    text = " ".join(p.format_help().split())
    assert "--count COUNT how many; a text on two lines. (default: 3)" in text
    assert "--rate RATE one text for two. --mode {a,b} one text for two. (default: a)" in text
    assert "--name NAME 50% of names." in text
    for bad in (["--count", "0"], ["--rate", "-1"], ["--mode", "c"], ["--name", " "]):
        with pytest.raises(SystemExit):
            p.parse_args(bad)
    with pytest.raises(TypeError, match="no flag type for flag"):
        add_parameters(argparse.ArgumentParser(), toy, ["flag"])


def test_a_level_with_more_digits_than_its_column_name_is_refused_before_training(capsys):
    with pytest.raises(SystemExit) as stop:  # argparse's exit, before anything is read
        main(["forecast", "--level", "99.9999999", "--steps", "5"])
    assert stop.value.code == 2
    assert "--level: '99.9999999' has more digits than its column name shows (100); round it, e.g. to 99.9999" in capsys.readouterr().err
