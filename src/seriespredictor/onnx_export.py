"""ONNX export: a fitted ``Forecaster``'s whole forecast as one graph, for runtimes without Python.

The graph is the forecast ``predict(data=...)`` makes for a series the model was not fitted on
whose history is exactly ``seq_size`` points (:meth:`Forecaster.forecast_windows`):

- input ``history``, float32 ``[batch, seq_size]``: the last ``seq_size`` raw values of each series
  (batch >= 1: onnxruntime's LSTM kernel aborts the process on an empty batch);
- output ``forecast``, float32 ``[batch, h]`` (the trained horizon), in the data's units.

Inside, in float64 as :mod:`scaling` computes it, each row is log-transformed by the fit's rule
(``log="auto"``: where every value of the row is positive), standardised by its own mean and
standard deviation (a constant row by a thousandth of its size, :func:`scaling._spread`); the
ensemble's mean forecast (:func:`network.forecast`, the recursive loop unrolled over the
horizon) is scaled back. Where ``predict`` refuses a row by name, the graph gives NaN or inf: a
value <= 0 under ``log=True``, a NaN, a forecast too large to represent.

The graph is traced by torch's TorchScript exporter (``dynamo=False``; deprecated since torch
2.9, present in 2.13, the newest torch this package allows): it needs only the ``onnx`` package,
where the torch.export-based one also needs ``onnxscript``, took 6.5 s against 0.3 s for a tiny
direct ensemble, and fixed the batch size of the graph it was given the module for.
"""

from __future__ import annotations

import copy
import io
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from . import __version__
from .atomic import atomic_output, exists_error, write_file
from .errors import MissingExtraError, SeriesValidationError
from .network import forecast
from .params import path_arg
from .scaling import FLAT, LOG_MIN_RATIO

INPUT, OUTPUT = "history", "forecast"
OPSET = 17  # onnxruntime 1.14 and later run it
EPS = torch.finfo(torch.float64).eps


class ForecastGraph(nn.Module):
    """Fitted networks (copied to the CPU) and the fit's log rule, forecasting ``h`` steps from
    raw histories ``[B, seq_size]``."""

    def __init__(self, nets: list, log, h: int):
        super().__init__()
        self.nets = nn.ModuleList(copy.deepcopy(net).cpu().eval() for net in nets)
        self.log, self.h = log, h

    def forward(self, history: torch.Tensor) -> torch.Tensor:
        x = history.double()  # [B, L]
        if self.log == "auto":  # rows whose every value is positive and that move, as scaling.log_flags
            low = x.amin(1, keepdim=True)
            log = ((low > 0) & (x.amax(1, keepdim=True) > LOG_MIN_RATIO * low)).expand_as(x)  # [B, L]
        else:  # True or False, for every row
            log = torch.ones_like(x, dtype=torch.bool) if self.log else torch.zeros_like(x, dtype=torch.bool)
        v = torch.where(log, torch.log(torch.where(log, x, torch.ones_like(x))), x)
        shift, scale = standardise(v)  # [B, 1] each
        z = ((v - shift) / scale).float()
        cfg = self.nets[0].config
        mean = torch.stack([forecast(net, cfg, z, self.h) for net in self.nets]).mean(0).double()  # [B, h]
        flat = (x == x[:, :1]).all(1, keepdim=True) & (z.abs() < FLAT).all(1, keepdim=True)
        mean = torch.where(flat, torch.zeros_like(mean), mean)  # a constant stays, as Forecaster.forecast_array
        out = mean * scale + shift
        return torch.where(log[:, :1], torch.exp(out), out).float()


def standardise(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each row's mean and spread ``[B, 1]``: its standard deviation, or a thousandth of its size
    where that is within a few roundings of the size (a constant; 1 for zeros), as :func:`scaling._spread`."""
    mean = v.mean(1, keepdim=True)
    std = ((v - mean) ** 2).mean(1, keepdim=True).sqrt()
    size = v.abs().amax(1, keepdim=True)
    floor = torch.where(size > 0, 1e-3 * size, torch.ones_like(size))
    return mean, torch.where(std <= 4 * EPS * size, floor, std)


def export(model, path, *, overwrite: bool = False) -> Path:
    """Write ``model``'s forecast graph (see the module's docstring) to the file ``path``, atomically.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False.
        MissingExtraError: the ``onnx`` package is not installed.
    """
    if str(path).endswith(("/", os.sep)):  # Path() drops the separator, and "x/" would become the file x
        raise SeriesValidationError(f"path={str(path)!r} names a folder; give a file name in it, e.g. {str(path) + 'model.onnx'!r}",
                                    argument="path")
    path = path_arg("path", path)
    if model.exog_ is not None:
        raise SeriesValidationError("export_onnx takes models without covariates: the graph's one input is the target's history")
    if os.path.lexists(path) and not overwrite:
        raise exists_error(path)
    try:
        import onnx
    except ImportError:
        raise MissingExtraError("ONNX export needs the 'onnx' package; install it with pip install 'seriespredictor[onnx]'") from None
    h = model.nets_[0].config.h
    graph = onnx.load_from_string(_trace(ForecastGraph(model.nets_, model.params_["log"], h), model.seq_size_))
    graph.graph.output[0].type.tensor_type.shape.dim[1].dim_value = h  # the tracer leaves the horizon symbolic
    graph.doc_string = f"seriespredictor {__version__}: {INPUT} [batch, {model.seq_size_}] raw values -> {OUTPUT} [batch, {h}]"
    onnx.helper.set_model_props(graph, {"seriespredictor_version": __version__, "seq_size": str(model.seq_size_), "h": str(h),
                                        "freq": str(model.freq_), "log": str(model.params_["log"])})
    onnx.checker.check_model(graph)
    with atomic_output(path) as tmp:
        write_file(tmp, graph.SerializeToString())
    return path


def _trace(graph: ForecastGraph, seq_size: int) -> bytes:
    """The serialised graph, its batch dimension dynamic."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the tracer's notes on the legacy exporter and on Python values it fixes
        warnings.simplefilter("ignore")
        torch.onnx.export(graph, (torch.ones(2, seq_size),), buffer, input_names=[INPUT], output_names=[OUTPUT],
                          dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}}, opset_version=OPSET, dynamo=False)
    return buffer.getvalue()
