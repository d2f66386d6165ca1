"""What a Forecaster's model directory holds, written from its fitted state and read back into it.

``config.json``: ``params`` (the settings the fit used), ``data`` (how it read the data),
``network`` (:class:`network.ForecastConfig`), ``fitted`` (input length, held-out points,
calibration windows, scaling), ``schema`` (frequency, series ids, last times, time zone) and
``training`` (each run's losses), ``optimizer`` (each network's Adam param groups, or null).
``weights.safetensors``: each network's weights and Adam state (``opt.<network>.<param>.<name>``,
as :func:`training.optimizer_tensors` names them), each series' last input window, the
calibration errors and spreads. Every field is checked before anything is built from it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .calendar import check_freq, freq_step
from .errors import ModelFileError, SeriesValidationError
from .fields import BOOL, DICT, LOSS_HISTORY, TEXT, Field, check_fields, integer, list_of, number, one_of, optional
from .calendar_features import FEATURES
from .calendar_features import columns as calendar_columns
from .covariates import CovariateScaler, Spec
from .intervals import Calibration
from .network import HEADS, ForecastConfig, ForecastNetwork
from .params import MAX_HORIZON, MAX_SEASON, MAX_SEQ_SIZE
from .persistence import MAX_UNITS, WEIGHTS, check_tensor, load_estimator, load_model, load_state, save_model
from .scaling import Scaler
from .settings import DATA_OPTIONS, MAX_ENSEMBLE, MAX_LAYERS, PERCENT, check_values, data_options
from .training import TrainResult, optimizer_state, optimizer_tensors

MAX_COVARIATES, MAX_CATEGORIES = 10_000, 10**7  # covariate columns of one kind; categories of a static
NETWORK = {
    "network.h": integer(1, MAX_HORIZON), "network.head": one_of(*HEADS), "network.patch_size": integer(1, MAX_SEASON),
    "network.seasonal_base": BOOL, "network.drift_base": BOOL, "network.season": integer(1, MAX_SEASON), "network.quantile_levels": list_of(PERCENT),
    "network.hidden_dim": integer(1, MAX_UNITS), "network.num_layers": integer(1, MAX_LAYERS), "network.dropout": number(0, 0.999),
    "network.n_hist": integer(0, MAX_COVARIATES), "network.n_known": integer(0, MAX_COVARIATES),
    "network.n_static": integer(0, MAX_COVARIATES), "network.categories": list_of(integer(2, MAX_CATEGORIES)),
}


def save(model, path, *, overwrite: bool = False) -> Path:
    tensors = {f"net.{m}.{k}": v for m, net in enumerate(model.nets_) for k, v in net.state_dict().items()}
    tensors["tail"] = torch.as_tensor(model.tail_, dtype=torch.float64)
    cal = model.calibration_
    tensors["residuals"] = torch.as_tensor(cal.errors, dtype=torch.float64)
    tensors["calibrated"] = torch.zeros(len(model.ids_), dtype=torch.float64).index_fill_(0, torch.as_tensor(cal.rows), 1)
    tensors["spread"] = torch.as_tensor(cal.spread, dtype=torch.float64)
    optimizers = [optimizer_tensors(state, f"opt.{m}.") for m, state in enumerate(model.optimizers_ or [])]
    for opt_tensors, _ in optimizers:
        tensors.update(opt_tensors)
    freq = model.freq_ if isinstance(model.freq_, str) else int(model.freq_)
    if model.exog_ is not None:
        tensors.update({"exog.tail": torch.as_tensor(model.exog_tail_), "exog.future": torch.as_tensor(model.exog_future_),
                        "exog.shift": torch.as_tensor(model.exog_scaler_.shift), "exog.scale": torch.as_tensor(model.exog_scaler_.scale),
                        "exog.statics": torch.as_tensor(model.exog_statics_)})
    config = {
        "params": model.params_,
        "data": model.data_options_,
        "network": model.nets_[0].config.to_dict(),
        "fitted": {
            "seq_size": int(model.seq_size_), "val_size": int(model.val_size_),
            "cal_windows": cal.errors.shape[1], "cal_stride": int(cal.stride), "cal_steps": cal.errors.shape[2],
            "log": model.scaler_.log.tolist(), "shift": model.scaler_.shift.tolist(), "scale": model.scaler_.scale.tolist(),
        },
        "training": [{"steps_run": r.steps_run, "best_step": r.best_step, "seconds": round(r.seconds, 3),
                      "losses": r.losses, "val_losses": r.val_losses} for r in getattr(model, "history_", [])],
        "optimizer": [groups for _, groups in optimizers] if model.optimizers_ is not None else None,
        "covariates": None if model.exog_ is None else {**model.exog_, **model.exog_scaler_.to_dict()},
        "schema": {
            "freq": freq,
            "ids": [int(i) if isinstance(i, (int, np.integer)) else str(i) for i in model.ids_],
            "last_times": [t.isoformat() if isinstance(t, pd.Timestamp) else int(t) for t in model.last_times_],
            "tz": zone_name(getattr(model.last_times_[0], "tz", None)),
        },
    }
    return save_model(path, "Forecaster", tensors, config, overwrite=overwrite)


def load(cls, path):
    tensors, config = load_model(path, "Forecaster")
    check_fields(config, {"params": DICT, "data": DICT, "fitted": DICT, "schema": DICT, "network": DICT,
                          "params.ensemble": integer(1, MAX_ENSEMBLE), "schema.ids": IDS, **NETWORK}, path)
    foreign = sorted(set(config["data"]) - set(DATA_OPTIONS))
    if foreign:
        raise ModelFileError(f"{str(path)!r}: config.json field 'data' holds {foreign}, which are not data options "
                             f"({', '.join(DATA_OPTIONS)}); the file is damaged or was edited, save the model again")
    self = load_estimator(cls, {**config["params"], **config["data"], "device": "cpu"}, path, check=check_values)
    self.data_options_ = data_options(self)
    self.params_ = {k: v for k, v in self.get_params().items() if k not in DATA_OPTIONS}
    net = ForecastConfig.from_dict(config["network"])
    n, fitted, schema = len(config["schema"]["ids"]), config["fitted"], config["schema"]
    check_fields(config, {
        "params.alias": TEXT, "data.id_col": TEXT, "data.time_col": TEXT,
        "fitted.seq_size": integer(1, MAX_SEQ_SIZE), "fitted.val_size": integer(0, MAX_SEQ_SIZE),
        "fitted.cal_windows": integer(1, MAX_SEQ_SIZE), "fitted.cal_stride": integer(1, MAX_SEQ_SIZE), "fitted.cal_steps": integer(0, MAX_SEQ_SIZE),
        "fitted.log": list_of(BOOL, n), "fitted.shift": list_of(number(), n), "fitted.scale": list_of(number(0, low_open=True), n),
        "schema.freq": FREQ, "schema.tz": TIME_ZONE, "schema.last_times": list_of(TIME, n),
        **{f"params.{k}": one_of(getattr(net, k)) for k in ("h", "head", "patch_size", "seasonal_base", "drift_base", "hidden_dim", "num_layers")},
        "params.seq_size": one_of(fitted["seq_size"]),
    }, path)
    self.seq_size_, self.val_size_ = fitted["seq_size"], fitted["val_size"]
    stride, windows, steps = fitted["cal_stride"], fitted["cal_windows"], fitted["cal_steps"]
    if (self.seq_size_ % net.patch_size or (net.seasonal_base and self.seq_size_ < net.season)
            or (steps == 0) != (self.val_size_ == 0) or (windows - 1) * stride + steps > self.val_size_
            or (net.head == "recursive" and (net.patch_size != 1 or net.seasonal_base or net.drift_base or net.quantile_levels))
            or (net.drift_base and (net.seasonal_base or self.seq_size_ < 2))
            or (self.intervals == "quantile") != bool(net.quantile_levels)):
        raise ModelFileError(f"{str(path)!r}: the fitted settings (seq_size={self.seq_size_}, val_size={self.val_size_}, "
                             f"cal_windows={windows}, cal_stride={stride}, cal_steps={steps}, {net}) "
                             "do not fit together; the file is damaged or was edited, save the model again")
    integer_times = isinstance(freq_step(schema["freq"]), int)  # an integer step continues integer times
    if any((type(t) is int) != integer_times for t in schema["last_times"]):
        raise ModelFileError(f"{str(path)!r}: schema.last_times must be {'integers' if integer_times else 'ISO timestamps'} "
                             f"with schema.freq {schema['freq']!r}; the file is damaged or was edited, save the model again")
    self.season_ = net.season
    self.scaler_ = Scaler("standard", np.asarray(fitted["shift"], dtype=np.float64), np.asarray(fitted["scale"], dtype=np.float64),
                          np.asarray(fitted["log"], dtype=bool))
    self.freq_, self.ids_ = schema["freq"], schema["ids"]
    self.last_times_ = [t if isinstance(t, int) else timestamp(t, schema["tz"]) for t in schema["last_times"]]
    self.tail_ = check_tensor(tensors, "tail", (n, self.seq_size_), path).numpy()
    calibrated = check_tensor(tensors, "calibrated", (n,), path).numpy()
    if not np.isin(calibrated, (0, 1)).all():
        raise ModelFileError(f"{str(path)!r}: {WEIGHTS} entry 'calibrated' must hold 0 and 1 only; the file is damaged")
    rows = np.flatnonzero(calibrated)
    errors = check_tensor(tensors, "residuals", (len(rows), windows, steps), path).numpy()
    self.calibration_ = Calibration(errors, rows, check_tensor(tensors, "spread", (n,), path, positive=True).numpy(), stride)
    self.nets_ = [_network(net, tensors, f"net.{m}.", path) for m in range(self.ensemble)]
    self.optimizers_, self.history_ = _optimizers(config, tensors, self.nets_, path), _history(config, path)
    _covariates(self, config, tensors, net, n, path)
    if sum(len(n.state_dict()) for n in self.nets_) != len(tensors):
        raise ModelFileError(f"{str(path)!r}: the weights hold more networks than its settings (ensemble={self.ensemble})")
    return self


def _covariates(self, config: dict, tensors: dict, net: ForecastConfig, n: int, path) -> None:
    """The covariates' names, scaling and each series' saved rows (``exog_*``), every field checked
    against the settings and the network; none for a model without covariates."""
    check_fields(config, {"covariates": optional(DICT)}, path)
    c = config["covariates"]
    if c is None:
        if net.covariates or Spec.of(self).any:
            raise ModelFileError(f"{str(path)!r}: its settings or network take covariates but config.json holds none; the file is damaged")
        self.exog_ = None
        return
    names = list_of(TEXT)
    check_fields(config, {"covariates.hist": one_of(list(self.hist_exog or [])), "covariates.futr": one_of(list(self.futr_exog or [])),
                          "covariates.calendar": list_of(one_of(*FEATURES)), "covariates.holidays": names, "covariates.numeric": names,
                          "covariates.static_shift": list_of(number(), len(c.get("numeric") or [])),
                          "covariates.static_scale": list_of(number(0, low_open=True), len(c.get("numeric") or [])),
                          "covariates.categories": Field("an object of lists of category names", _are_categories)}, path)
    D = len(c["hist"]) + len(c["futr"]) + len(calendar_columns(c["calendar"]))
    if (net.n_hist, net.n_known, net.n_static) != (len(c["hist"]), D - len(c["hist"]), len(c["numeric"])) or \
            net.categories != tuple(len(v) + 1 for v in c["categories"].values()) or \
            set(c["numeric"]) | set(c["categories"]) != set(self.stat_exog or []):
        raise ModelFileError(f"{str(path)!r}: config.json's covariates do not match its network ({net}); the file is damaged or was edited")
    self.exog_ = {k: c[k] for k in ("hist", "futr", "calendar", "holidays")}
    self.exog_scaler_ = CovariateScaler(check_tensor(tensors, "exog.shift", (n, D), path).numpy(),
                                        check_tensor(tensors, "exog.scale", (n, D), path, positive=True).numpy(),
                                        c["numeric"], c["static_shift"], c["static_scale"], c["categories"])
    self.exog_tail_ = check_tensor(tensors, "exog.tail", (n, self.seq_size_, D), path).numpy()
    future = tensors.get("exog.future")
    self.exog_future_ = check_tensor(tensors, "exog.future", (n, future.shape[1] if future is not None and future.dim() == 3 else 0, D),
                                     path, finite=False).numpy()
    self.exog_statics_ = check_tensor(tensors, "exog.statics", (n, net.n_static + len(net.categories)), path).numpy()


def _are_categories(v) -> bool:
    return type(v) is dict and all(type(k) is str and type(c) is list and all(type(x) is str for x in c) for k, c in v.items())


def _network(config: ForecastConfig, tensors: dict, prefix: str, path) -> ForecastNetwork:
    """One network of the ensemble, built on the ``meta`` device (no memory) and given its weights."""
    with torch.device("meta"):
        net = ForecastNetwork(config)
    load_state(net, {k.removeprefix(prefix): v for k, v in tensors.items() if k.startswith(prefix)}, path)
    return net.eval()


def _optimizers(config: dict, tensors: dict, nets: list, path) -> list | None:
    """Each network's Adam ``state_dict()``, every group field and tensor checked (the tensors are
    taken from ``tensors``); None where the file holds none (saved before format 5)."""
    check_fields(config, {"optimizer": optional(list_of(list_of(DICT, 1), len(nets)))}, path)
    if config["optimizer"] is None:
        _no_more(tensors, "opt.", path)
        return None
    states = []
    for m, (net, [group]) in enumerate(zip(nets, config["optimizer"])):
        params = list(net.parameters())
        rules = {**dict.fromkeys(group, UNREAD), **ADAM_GROUP, "params": one_of(list(range(len(params))))}
        check_fields({"optimizer": {str(m): group}}, {f"optimizer.{m}.{k}": v for k, v in rules.items()
                                                      if k in group or k in ADAM_REQUIRED}, path)
        prefix, state = f"opt.{m}.", {}
        stepped = any(k.startswith(prefix) for k in tensors)  # none: an Adam that has taken no step (an update kept the start)
        for i, p in enumerate(params if stepped else []):
            for name, shape in (("step", ()), ("exp_avg", p.shape), ("exp_avg_sq", p.shape)):
                state[f"{prefix}{i}.{name}"] = _adam_tensor(tensors, f"{prefix}{i}.{name}", shape, path)
        states.append(optimizer_state(state, [group], prefix))
    _no_more(tensors, "opt.", path)
    return states


def _adam_tensor(tensors: dict, name: str, shape, path) -> torch.Tensor:
    """Take the Adam state tensor ``name``: float32 of its parameter's shape, finite; a step count
    a whole number of at least 1, second moments not negative."""
    t = tensors.pop(name, None)
    if t is None or t.dtype != torch.float32 or t.shape != shape:
        got = "missing" if t is None else f"{t.dtype} {tuple(t.shape)}"
        raise ModelFileError(f"{str(path)!r}: {WEIGHTS} entry {name!r} is {got}, the saved network needs float32 {tuple(shape)}")
    step = name.endswith(".step")
    if not torch.isfinite(t).all() or (step and not (t >= 1 and t == t.round())) or (name.endswith("_sq") and (t < 0).any()):
        what = "a whole number of steps, at least 1" if step else "finite values" + (", none negative" if name.endswith("_sq") else "")
        raise ModelFileError(f"{str(path)!r}: {WEIGHTS} entry {name!r} must hold {what}; the file is damaged or was edited, save the model again")
    return t


def _no_more(tensors: dict, prefix: str, path) -> None:
    left = sorted(k for k in tensors if k.startswith(prefix))
    if left:
        raise ModelFileError(f"{str(path)!r}: {WEIGHTS} holds optimiser entries its config.json does not describe "
                             f"(e.g. {left[0]!r}); the file is damaged or was edited, save the model again")


def _history(config: dict, path) -> list[TrainResult]:
    """The training runs of the fit (and of updates), as ``history_``."""
    check_fields(config, {"training": list_of(RUN)}, path)
    return [TrainResult([tuple(x) for x in r["losses"]], [tuple(x) for x in r["val_losses"]], r["best_step"], r["steps_run"],
                        r["seconds"]) for r in config["training"]]


def timestamp(text: str, tz: str) -> pd.Timestamp:
    """A saved time in its saved zone: the ISO text keeps only the UTC offset, not the DST rules."""
    t = pd.Timestamp(text)
    return t.tz_convert(tz) if tz and t.tz is not None else t


def zone_name(tz) -> str:
    """The zone's name, which keeps its DST rules; "" where it has none a load could read back
    (fixed offsets: the ISO times keep those)."""
    name = getattr(tz, "key", None) or getattr(tz, "zone", None) or (str(tz) if tz is not None else "")
    return name if TIME_ZONE.ok(name) else ""


def _is_freq(v) -> bool:
    if type(v) not in (int, str):
        return False
    try:
        check_freq(v)
    except SeriesValidationError:
        return False
    return True


def _is_time_zone(v) -> bool:
    return v == "" or (type(v) is str and pd.Timestamp(0, tz=v) is not None)


def _is_time(v) -> bool:
    return (type(v) is int and -2**63 < v < 2**63) or (type(v) is str and pd.Timestamp(v) is not pd.NaT)


def _are_ids(v) -> bool:
    return (type(v) is list and len(v) > 0 and len(set(v)) == len(v)
            and all((type(i) is str and i != "") or type(i) is int for i in v))


FREQ = Field("a positive integer, 'obs:<step>' or a pandas frequency such as 'D'", _is_freq)
TIME_ZONE = Field("'' or a time zone name such as 'Europe/Berlin'", _is_time_zone)
TIME = Field("an ISO timestamp or an integer", _is_time)
IDS = Field("a non-empty list of distinct series ids (non-empty strings or integers)", _are_ids)


def _is_run(v) -> bool:
    return (type(v) is dict and set(v) == {"steps_run", "best_step", "seconds", "losses", "val_losses"}
            and integer(0).ok(v["steps_run"]) and optional(integer(0)).ok(v["best_step"]) and number(0).ok(v["seconds"])
            and LOSS_HISTORY.ok(v["losses"]) and LOSS_HISTORY.ok(v["val_losses"]))


RUN = Field("a training run {steps_run, best_step, seconds, losses, val_losses}", _is_run)
NOT_SET = one_of(False)  # Adam options seriespredictor never sets; each would change what its state tensors mean
ADAM_GROUP = {
    "lr": number(0, 1, low_open=True), "betas": list_of(Field("a number in [0, 1)", lambda v: number(0, 1).ok(v) and v < 1), 2),
    "eps": number(0, 1, low_open=True), "weight_decay": number(0, 1), "amsgrad": NOT_SET, "maximize": NOT_SET,
    "capturable": NOT_SET, "differentiable": NOT_SET, "foreach": optional(BOOL), "fused": optional(BOOL),
    "decoupled_weight_decay": BOOL,
}
ADAM_REQUIRED = ("lr", "betas", "eps", "weight_decay", "params")  # the others take torch's defaults where absent
UNREAD = Field("absent: it is not an Adam setting this version reads", lambda v: False)
