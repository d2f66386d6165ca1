"""The library's exception types: each subclasses a built-in so plain ``except ValueError`` works."""

from __future__ import annotations

import sys


class SeriesValidationError(ValueError):
    """Bad input data or argument: the message names the culprit, the value and the fix."""

    def __init__(self, message: str = "", *, argument: str | None = None):
        super().__init__(message)
        self.argument = argument  # the refused argument's name, where one argument alone is at fault


class ModelFileError(ValueError):
    """A model file that is missing, damaged, foreign or from a newer format."""


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit`` (the scikit-learn convention)."""


class MissingExtraError(ImportError):
    """A feature needs a package of an optional extra that is not installed; the message names the install command."""


class TrainingDivergedError(RuntimeError):
    """The training loss became NaN or infinite."""


def out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is a failed allocation: a ``MemoryError``, or torch's ``RuntimeError`` ("can't
    allocate memory" on a CPU, ``torch.OutOfMemoryError`` on a GPU)."""
    text = str(error)
    return isinstance(error, MemoryError) or (isinstance(error, RuntimeError) and ("can't allocate memory" in text or "out of memory" in text))


def memory_error(settings: dict) -> MemoryError:
    """A ``MemoryError`` for a failed allocation, naming the ``settings`` that size it."""
    named = ", ".join(f"{k}={v}" for k, v in settings.items())
    return MemoryError(f"not enough memory to train with {named}; make one of them smaller")


def message(error: BaseException) -> str:
    """The one-line text of an error: for an ``OSError``, its reason and the path it names (without
    Python's "[Errno N]" prefix), else ``str(error)``."""
    if isinstance(error, OSError) and error.strerror:
        where = f"{str(error.filename)!r}: " if error.filename and str(error.filename) not in error.strerror else ""
        return f"{where}{error.strerror}"
    return str(error)


def first_sentence(error: BaseException) -> str:
    """The first line of an error's message, cut at a dangling "You might want to try:"."""
    text = str(error).strip().splitlines()[0].strip() if str(error).strip() else type(error).__name__
    return text.split(" You might want to try")[0].rstrip(" :.,")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C (see :func:`raise_terminated`) so that every cleanup for an
    interrupt runs."""


def raise_terminated(signum, frame):
    raise Terminated


def interrupt_exit(error: KeyboardInterrupt) -> int:
    """Say in one line how the command was stopped; its exit status (130 Ctrl-C, 143 SIGTERM)."""
    terminated = isinstance(error, Terminated)
    print(f"seriespredictor: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
    return 143 if terminated else 130
