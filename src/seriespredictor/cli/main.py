"""``main``: parse, run the command, and turn every expected failure into one line and an exit
status (2 for bad input, 130 and 143 for Ctrl-C and SIGTERM, 141 for a closed pipe)."""

from __future__ import annotations

import argparse
import errno
import os
import re
import signal
import sys
import threading
import warnings

from ..errors import (
    MissingExtraError,
    ModelFileError,
    NotFittedError,
    SeriesValidationError,
    TrainingDivergedError,
    interrupt_exit,
    message,
    out_of_memory,
    raise_terminated,
)
from .commands import _cmd_backtest, _cmd_export, _cmd_fit, _cmd_forecast, _cmd_predict, _cmd_serve, _cmd_update
from .outputs import _warn
from .parser import build_parser, check_combinations, commands


def _cli_words(message: str, flags: dict[str, str]) -> str:
    """Say ``--fill-missing ffill, interpolate or zero`` where the library says
    ``fill_missing='ffill', 'interpolate' or 'zero'``; drop its ``(CLI: ...)`` and ``; CLI: ...`` asides."""
    message = re.sub(r" \(CLI: [^)]*\)|; CLI: [^)]*(?=\))", "", message)

    def swap(m: re.Match) -> str:
        flag = flags.get(m.group(1))
        if flag is None:
            return m.group(0)
        value = (m.group(2) or "").strip("'\"")
        alternatives = re.sub(r"'([^']*)'", r"\1", m.group(3))  # the other values, as typed on a command line
        return flag + alternatives if value in ("", "True") else f"{flag} {value}{alternatives}"

    return re.sub(r"\b([a-z_]+)=('[^']*'|\"[^\"]*\"|[^\s,;)]+)?((?:(?:, | or )'[^']*')*)", swap, message)


def _os_message(e: OSError) -> str:
    hint = {errno.ENOSPC: "; free some disk space", errno.EFBIG: "; the file size limit is reached",
            errno.EACCES: "; choose a place you can write to", errno.EROFS: "; choose a place you can write to",
            errno.ENOENT: "; check the path"}.get(e.errno, "")
    return f"{message(e)}{hint}"


def _flags(parser: argparse.ArgumentParser) -> dict[str, str]:
    return {a.dest: a.option_strings[-1] for p in commands(parser).values() for a in p._actions if a.option_strings}


def _fail(message: str) -> int:
    print(f"seriespredictor: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    # SIGTERM raised like Ctrl-C, in the main thread, unless the command was started ignoring it
    sets_sigterm = threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN
    previous = signal.signal(signal.SIGTERM, raise_terminated) if sets_sigterm else None
    parser = build_parser()
    shown = set()

    def show_once(message, *_):  # one line, as the CLI's own; once, though forecast calibrates twice
        if str(message) not in shown:
            shown.add(str(message))
            _warn(str(message))

    with warnings.catch_warnings():
        warnings.showwarning = show_once
        return _run(parser, argv, sets_sigterm, previous)


def _run(parser, argv, sets_sigterm: bool, previous) -> int:
    try:
        args = parser.parse_args(argv)
        check_combinations(commands(parser)[args.command], args)
        command = {"forecast": _cmd_forecast, "backtest": _cmd_backtest, "fit": _cmd_fit, "predict": _cmd_predict,
                   "update": _cmd_update, "export": _cmd_export, "serve": _cmd_serve}[args.command]
        return command(args)
    except (SeriesValidationError, ModelFileError, NotFittedError, TrainingDivergedError, MissingExtraError) as e:
        return _fail(_cli_words(str(e), _flags(parser)))
    except BrokenPipeError:  # the reader of our output left (as `| head` does): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except OSError as e:  # FileExistsError included: "already exists; pass overwrite=True"
        return _fail(_cli_words(_os_message(e), _flags(parser)))
    except (MemoryError, RuntimeError) as e:  # torch's failed allocation is a RuntimeError
        if not out_of_memory(e):
            raise
        text = str(e) if isinstance(e, MemoryError) and str(e) else "not enough memory; use a smaller --seq-size, --hidden-dim, --batch-size or --chunk-size"
        return _fail(_cli_words(text, _flags(parser)))
    except KeyboardInterrupt as e:
        return interrupt_exit(e)
    finally:
        if sets_sigterm:
            signal.signal(signal.SIGTERM, previous)
