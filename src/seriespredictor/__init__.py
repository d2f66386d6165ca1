"""seriespredictor: LSTM time-series forecasting on PyTorch.

The public names are imported on first use, so the ``seriespredictor`` command can take Ctrl-C
and SIGTERM cleanly while torch and pandas are still loading.
"""

__version__ = "0.1.0"

_MODULES = {
    "Drift": "baselines",
    "Forecaster": "forecaster",
    "Mean": "baselines",
    "MissingExtraError": "errors",
    "ModelFileError": "errors",
    "Naive": "baselines",
    "Naive2": "baselines",
    "NotFittedError": "errors",
    "SeasonalNaive": "baselines",
    "SeriesPredictor": "predictor",
    "SeriesValidationError": "errors",
    "TrainingDivergedError": "errors",
    "load_airline_passengers": "datasets",
}

__all__ = [*_MODULES, "__version__"]


def __getattr__(name: str):
    if name not in _MODULES:
        raise AttributeError(f"module 'seriespredictor' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{_MODULES[name]}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
