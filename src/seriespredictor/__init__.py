"""seriespredictor: LSTM time-series forecasting on PyTorch."""

__version__ = "0.1.0"

from .errors import ModelFileError, NotFittedError, SeriesValidationError, TrainingDivergedError
from .predictor import SeriesPredictor

__all__ = [
    "ModelFileError",
    "NotFittedError",
    "SeriesPredictor",
    "SeriesValidationError",
    "TrainingDivergedError",
    "__version__",
]
