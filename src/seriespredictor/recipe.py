"""The default recipe: every training setting a user leaves unset, chosen from the data.

``choose`` reads top-down; each rule's measured reason is in benchmarks/README.md ("The default
recipe"). It sees only what any data set has: the horizon, the seasonal period, the series'
lengths and how many there are. Explicit settings always win.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .intervals import calibration_stride

# Settings the recipe fills when they are None. Every other parameter is taken as given.
CHOSEN = ("seq_size", "patch_size", "seasonal_base", "drift_base", "hidden_dim", "loss", "lr", "lr_schedule", "batch_size", "steps",
          "eval_every", "ensemble", "val_size", "refit")

CALIBRATION_ERRORS = 100  # held-out errors per horizon step the intervals are calibrated on, at least
REFIT_SECONDS = 30  # a fit estimated to take less than this is repeated on every point (see estimated_seconds)
UNITS_PER_SECOND = 8e9  # LSTM work units (estimated_seconds) per second on 2 cores: M4 Hourly's 1.05e12 took 130 s


def choose(params: dict, lengths: np.ndarray, season: int) -> dict:
    """``params`` with every recipe setting left None filled in for series of ``lengths``."""
    p = dict(params)
    h, m = p["h"], season
    lengths = np.asarray(lengths)
    typical = int(np.median(lengths))

    # Held-out points: the last horizon of each series scores early stopping and calibrates the
    # intervals. Few series give few errors per step, so the window rolls back over more points.
    if p["val_size"] is None:
        stride = calibration_stride(h)
        windows = math.ceil(CALIBRATION_ERRORS / len(lengths))
        room = max(0, typical // 8 - h) // stride  # never more than an eighth of a typical series
        p["val_size"] = h + stride * min(windows - 1, room)
    val = min(p["val_size"], max(typical - 2, 0))  # what a typical series can hold out (for the input length)

    # Input: whole seasons, enough to see two horizons and three seasons (hourly: a week), but
    # no longer than a typical series' training part; short series are padded at their start.
    # Without a season: two horizons at least, up to six where a typical series holds them (the
    # drift read from a longer input is steadier).
    seasonal = m > 1 and typical - val - h >= m
    if m > 1 and not seasonal and typical > val + h and p["seasonal_base"] is None and p["patch_size"] is None:
        warnings.warn(f"season={m} is longer than a typical series holds after its last {val + h} points (held out, then the "
                      f"horizon): {max(typical - val - h, 0)} of {typical}; the recipe models no season", UserWarning, stacklevel=4)
    if p["seq_size"] is None:
        if seasonal:
            seasons = 7 if m == 24 else math.ceil(max(2 * h, 3 * m) / m)
            fits = max(1, (typical - val - h) // m)
            p["seq_size"] = m * min(seasons, fits)
        else:  # a short series' input repeats its first point
            p["seq_size"] = max(2 * h, min(6 * h, typical - val - h))
        if p["patch_size"] is not None:  # whole patches
            p["seq_size"] = max(p["patch_size"], p["seq_size"] // p["patch_size"] * p["patch_size"])
    L = p["seq_size"]
    seasonal = seasonal and L % m == 0
    if p["patch_size"] is None:  # one season per LSTM step: a short recurrence, several times faster
        p["patch_size"] = m if seasonal and p["head"] == "direct" else 1
    if p["seasonal_base"] is None:  # forecast the departure from the last season repeated
        p["seasonal_base"] = seasonal and p["head"] == "direct" and L >= m
    if p["drift_base"] is None:  # without a season: the departure from the drift (last value along the input's slope)
        p["drift_base"] = not p["seasonal_base"] and not seasonal and p["head"] == "direct" and L >= 2
    # Log ("auto": series whose values are all positive) only where a season is modelled: without
    # one, the network's additive change becomes a growth rate that compounds over the horizon.
    if p["log"] == "auto" and not seasonal:
        p["log"] = False
    windows = int(np.maximum(lengths - p["val_size"] - h, 1).sum())  # training windows (short series padded)

    # Training: MAE (the median, as sMAPE and MASE reward), Adam 3e-3 decayed along a cosine;
    # batches and steps grow with the windows, about eight passes over them, within bounds.
    p["loss"] = p["loss"] or "mae"
    p["lr"] = p["lr"] or 3e-3
    p["lr_schedule"] = p["lr_schedule"] or "cosine"
    if p["batch_size"] is None:
        p["batch_size"] = int(np.clip(2 ** int(math.log2(max(windows // 16, 1))), 32, 256))
    if p["hidden_dim"] is None:
        p["hidden_dim"] = 128 if windows >= 50_000 else 64
    if p["steps"] is None:
        p["steps"] = int(np.clip(round(8 * windows / p["batch_size"], -2), 1500, 6000))
    if p["eval_every"] is None:
        p["eval_every"] = max(25, p["steps"] // 60)
    if p["ensemble"] is None:  # the mean of five networks: -0.02 OWA on M4 Hourly
        p["ensemble"] = 5
    if p["refit"] is None:  # cheap fits train again on every point, for the steps validation chose
        p["refit"] = estimated_seconds(p) < REFIT_SECONDS
    return p


def estimated_seconds(p: dict) -> float:
    """Training seconds on this project's 2-core machine, from the LSTM's gate work."""
    lstm_steps = p["seq_size"] // p["patch_size"]
    units = p["steps"] * p["batch_size"] * p["ensemble"] * lstm_steps * p["hidden_dim"] * (p["hidden_dim"] + p["patch_size"])
    return units / UNITS_PER_SECOND
