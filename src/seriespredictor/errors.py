"""The library's exception types: each subclasses a built-in so plain ``except ValueError`` works."""

from __future__ import annotations


class SeriesValidationError(ValueError):
    """Bad input data or argument: the message names the culprit, the value and the fix."""

    def __init__(self, message: str = "", *, argument: str | None = None):
        super().__init__(message)
        self.argument = argument  # the refused argument's name, where one argument alone is at fault


class ModelFileError(ValueError):
    """A model file that is missing, damaged, foreign or from a newer format."""


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before ``fit`` (the scikit-learn convention)."""


class TrainingDivergedError(RuntimeError):
    """The training loss became NaN or infinite."""
