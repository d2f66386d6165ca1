"""The ``seriespredictor`` command: a thin layer over ``Forecaster`` and the baselines.

``parser`` builds the command line (its model and data flags from the signatures of
``Forecaster`` and ``to_panel``, see ``flags``), ``commands`` runs it, ``outputs`` and ``report``
write what it finds, and ``main`` turns every expected failure into one line.
"""

from .main import main
from .parser import EXAMPLES

__all__ = ["EXAMPLES", "main"]
