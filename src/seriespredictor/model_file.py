"""What a Forecaster's model directory holds, written from its fitted state and read back into it.

``config.json``: ``params`` (the settings the fit used), ``data`` (how it read the data),
``network`` (:class:`network.ForecastConfig`), ``fitted`` (input length, held-out points,
calibration windows, scaling), ``schema`` (frequency, series ids, last times, time zone) and
``training`` (each run's losses). ``weights.safetensors``: each network's weights, each series'
last input window, the calibration errors and spreads. Every field is checked before anything
is built from it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .calendar import check_freq, freq_step
from .errors import ModelFileError, SeriesValidationError
from .fields import BOOL, DICT, TEXT, Field, check_fields, integer, list_of, number, one_of
from .intervals import Calibration
from .network import HEADS, ForecastConfig, ForecastNetwork
from .params import MAX_HORIZON, MAX_SEASON, MAX_SEQ_SIZE
from .persistence import MAX_UNITS, WEIGHTS, check_tensor, load_estimator, load_model, load_state, save_model
from .scaling import Scaler
from .settings import DATA_OPTIONS, MAX_ENSEMBLE, MAX_LAYERS, PERCENT, check_values, data_options

NETWORK = {
    "network.h": integer(1, MAX_HORIZON), "network.head": one_of(*HEADS), "network.patch_size": integer(1, MAX_SEASON),
    "network.seasonal_base": BOOL, "network.drift_base": BOOL, "network.season": integer(1, MAX_SEASON), "network.quantile_levels": list_of(PERCENT),
    "network.hidden_dim": integer(1, MAX_UNITS), "network.num_layers": integer(1, MAX_LAYERS), "network.dropout": number(0, 0.999),
}


def save(model, path, *, overwrite: bool = False) -> Path:
    tensors = {f"net.{m}.{k}": v for m, net in enumerate(model.nets_) for k, v in net.state_dict().items()}
    tensors["tail"] = torch.as_tensor(model.tail_, dtype=torch.float64)
    cal = model.calibration_
    tensors["residuals"] = torch.as_tensor(cal.errors, dtype=torch.float64)
    tensors["calibrated"] = torch.zeros(len(model.ids_), dtype=torch.float64).index_fill_(0, torch.as_tensor(cal.rows), 1)
    tensors["spread"] = torch.as_tensor(cal.spread, dtype=torch.float64)
    freq = model.freq_ if isinstance(model.freq_, str) else int(model.freq_)
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
    if sum(len(n.state_dict()) for n in self.nets_) != len(tensors):
        raise ModelFileError(f"{str(path)!r}: the weights hold more networks than its settings (ensemble={self.ensemble})")
    return self


def _network(config: ForecastConfig, tensors: dict, prefix: str, path) -> ForecastNetwork:
    """One network of the ensemble, built on the ``meta`` device (no memory) and given its weights."""
    with torch.device("meta"):
        net = ForecastNetwork(config)
    load_state(net, {k.removeprefix(prefix): v for k, v in tensors.items() if k.startswith(prefix)}, path)
    return net.eval()


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
