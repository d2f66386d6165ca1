"""``Forecaster.update``: continue training a fitted ensemble on new data, from its weights and
Adam states, with ``fit``'s protocol.

1. read the data with the model's saved reading options, and check that it continues the model:
   every series long enough to train on, every known series reaching at least the
   model's last time for it, positive where the model log-transforms;
2. scale: series the model knows keep their scaler (the network learned in that space); series
   it does not know are added, each scaled by its own training part, as at ``fit``;
3. hold out the last ``val_size`` points of each series and continue each member for ``steps``
   at a constant learning rate (where the fit's ended), from its weights and Adam state; keep the
   weights that score best on the held-out windows, the starting ones included, so an update
   never scores worse there than the model it started from;
4. calibrate the intervals on the held-out errors;
5. where the fit trained again on every point (``refit``), continue again from the same start
   on every point, for the steps validation chose;
6. take each series' last window and last time from the data, so ``predict()`` continues it.

Series of the model that the data leaves out keep their window, last time and scaler.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from .errors import SeriesValidationError
from .fields import BOOL, integer, number, one_of
from .intervals import Calibration, series_spread
from .network import validator
from .params import MAX_BATCH, MAX_SEED, MAX_SEQ_SIZE, MAX_STEPS, integer_arg
from .runtime import training_precision
from .scaling import Scaler, log_flags, model_space
from .settings import LOSSES
from .training import TrainConfig
from .windows import calibration_set, held_out, points_before

UPDATE_SHARE = 10  # default steps: a tenth of the fit's ...
MIN_UPDATE_STEPS = 100  # ... at least this many, and at most the fit's own steps


def update_steps(fit_steps: int, steps=None) -> int:
    """Steps of each member's update: ``steps``, or a tenth of the fit's steps, at least
    :data:`MIN_UPDATE_STEPS` and at most the fit's own."""
    if steps is not None:
        return integer_arg("steps", steps, 1, MAX_STEPS)
    return min(fit_steps, max(MIN_UPDATE_STEPS, fit_steps // UPDATE_SHARE))


# The settings an update trains with, as a fit resolves them (a file may hold others: edited, or
# saved by a version that kept "auto" or None).
RESOLVED = {
    "val_size": integer(0, MAX_SEQ_SIZE), "steps": integer(1, MAX_STEPS), "eval_every": integer(1, MAX_STEPS),
    "batch_size": integer(1, MAX_BATCH), "seed": integer(0, MAX_SEED), "lr": number(0, low_open=True),
    "loss": one_of(*LOSSES), "lr_schedule": one_of("constant", "cosine"), "refit": BOOL,
}


def update(model, data, *, steps=None):
    """Continue training ``model`` (a fitted ``Forecaster``) on ``data``; returns the model.

    Nothing of the model changes until training is done: a failed update leaves it as it was.
    """
    model._check_fitted()
    if model.exog_ is not None:
        raise SeriesValidationError("update continues models without covariates only; fit a new model on the data with its covariates")
    for name, rule in RESOLVED.items():
        if not rule.ok(model.params_.get(name)):
            raise SeriesValidationError(
                f"this model's setting {name}={model.params_.get(name)!r} is not {rule.description}, as a fit leaves it: "
                "its file was edited or saved by an older version; fit a new model to train further")
    if model.h != model.params_["h"]:  # set_params after the fit: the networks still forecast their own horizon
        raise SeriesValidationError(f"h={model.h!r} was set after the fit, but this model's networks forecast h={model.params_['h']}; "
                                    f"set h={model.params_['h']} again to update them, or fit a new model for the new horizon")
    steps = update_steps(model.params_["steps"], steps)
    panel = model.read_new(data)  # read as at fit, at the model's frequency
    ends = [panel.last_time(i) for i in range(len(panel.ids))]
    _check_data(model, panel, ends)
    train_len, validated = held_out(panel, model.params_["val_size"], model.h)
    known = {str(sid) for sid in model.ids_}  # as predict matches them: a file's 7 or "7" is series 7
    ids = list(model.ids_) + [sid for sid in panel.ids if str(sid) not in known]
    index = {str(sid): i for i, sid in enumerate(ids)}
    rows = np.array([index[str(sid)] for sid in panel.ids])  # each series of the data in the model
    scaler = _scaler(model.scaler_, panel, train_len, rows, model.params_["log"])
    store = torch.as_tensor(model_space(scaler.take(rows), panel), device=torch.device(model.params_["device"]))
    nets, history, optimizers, errors, stride = _train(model, store, panel, train_len, validated, steps)
    spread = np.r_[model.calibration_.spread, np.zeros(len(ids) - len(model.ids_))]
    spread[rows] = series_spread(store.cpu().numpy(), panel.offsets[:-1], train_len, model.season_)
    calibration = Calibration(model.calibration_.errors, model.calibration_.rows, spread, model.calibration_.stride)
    if validated.any():  # else the held-out errors stay the fit's
        order = np.argsort(rows[validated])  # calibrated rows in order, as a model file keeps them
        calibration = Calibration(errors[order], rows[validated][order], spread, stride)
        model.val_size_ = model.params_["val_size"]
    model.tail_, model.last_times_ = _ends(model, panel, rows, ends, len(ids))
    model.ids_, model.scaler_, model.calibration_, model.nets_, model.optimizers_ = ids, scaler, calibration, nets, optimizers
    model.history_ = [*model.history_, *history]
    return model


def _check_data(model, panel, ends: list) -> None:
    """Refuse data that does not continue the model, in one line naming the series, the value and the fix."""
    short = np.flatnonzero(panel.lengths <= model.h)
    if len(short):
        i = int(short[0])
        raise SeriesValidationError(
            f"series {panel.ids[i]!r} has {int(panel.lengths[i])} points, but an update trains on windows of "
            f"h + 1 = {model.h + 1} at least; give each series' whole history with its new points appended")
    known = {str(sid): i for i, sid in enumerate(model.ids_)}
    for sid, end in zip(panel.ids, ends):
        if str(sid) in known and not _at_or_after(end, model.last_times_[known[str(sid)]]):
            raise SeriesValidationError(
                f"series {sid!r} ends at {end}, before the model's last time for it ({model.last_times_[known[str(sid)]]}); "
                "give its whole history with the new points appended")
    logged = np.array([str(sid) in known and bool(model.scaler_.log[known[str(sid)]]) for sid in panel.ids])
    bad = np.repeat(logged, panel.lengths) & ~(panel.values > 0)
    if bad.any():
        p = int(np.argmax(bad))
        i = int(np.searchsorted(panel.offsets, p, side="right")) - 1
        raise SeriesValidationError(
            f"series {panel.ids[i]!r} has the value {float(panel.values[p])!r} in column {model.data_options_['target_col']!r} "
            f"at {panel.times(i, p - int(panel.offsets[i]), 1)[0]}, but the model log-transforms this series (all its values "
            "were positive at fit); correct that value, or fit a new model with log=False")


def _at_or_after(t, last) -> bool:
    try:
        return bool(t >= last)
    except TypeError:  # a time zone on one side only
        raise SeriesValidationError(f"the data's times (e.g. {t}) cannot be compared with the model's (e.g. {last}); "
                                    "give times in the model's time zone") from None


def _scaler(old: Scaler, panel, train_len: np.ndarray, rows: np.ndarray, log) -> Scaler:
    """The model's scaler and, for each series it does not know, one fitted on that series'
    training part, log-transformed by the fit's rule (:func:`scaling.log_flags`)."""
    new = rows >= len(old.shift)  # in the data's order, as they are added
    if not new.any():
        return old
    fitted = Scaler.fit_series(panel.values, panel.offsets, train_len, log_flags(panel, log) & new)
    return Scaler("standard", np.r_[old.shift, fitted.shift[new]], np.r_[old.scale, fitted.scale[new]],
                  np.r_[old.log, fitted.log[new]])


def _train(model, store: torch.Tensor, panel, train_len: np.ndarray, validated: np.ndarray, steps: int):
    """Each member continued as ``fit`` trains it (validated on the held-out windows, then, with
    ``refit``, on every point): networks, results, optimiser states, held-out errors and their stride."""
    s = model.params_
    val = s["val_size"] if validated.any() else 0
    s = dict(s, steps=steps, lr=_end_lr(model), lr_schedule="constant", eval_every=min(s["eval_every"], max(1, steps // 10)),
             progress=model.progress, precision=training_precision(s["precision"], store.device))
    config = model.nets_[0].config
    cal_in, cal_out, stride = calibration_set(store, panel.offsets[:-1][validated], train_len[validated], val, model.h, model.seq_size_)
    validate = validator(config, s["loss"], cal_in, cal_out) if val else None
    run = dict(checkpoints=None, resume=False, deadline=None, runs=1, start=list(zip(model.nets_, _start_states(model))))
    pad = model.seq_size_ - 1 if (train_len < model.seq_size_ + model.h).any() else 0  # as fit pads
    nets, history, optimizers = model._train(store, panel.offsets, train_len, pad, s, config, validate, run)
    errors = model._calibration_errors(nets, cal_in, cal_out, int(validated.sum()))  # before a refit sees the held-out points
    if s["refit"] and val:  # again from the same start, on every point, for the steps validation chose (0: the start)
        chosen = [r.best_step if r.best_step is not None else r.steps_run for r in history]
        nets, again, optimizers = model._train(store, panel.offsets, panel.lengths, pad, s, config, None, run, steps=chosen)
        history += again
    return nets, history, optimizers, errors, stride


def _start_states(model) -> list:
    """Each member's Adam state to continue from; None (a fresh Adam, said once) where the model holds none."""
    if model.optimizers_ is None:
        warnings.warn("this model holds no optimiser state (it was saved before model format 5): "
                      "the update continues its weights with a fresh Adam", RuntimeWarning, stacklevel=5)
        return [None] * len(model.nets_)
    return model.optimizers_


def _end_lr(model) -> float:
    """The learning rate the fit ended with: the saved Adam's last, else the fit's schedule at its last step."""
    if model.optimizers_ is not None:
        return float(model.optimizers_[0]["param_groups"][0]["lr"])
    s = model.params_
    last = model.history_[-1].steps_run if model.history_ else s["steps"]
    return TrainConfig(s["steps"], s["lr"], s["lr_schedule"]).lr_at(max(last - 1, 0))


def _ends(model, panel, rows: np.ndarray, ends: list, n: int) -> tuple[np.ndarray, list]:
    """Each series' last raw window and last time: the data's where it holds the series, else the model's."""
    tail = np.concatenate([model.tail_, np.zeros((n - len(model.tail_), model.seq_size_))])
    tail[rows] = panel.values[points_before(panel.offsets[:-1], panel.offsets[1:], model.seq_size_)]
    last_times = list(model.last_times_) + [None] * (n - len(model.last_times_))
    for r, end in zip(rows, ends):
        last_times[r] = end
    return tail, last_times
