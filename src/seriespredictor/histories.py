"""Histories given after the fit: how a fitted ``Forecaster`` reads them and scales them.

``predict(data=...)``, ``update``, backtests and the service forecast from histories that the
fit never saw. They are read with the model's own data options, at its frequency (:func:`read`).
A series the model was fitted on keeps its scaling; any other is scaled by its own history, as
the fit scales a series by its training part, with an interval unit (spread) of its own
(:func:`scaling`): whatever other series come with it, its forecast is the same.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import covariates
from .calendar import is_obs
from .covariates import Spec
from .data import to_panel
from .errors import SeriesValidationError
from .intervals import series_spread, spread_floor
from .scaling import Scaler, log_flags, model_space


def read(model, data, static_df=None):
    """``data`` read with the fitted ``model``'s data options, at its frequency (a series of one
    or two new points has too few to infer one); data at another frequency is refused by name."""
    options = dict(model.data_options_)
    try:
        panel = covariates.read(data, Spec.of(model), {**options, "freq": options["freq"] or model.freq_}, static_df)
    except SeriesValidationError as e:
        inferred = _inferred_freq(data, options)
        if inferred is not None and str(inferred) != str(model.freq_) and not is_obs(model.freq_):
            raise SeriesValidationError(f"the data's frequency is {inferred!r}, but the model was fitted at {model.freq_!r}; "
                                        "forecast it with a model fitted at that frequency, or resample the data") from None
        raise SeriesValidationError(_fitted_options_note(str(e))) from None
    panel.freq = model.freq_  # "obs" models too: every series continues at the model's step, whatever the others in the data
    return panel


def scaling(model, panel, starts, ends, rows, ids) -> tuple[Scaler, np.ndarray]:
    """The scaler ``[R]`` and the interval spread ``[R]`` of each history ``starts[r]:ends[r]``
    of ``panel`` (store positions; ``ids``: each one's series): those of fitted series
    ``rows[r]``, or, where it is -1, fitted on the history itself, which must hold ``seq_size``
    points."""
    known = rows >= 0
    fitted = model.scaler_.take(np.maximum(rows, 0))  # rows of -1 are replaced below
    shift, scale, log, spread = fitted.shift, fitted.scale, fitted.log, model.calibration_.spread[np.maximum(rows, 0)]
    if not known.all():
        new = np.flatnonzero(~known)
        lengths = ends[new] - starts[new]
        short = lengths < model.seq_size_
        if short.any():
            i = new[int(np.argmax(short))]
            raise SeriesValidationError(
                f"series {ids[i]!r} has {int(ends[i] - starts[i])} points, but the model reads the last {model.seq_size_} "
                f"of a series it was not fitted on; give at least {model.seq_size_} points of its history"
            )
        history = panel.parts(starts[new], ends[new], [ids[i] for i in new])
        try:
            flags = log_flags(history, model.params_["log"])
        except SeriesValidationError as e:  # log=True and a value <= 0
            raise SeriesValidationError(_fitted_options_note(str(e))) from None
        own = Scaler.fit_series(history.values, history.offsets, history.lengths, flags)
        shift[new], scale[new], log[new] = own.shift, own.scale, own.log
        spread[new] = series_spread(model_space(own, history), history.offsets[:-1], history.lengths, model.nets_[0].config.season,
                                    spread_floor(model.calibration_.spread))
    return Scaler("standard", shift, scale, log), spread


def _inferred_freq(data, options: dict):
    """The frequency ``to_panel`` infers for ``data`` read with ``options``, or None where it cannot."""
    try:
        with warnings.catch_warnings():  # a second read, for the message only: the covariate columns it leaves out are not news
            warnings.simplefilter("ignore", UserWarning)
            return to_panel(data, **options).freq
    except SeriesValidationError:
        return None


def _fitted_options_note(message: str) -> str:
    """A data error met by predict, update or serve, whose data options are the model's own: where
    the message suggests one (``fill_missing=``...), say that it is the fit's to choose."""
    if not any(f"{k}=" in message for k in ("freq", "fill_missing", "time_format", "aggregate_duplicates", "log")):
        return message
    return (f"{message} (a saved model reads new data with the options it was fitted with: correct the data, "
            "or fit a new model with that option)")
