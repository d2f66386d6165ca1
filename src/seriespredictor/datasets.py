"""Small data shipped inside the package, so examples and the default command need no download."""

from __future__ import annotations

from importlib import resources

import pandas as pd


def airline_passengers_path():
    """Path of the bundled CSV (``Date,Passengers``; monthly, 1949-01..1960-12)."""
    return resources.files("seriespredictor") / "data" / "airline_passengers.csv"


def load_airline_passengers() -> pd.Series:
    """Box & Jenkins' international airline passengers (thousands), monthly 1949-1960.

    Returns:
        A Series named ``Passengers`` with a month-start DatetimeIndex (144 values).
    """
    with resources.as_file(airline_passengers_path()) as path:
        frame = pd.read_csv(path)
    index = pd.DatetimeIndex(pd.to_datetime(frame["Date"], format="%Y-%m"), freq="MS", name="Date")
    return pd.Series(frame["Passengers"].to_numpy(dtype=float), index=index, name="Passengers")
