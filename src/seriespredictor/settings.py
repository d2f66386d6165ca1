"""The Forecaster's settings: each checked on its own, checked together, and resolved for a fit.

Checks run before any data is read, so a bad argument costs nothing. :func:`resolve` fills the
settings left None from the data (:func:`recipe.choose`) and checks what only the data decides.
"""

from __future__ import annotations

import inspect
import math

import torch

from .data import to_panel
from .errors import SeriesValidationError
from .fields import Field
from .network import HEADS
from .params import (MAX_BATCH, MAX_SEASON, MAX_SEED, MAX_SEQ_SIZE, MAX_STEPS, MAX_THREADS, check_choice, check_device,
                     check_int, check_number, horizon_arg, path_arg)
from .persistence import MAX_UNITS
from .recipe import choose
from .covariates import check_names
from .runtime import bf16_lstm_runs, native_bf16

LOSSES = ("mse", "mae")
INTERVALS = ("conformal", "quantile")
PRECISIONS = ("auto", "fp32", "bf16")
MAX_LAYERS, MAX_ENSEMBLE = 1000, 1000
PERCENT = Field("a number between 0 and 100", lambda v: type(v) in (int, float) and 0 < v < 100)
# How to read the data (``to_panel``'s options): they configure the input, not the network, so
# they stay out of a fit's settings (``params_``) and of the checkpoints' fingerprint.
DATA_OPTIONS = tuple(name for name, p in inspect.signature(to_panel).parameters.items() if p.kind is p.KEYWORD_ONLY)


def data_options(est) -> dict:
    """How ``est`` reads data: its ``to_panel`` options."""
    return {name: getattr(est, name) for name in DATA_OPTIONS}


def check_values(est) -> None:
    """Each setting on its own; numpy scalars become Python numbers."""
    if isinstance(est.val_size, str) and est.val_size == "auto":  # model files before the recipe
        est.val_size = None
    est.h = horizon_arg(est.h)
    for name, hi in (("num_layers", MAX_LAYERS), ("checkpoint_every", MAX_STEPS)):
        check_int(est, name, 1, hi)
    for name, lo, hi in (("seq_size", 1, MAX_SEQ_SIZE), ("season", 1, MAX_SEASON), ("patience", 1, MAX_STEPS),
                         ("hidden_dim", 1, MAX_UNITS), ("ensemble", 1, MAX_ENSEMBLE), ("steps", 1, MAX_STEPS),
                         ("batch_size", 1, MAX_BATCH), ("eval_every", 1, MAX_STEPS), ("patch_size", 1, MAX_SEASON),
                         ("val_size", 0, MAX_SEQ_SIZE), ("micro_batch_size", 1, MAX_BATCH), ("threads", 1, MAX_THREADS),
                         ("seed", 0, MAX_SEED)):
        check_int(est, name, lo, hi, optional=True)
    check_number(est, "lr", 0, 1, low_open=True, optional=True)
    check_number(est, "dropout", 0, 0.999)
    check_number(est, "grad_clip", 0, math.inf, low_open=True, optional=True)
    check_number(est, "time_budget", 0, MAX_STEPS, low_open=True, optional=True)
    for name, choices in (("head", HEADS), ("precision", PRECISIONS), ("lr_schedule", ("constant", "cosine", None)),
                          ("intervals", INTERVALS), ("loss", LOSSES + (None,)), ("log", ("auto", True, False)),
                          ("seasonal_base", (True, False, None)), ("drift_base", (True, False, None)), ("refit", (True, False, None)), ("progress", (True, False))):
        check_choice(est, name, choices)
    check_device(est)
    if est.time_format is not None and not (isinstance(est.time_format, str) and est.time_format.strip()):
        raise SeriesValidationError(f"time_format={est.time_format!r} must be a strftime format such as '%Y%m%d', or None for ISO 8601")
    if est.checkpoint_dir is not None:
        path_arg("checkpoint_dir", est.checkpoint_dir)
    check_names(est)
    columns = (est.id_col, est.time_col, est.target_col)
    if not all(isinstance(c, str) and c for c in columns) or len(set(columns)) < 3:
        raise SeriesValidationError(f"id_col, time_col, target_col = {columns!r} must be three distinct non-empty column names")
    if not isinstance(est.alias, str) or est.alias in ("", "cutoff", "y", est.id_col, est.time_col):
        raise SeriesValidationError(f"alias={est.alias!r} must be a non-empty column name other than "
                                    f"{est.id_col!r}, {est.time_col!r}, 'cutoff' and 'y'; e.g. alias='LSTM'", argument="alias")


def check_combinations(est) -> None:
    """Settings that must fit together for a fit."""
    if est.intervals == "quantile":
        if est.head != "direct":
            raise SeriesValidationError("intervals='quantile' needs head='direct'")
        levels = est.quantile_levels
        if (not isinstance(levels, (list, tuple)) or not levels or len(set(levels)) < len(levels)
                or not all(PERCENT.ok(v) and math.isfinite(v) for v in levels)):
            raise SeriesValidationError(f"quantile_levels={levels!r} must be a list of distinct percentages between 0 and 100, e.g. [80, 95]")
    if est.head == "recursive" and (est.patch_size not in (None, 1) or est.seasonal_base or est.drift_base):
        raise SeriesValidationError("patch_size, seasonal_base and drift_base work with head='direct' only; set head='direct'")
    if est.seasonal_base and est.drift_base:
        raise SeriesValidationError("seasonal_base and drift_base are two bases for one forecast; set one of them")
    if est.hist_exog and est.head == "recursive":
        raise SeriesValidationError(f"hist_exog={est.hist_exog!r} needs head='direct': a recursive head would need the past-only "
                                    "values of the steps it forecasts; use head='direct', or pass known-ahead columns in futr_exog",
                                    argument="hist_exog")
    if est.precision == "bf16" and not bf16_lstm_runs(torch.device(est.device)):
        raise SeriesValidationError(f"precision='bf16' but this {est.device.upper()} cannot run the LSTM in bfloat16 (on a CPU it needs "
                                    "AVX-512); use precision='auto' (bf16 where it runs) or 'fp32'", argument="precision")


def resolve(params: dict, lengths, season: int) -> dict:
    """Every model setting of a fit: the given ones, and the recipe's for those left None
    (the data options left out)."""
    s = choose({k: v for k, v in params.items() if k not in DATA_OPTIONS}, lengths, season)
    if s["precision"] == "auto":  # bf16 pays where the gate products are large: M4 1.8x faster, M1 (hidden 64) 0.8x
        s["precision"] = "bf16" if s["hidden_dim"] >= 128 and native_bf16(torch.device(s["device"])) else "fp32"
    if s["seq_size"] % s["patch_size"]:
        raise SeriesValidationError(f"seq_size={s['seq_size']} must be a multiple of patch_size={s['patch_size']}; "
                                    f"use seq_size={max(s['patch_size'], s['seq_size'] // s['patch_size'] * s['patch_size'])}")
    if s["seasonal_base"] and s["seq_size"] < season:
        raise SeriesValidationError(f"seasonal_base needs seq_size >= season ({season}); got seq_size={s['seq_size']}")
    if s["drift_base"] and s["seq_size"] < 2:
        raise SeriesValidationError(f"drift_base needs seq_size >= 2 (a slope); got seq_size={s['seq_size']}")
    return s  # a recursive head with patches was refused before reading (check_combinations); the recipe gives it none
