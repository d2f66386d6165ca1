"""seriespredictor: LSTM time-series forecasting on PyTorch."""

__version__ = "0.1.0"

from .baselines import Drift, Mean, Naive, Naive2, SeasonalNaive
from .datasets import load_airline_passengers
from .errors import ModelFileError, NotFittedError, SeriesValidationError, TrainingDivergedError
from .forecaster import Forecaster
from .predictor import SeriesPredictor

__all__ = [
    "Drift",
    "Forecaster",
    "Mean",
    "ModelFileError",
    "Naive",
    "Naive2",
    "NotFittedError",
    "SeasonalNaive",
    "SeriesPredictor",
    "SeriesValidationError",
    "TrainingDivergedError",
    "__version__",
    "load_airline_passengers",
]
