"""``Forecaster``: one LSTM trained across every series of a panel, forecasting ``h`` steps.

The pipeline, in order:

1. ``data.to_panel`` validates the input into one contiguous array of all series.
2. Each series is log-transformed when all its values are positive (``log="auto"``, seasonal data)
   and standardised with its own training statistics (the last ``val_size`` points excluded).
3. Training windows of ``seq_size + h`` points are drawn by index arithmetic over that array;
   each window is centred on the mean of its input part, so one network serves series of any
   level.
4. The network reads the input part and forecasts either recursively (one step ahead, the
   hidden state carried forward) or directly (all ``h`` steps from the last hidden state).
5. The last ``val_size`` points of each series score the forecast every ``eval_every`` steps,
   over rolling windows of ``h`` points (``intervals.calibration_windows``); the best weights are
   kept (early stopping), and their errors there calibrate the conformal intervals.
6. Forecasts are de-centred, de-standardised and exponentiated back to the data's units.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from . import distributed
from .checkpoints import Checkpoints
from .data import _step, check_freq, future_times, season_length, to_panel
from .errors import ModelFileError, NotFittedError, SeriesValidationError
from .intervals import calibration_windows, conformal_widths, too_few_errors
from .model import LSTMConfig, LSTMNetwork
from .params import (MAX_BATCH, MAX_HORIZON, MAX_SEASON, MAX_SEED, MAX_SEQ_SIZE, MAX_STEPS, MAX_THREADS, Params, check_choice,
                     bool_arg, check_device, check_int, check_number, integer_arg, levels_arg, path_arg)
from .fields import BOOL, DICT, TEXT, Field, check_fields, integer, list_of, number, one_of
from .persistence import MAX_UNITS, WEIGHTS, atomic_output, check_tensor, load_estimator, load_model, load_network, save_model
from .scaling import mean_std
from .training import check_network_memory, choose_micro_batch, choose_threads, fit_network, native_bf16, num_threads, seeded
from .recipe import choose
from .windows import EpochSampler, WindowBatches, padded_store, points_before, window_counts

HEADS = ("recursive", "direct")
MEMBER_SEED_STRIDE = 10_007  # ensemble member k trains with seed + k * stride: nearby seeds share no member
LOSSES = ("mse", "mae")
INTERVALS = ("conformal", "quantile")
MAX_PREDICT_HORIZON = 10**4  # steps predict(h=) goes past the trained h: 10**5 recursive steps would run for minutes
MAX_LAYERS, MAX_ENSEMBLE = 1000, 1000


@dataclass(frozen=True)
class ForecastSpec:
    """Every setting the forecast path reads, fixed at ``fit`` (``Forecaster.spec_``): changing
    a parameter after ``fit`` (``set_params``) changes the next fit, never a fitted model."""

    h: int
    head: str
    patch_size: int
    seasonal_base: bool
    intervals: str
    quantile_levels: tuple[float, ...]
    alias: str
    id_col: str
    time_col: str

    @classmethod
    def from_params(cls, params: dict) -> "ForecastSpec":
        spec = {f.name: params[f.name] for f in fields(cls)}
        return cls(**dict(spec, quantile_levels=tuple(spec["quantile_levels"])))


class Forecaster(Params):
    """A global LSTM forecaster for one or many series.

    Every setting left None is chosen from the data at ``fit`` by :func:`recipe.choose` (input
    length, points per LSTM step, seasonal base, loss, schedule, batch, steps, ensemble,
    held-out points, refit); ``params_`` holds what the fit used. Explicit settings always win.

    Args:
        h: forecast horizon (steps).
        seq_size: input window length; series shorter than it are padded with their first value.
        hidden_dim: LSTM hidden units.
        num_layers: stacked LSTM layers.
        head: "direct" (all ``h`` steps from the last hidden state) or "recursive" (one step
            ahead, feeding each forecast back and carrying the LSTM state).
        patch_size: points fed to the LSTM per step (direct head); 24 on hourly data reads one
            day per step, a shorter recurrence that trains several times faster.
        seasonal_base: direct head only: forecast the departure from the input's last season
            repeated, instead of from its mean.
        dropout: dropout between stacked LSTM layers.
        loss: "mse" (squared error, forecasts the mean) or "mae" (absolute error, forecasts the
            median; closer to sMAPE and MASE), in model space, for training and validation.
        ensemble: networks trained with seeds ``seed, seed + 10007, ...``; forecasts are their mean.
        intervals: how ``predict(level=...)`` builds intervals: "conformal" (the default:
            split conformal on the held-out errors, any level) or "quantile" (a head that
            learns the median and the bounds of ``quantile_levels`` with the pinball loss;
            direct head only).
        quantile_levels: interval levels in percent the quantile head learns.
        checkpoint_dir: where to write training checkpoints (model, optimizer, step, RNG states)
            every ``checkpoint_every`` steps, atomically; ``fit(..., resume=True)`` continues from them.
        steps: training steps (Adam), at most; validation may restore an earlier best.
        batch_size: windows per step.
        micro_batch_size: windows per forward and backward pass; a step's passes add up to the
            gradient of its whole batch. None: on a CPU, the largest share of the batch whose
            LSTM buffers fit in the CPU's cache (1.5-2.6x faster where the batch's do not, and
            less memory); on a GPU, the whole batch.
        lr: Adam learning rate.
        lr_schedule: "constant" or "cosine" (decay to lr / 10 over ``steps``).
        log: "auto" (log-transform series whose values are all positive, where the recipe
            models a season; see ``recipe.choose``), True or False.
        val_size: points held out at the end of each series for early stopping and interval
            calibration (windows of ``h`` rolling over them); 0 for none. Series too short to
            hold them out train on all their points.
        eval_every: steps between validation scores.
        patience: validation scores without improvement before stopping; None never stops early.
        grad_clip: global gradient-norm clip; None disables it.
        refit: after validation, train again on every point for the best number of steps
            (calibration stays from the held-out points).
        time_budget: seconds of training at most, shared by the ensemble's networks; training
            ends at the budget with the best weights kept. None: no limit.
        season: seasonal period; None infers it from the frequency (12 for monthly...).
        freq, time_format, fill_missing, aggregate_duplicates, id_col, time_col, target_col: how to
            read the data (see ``to_panel``); freq="obs" indexes series by their observations
            (trading days), time_format="%Y%m%d" reads dates that are not ISO 8601.
        seed: makes training repeatable; None draws a fresh seed.
        threads: torch intra-op threads while training and forecasting; None chooses from the model size.
        device: "cpu" or "cuda" (the data are moved to the device once, before training).
        precision: "fp32", "bf16" (train under bfloat16 autocast; weights stay fp32), or "auto":
            bf16 for networks of 128 hidden units or more where the device computes it natively
            (CPUs with AVX512-BF16 or AMX, GPUs that support it), else fp32. On M4 Hourly bf16
            scored the same and trained 1.8x faster; smaller networks gain nothing from it.
        alias: the name of the forecast column.
        progress: show a progress bar on a terminal.
    """

    def __init__(
        self,
        h: int,
        seq_size: int | None = None,
        hidden_dim: int | None = None,
        num_layers: int = 1,
        *,
        head: str = "direct",
        patch_size: int | None = None,
        seasonal_base: bool | None = None,
        dropout: float = 0.0,
        loss: str | None = None,
        ensemble: int | None = None,
        intervals: str = "conformal",
        quantile_levels: tuple = (80, 95),
        checkpoint_dir=None,
        checkpoint_every: int = 500,
        steps: int | None = None,
        batch_size: int | None = None,
        micro_batch_size: int | None = None,
        lr: float | None = None,
        lr_schedule: str | None = None,
        log="auto",
        val_size: int | None = None,
        eval_every: int | None = None,
        patience: int | None = None,
        grad_clip: float | None = 1.0,
        refit: bool | None = None,
        time_budget: float | None = None,
        season: int | None = None,
        freq=None,
        time_format: str | None = None,
        fill_missing: str | None = None,
        aggregate_duplicates: str | None = None,
        id_col: str = "unique_id",
        time_col: str = "ds",
        target_col: str = "y",
        seed: int | None = None,
        threads: int | None = None,
        device: str = "cpu",
        precision: str = "auto",
        alias: str = "LSTM",
        progress: bool = False,
    ):
        self.h = h
        self.seq_size = seq_size
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.head = head
        self.patch_size = patch_size
        self.seasonal_base = seasonal_base
        self.dropout = dropout
        self.loss = loss
        self.ensemble = ensemble
        self.intervals = intervals
        self.quantile_levels = quantile_levels
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.steps = steps
        self.batch_size = batch_size
        self.micro_batch_size = micro_batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.log = log
        self.val_size = val_size
        self.eval_every = eval_every
        self.patience = patience
        self.grad_clip = grad_clip
        self.refit = refit
        self.time_budget = time_budget
        self.season = season
        self.freq = freq
        self.time_format = time_format
        self.fill_missing = fill_missing
        self.aggregate_duplicates = aggregate_duplicates
        self.id_col = id_col
        self.time_col = time_col
        self.target_col = target_col
        self.seed = seed
        self.threads = threads
        self.device = device
        self.precision = precision
        self.alias = alias
        self.progress = progress

    _PARAMS = ("h", "seq_size", "hidden_dim", "num_layers", "head", "patch_size", "seasonal_base", "dropout", "loss", "ensemble", "intervals", "quantile_levels", "checkpoint_dir", "checkpoint_every", "steps", "batch_size", "micro_batch_size", "lr", "lr_schedule", "log",
               "val_size", "eval_every", "patience", "grad_clip", "refit", "time_budget", "season", "freq", "time_format", "fill_missing", "aggregate_duplicates", "id_col",
               "time_col", "target_col", "seed", "threads", "device", "precision", "alias", "progress")

    def __repr__(self) -> str:
        return f"Forecaster(h={self.h}, seq_size={self.seq_size}, hidden_dim={self.hidden_dim}, head={self.head!r})"

    # -- settings ----------------------------------------------------------------------------
    def _check_settings(self) -> None:
        self._check_values()
        self._check_combinations()

    def _check_values(self) -> None:
        """Each setting on its own; numpy scalars become Python numbers."""
        if isinstance(self.val_size, str) and self.val_size == "auto":  # model files before the recipe
            self.val_size = None
        for name, hi in (("h", MAX_HORIZON), ("num_layers", MAX_LAYERS), ("checkpoint_every", MAX_STEPS)):
            check_int(self, name, 1, hi)
        for name, lo, hi in (("seq_size", 1, MAX_SEQ_SIZE), ("season", 1, MAX_SEASON), ("patience", 1, MAX_STEPS),
                             ("hidden_dim", 1, MAX_UNITS), ("ensemble", 1, MAX_ENSEMBLE), ("steps", 1, MAX_STEPS),
                             ("batch_size", 1, MAX_BATCH), ("eval_every", 1, MAX_STEPS), ("patch_size", 1, MAX_SEASON),
                             ("val_size", 0, MAX_SEQ_SIZE), ("micro_batch_size", 1, MAX_BATCH), ("threads", 1, MAX_THREADS),
                             ("seed", 0, MAX_SEED)):
            check_int(self, name, lo, hi, optional=True)
        check_number(self, "lr", 0, 1, low_open=True, optional=True)
        check_number(self, "dropout", 0, 0.999)
        check_number(self, "grad_clip", 0, math.inf, low_open=True, optional=True)
        check_number(self, "time_budget", 0, MAX_STEPS, low_open=True, optional=True)
        for name, choices in (("head", HEADS), ("precision", ("auto", "fp32", "bf16")), ("lr_schedule", ("constant", "cosine", None)),
                              ("intervals", INTERVALS), ("loss", LOSSES + (None,)), ("log", ("auto", True, False)),
                              ("seasonal_base", (True, False, None)), ("refit", (True, False, None)), ("progress", (True, False))):
            check_choice(self, name, choices)
        check_device(self)
        if self.time_format is not None and not (isinstance(self.time_format, str) and self.time_format.strip()):
            raise SeriesValidationError(f"time_format={self.time_format!r} must be a strftime format such as '%Y%m%d', or None for ISO 8601")
        if self.checkpoint_dir is not None:
            path_arg("checkpoint_dir", self.checkpoint_dir)
        columns = (self.id_col, self.time_col, self.target_col)
        if not all(isinstance(c, str) and c for c in columns) or len(set(columns)) < 3:
            raise SeriesValidationError(f"id_col, time_col, target_col = {columns!r} must be three distinct non-empty column names")
        if not isinstance(self.alias, str) or self.alias in ("", "cutoff", "y", self.id_col, self.time_col):
            raise SeriesValidationError(f"alias={self.alias!r} must be a non-empty column name other than "
                                        f"{self.id_col!r}, {self.time_col!r}, 'cutoff' and 'y'; e.g. alias='LSTM'", argument="alias")

    def _check_combinations(self) -> None:
        """Settings that must fit together for a fit (a loaded model's fitted ones are checked
        in :meth:`load`: its params may have been changed after fit)."""
        if self.intervals == "quantile":
            if self.head != "direct":
                raise SeriesValidationError("intervals='quantile' needs head='direct'")
            levels = self.quantile_levels
            if (not isinstance(levels, (list, tuple)) or not levels or len(set(levels)) < len(levels)
                    or not all(PERCENT.ok(v) and math.isfinite(v) for v in levels)):
                raise SeriesValidationError(f"quantile_levels={levels!r} must be a list of distinct percentages between 0 and 100, e.g. [80, 95]")
        if self.head == "recursive" and (self.patch_size not in (None, 1) or self.seasonal_base):
            raise SeriesValidationError("patch_size and seasonal_base work with head='direct' only; set head='direct'")

    def _read(self, data):
        return to_panel(data, id_col=self.id_col, time_col=self.time_col, target_col=self.target_col,
                        freq=self.freq, time_format=self.time_format, fill_missing=self.fill_missing, aggregate_duplicates=self.aggregate_duplicates)

    # -- the transform of step 2 ---------------------------------------------------------------
    def _fit_scaling(self, panel, train_len: np.ndarray) -> None:
        """Per series: whether to log (decided on every value it holds, since every one is
        transformed), and shift and scale from the training part only."""
        S = len(panel.ids)
        positive = np.array([bool(np.all(panel.series(i) > 0)) for i in range(S)])
        log = self.params_["log"]  # the recipe's choice where log="auto"
        if log is True and not positive.all():
            i = int(np.argmin(positive))
            raise SeriesValidationError(
                f"log=True needs positive values, but series {panel.ids[i]!r} has the value "
                f"{float(panel.series(i)[np.argmax(panel.series(i) <= 0)])!r}; use log='auto' or False"
            )
        self.log_ = positive if log == "auto" else np.full(S, bool(log))
        self.shift_, self.scale_ = np.empty(S), np.empty(S)
        for i in range(S):
            part = panel.series(i)[: train_len[i]]
            v = np.log(part) if self.log_[i] else part
            shift, scale = mean_std(v)
            size = float(np.max(np.abs(v)))
            # A spread within rounding is a constant: its scale is a thousandth of its size, so the
            # network's small error on it stays small in the data's units, whatever its magnitude.
            constant = scale <= 64 * np.finfo(np.float64).eps * size
            self.shift_[i], self.scale_[i] = shift, (1e-3 * size or 1.0) if constant else scale

    def _model_space_store(self, panel) -> np.ndarray:
        """All series in model space, one float32 array; refuses a series it cannot represent."""
        z_all = np.empty(len(panel.values), dtype=np.float32)
        with np.errstate(over="ignore"):
            for i, o in enumerate(panel.offsets[:-1]):
                z_all[o : o + panel.lengths[i]] = self._transform(panel.series(i)[None, :], np.array([i]))[0]
        bad = ~np.isfinite(z_all)
        if bad.any():
            i = int(np.searchsorted(panel.offsets, np.argmax(bad), side="right")) - 1
            k = int(np.argmax(bad[panel.offsets[i] : panel.offsets[i + 1]]))
            raise SeriesValidationError(
                f"series {panel.ids[i]!r} cannot be scaled: its value {float(panel.series(i)[k])!r} at position {k} is "
                f"too far from the training part's level ({self.shift_[i]:.6g}, spread {self.scale_[i]:.6g}); "
                "check that value, or rescale the series"
            )
        return z_all

    def _transform(self, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Rows of raw values ``[S, T]`` of series ``rows`` to model space."""
        log = self.log_[rows][:, None]
        outside = log & ~(values > 0)
        if outside.any():
            r, k = np.argwhere(outside)[0]
            raise SeriesValidationError(
                f"series {self.ids_[rows[r]]!r} has the value {float(values[r, k])!r}, but the model log-transforms it "
                "(all its values were positive at fit); refit on data that includes it, or with log=False"
            )
        v = np.where(log, np.log(np.where(log, values, 1.0)), values)
        scale = self.scale_[rows][:, None]
        return v / scale - self.shift_[rows][:, None] / scale  # never v - shift: both near 1e308 would overflow

    def _inverse(self, z: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Model space back to the data's units; a value too large to represent becomes inf,
        which :meth:`_finite` refuses (never capped)."""
        with np.errstate(over="ignore", invalid="ignore"):
            v = z * self.scale_[rows][:, None] + self.shift_[rows][:, None]
            return np.where(self.log_[rows][:, None], np.exp(v), v)

    def _finite(self, columns: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
        """The forecast path's last guard: every output value is finite, or the series is named."""
        for name, values in columns.items():
            bad = ~np.isfinite(values.reshape(len(rows), -1))
            if bad.any():
                r = int(np.argmax(bad.any(1)))
                raise SeriesValidationError(
                    f"series {self.ids_[rows[r]]!r}: the forecast {name!r} is {float(values.reshape(len(rows), -1)[bad][0])!r}: "
                    "it cannot be represented (values too large for the model or the float range); "
                    "rescale the series (e.g. divide it by a power of ten) and refit"
                )
        return columns

    # -- the forecast of step 4 ----------------------------------------------------------------
    def _quantiles(self) -> list[float]:
        """Probabilities the head outputs: the median, then each level's lower and upper bound."""
        if self.spec_.intervals != "quantile":
            return [0.5]
        return [0.5] + [q for lv in self.spec_.quantile_levels for q in ((1 - lv / 100) / 2, (1 + lv / 100) / 2)]

    def _direct_parts(self, window: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The direct head's input ``[B, seq_size / patch_size, patch_size]`` from windows
        ``[B, seq_size]``, and what its output is added to, ``[B, 1, h]`` (or ``[B, 1, 1]``).

        The window is centred on its mean and fed ``patch_size`` points per LSTM step; with
        ``seasonal_base`` the network forecasts the departure from the window's last season
        repeated (seasonal naive), else from the window's mean.
        """
        level = window.mean(1, keepdim=True)  # [B, 1]
        B, L = window.shape
        x = (window - level).view(B, L // self.spec_.patch_size, self.spec_.patch_size)
        if self.spec_.seasonal_base:  # the last season, repeated over the horizon
            m = self.season_
            return x, window[:, None, L - m :].repeat(1, 1, -(-self.spec_.h // m))[:, :, : self.spec_.h]
        return x, level[:, :, None]

    def _direct_block(self, net: LSTMNetwork, window: torch.Tensor, *, quantiles: bool = False) -> torch.Tensor:
        """The direct head's ``h`` steps in model space: ``[B, h]`` (the median when the head
        has quantiles), or ``[B, Q, h]`` with ``quantiles``."""
        x, offset = self._direct_parts(window)
        out = net(x, last_only=True)[0].reshape(len(x), -1, self.spec_.h) + offset  # [B, Q, h]
        return out if quantiles else out[:, 0]

    def _forecast_z(self, net: LSTMNetwork, z: torch.Tensor, h: int) -> torch.Tensor:
        """Forecast ``h`` steps from windows ``z`` ``[S, seq_size]`` in model space."""
        if self.spec_.head == "recursive":
            level = z.mean(1, keepdim=True)  # [S, 1]
            out, state = net((z - level).unsqueeze(-1))  # [S, L, 1]
            step = out[:, -1]  # [S, 1]
            preds = [step]
            for _ in range(h - 1):
                out, state = net(step.unsqueeze(-1), state)  # carry the state: one step per call
                step = out[:, -1]
                preds.append(step)
            return torch.cat(preds, 1) + level  # [S, h]
        preds, window = [], z
        for _ in range(-(-h // self.spec_.h)):  # blocks of the trained h for horizons past it
            block = self._direct_block(net, window)  # [S, trained h]
            preds.append(block)
            window = torch.cat([window, block], 1)[:, -window.shape[1] :]
        return torch.cat(preds, 1)[:, :h]

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, data, *, resume: bool = False) -> "Forecaster":
        """Train on ``data`` (any form ``to_panel`` accepts). Returns self.

        Args:
            data: the series.
            resume: continue from the checkpoints in ``checkpoint_dir`` written by an earlier,
                interrupted ``fit`` with the same settings and data.
        """
        self._check_settings()
        self.__dict__.pop("nets_", None)  # a refit that fails leaves no half-updated model to predict with
        if bool_arg("resume", resume) and self.checkpoint_dir is None:
            raise SeriesValidationError("resume=True needs checkpoint_dir= (CLI: --checkpoint-dir), where the run saved its checkpoints")
        if self.hidden_dim is not None:  # before reading: a network too large is refused at once
            check_network_memory(LSTMConfig(self.patch_size or 1, self.hidden_dim, self.h, self.num_layers, self.dropout), self.ensemble or 1)
        deadline = None if self.time_budget is None else time.perf_counter() + self.time_budget
        panel = distributed.agree(lambda: self._read(data))  # a data error on any rank stops them all
        own_panel = panel is not data  # read here: its raw values can go once the model has its own copy
        self.season_ = season = self.season or season_length(panel.freq)
        self.params_ = s = self._resolve(panel.lengths, season)  # what this fit used: saved with the model
        self.spec_ = ForecastSpec.from_params(s)
        config = LSTMConfig(s["patch_size"], s["hidden_dim"], self.h * len(self._quantiles()) if s["head"] == "direct" else 1,
                            s["num_layers"], s["dropout"])
        check_network_memory(config, s["ensemble"])
        h, L = self.h, s["seq_size"]
        # Held-out points: series too short to hold them out train on all theirs.
        val = s["val_size"]
        validated = panel.lengths >= val + h + 1 if val else np.zeros(len(panel.ids), dtype=bool)
        if val and not validated.any():
            validated[:], val = False, 0
        train_len = panel.lengths - np.where(validated, val, 0)
        if int(np.maximum(train_len - h, 0).sum()) == 0:
            longest = int(np.argmax(panel.lengths))
            raise SeriesValidationError(
                f"no series has more than h={h} points (the longest, {panel.ids[longest]!r}, has {int(panel.lengths[longest])}); "
                "training needs at least one series with h + 1 points: use a smaller h="
            )
        # Step 2: the transform, then every series in model space.
        self.ids_ = list(panel.ids)
        self._fit_scaling(panel, train_len)
        self.seq_size_, self.val_size_ = L, val
        z_all = self._model_space_store(panel)
        device = torch.device(self.device)
        starts = panel.offsets[:-1]
        self.tail_ = panel.values[points_before(starts, panel.offsets[1:], L)]  # [S, L] raw, for predict
        checkpoints = Checkpoints(self, panel) if self.checkpoint_dir is not None else None  # hashes the raw values
        if own_panel:
            panel.values = np.empty(0)  # training needs only the model-space store from here on
        # Step 3: windows. Calibration windows roll over the held-out part of validated series.
        rows = np.flatnonzero(validated)
        self.cal_stride_, J, V = calibration_windows(val, h)
        cuts = train_len[rows, None] + self.cal_stride_ * np.arange(J)[None, :]  # [rows, J]
        ends = (starts[rows, None] + cuts).ravel()  # store positions of the cutoffs
        cal_in = torch.as_tensor(z_all[points_before(np.repeat(starts[rows], J), ends, L)], device=device)
        cal_out = torch.as_tensor(z_all[ends[:, None] + np.arange(V)], device=device)
        validate = self._validator(cal_in, cal_out, s) if val else None
        store = torch.as_tensor(z_all, device=device)
        pad = L - 1 if (train_len < L + h).any() else 0
        if pad:  # short series: windows whose input starts before the series repeat its first point
            index, padded_starts = padded_store(panel.offsets, pad)
            store = store[torch.as_tensor(index, device=device)]
        else:
            padded_starts = starts
        self._train_members(store, padded_starts, train_len + pad, s, config, validate, checkpoints, resume, deadline, member0=0)
        self.residuals_ = self._calibration_errors(cal_in, cal_out, V).reshape(len(rows), J, V) if val else np.zeros((0, 1, 0))
        self.calibrated_ = rows
        if s["refit"] and val:  # again on every point, each network for the steps validation chose
            steps = [r.best_step or r.steps_run for r in self.history_]
            self._train_members(store, padded_starts, panel.lengths + pad, s, config, None, checkpoints, resume, deadline,
                                member0=s["ensemble"], steps=steps)
        # Each series' typical seasonal change in model space: conformal errors are measured in
        # units of it, so calm series get narrow intervals and volatile ones wide.
        m = season if int(train_len.min()) > season else 1
        spread = np.array([np.mean(np.abs(z_all[o + m : o + n] - z_all[o : o + n - m])) if n > m else 0.0
                           for o, n in zip(starts, train_len)])
        moving = spread[spread > 0]
        self.spread_ = np.maximum(spread, 0.1 * np.median(moving) if len(moving) else 1.0)
        self.freq_ = panel.freq
        self.last_times_ = [panel.last_time(i) for i in range(len(panel.ids))]
        return self

    def _resolve(self, lengths: np.ndarray, season: int) -> dict:
        """Every setting of this fit: the given ones, and the recipe's for those left None."""
        s = choose(self.get_params(), lengths, season)
        if s["precision"] == "auto":  # bf16 pays where the gate products are large: M4 1.8x faster, M1 (hidden 64) 0.8x
            s["precision"] = "bf16" if s["hidden_dim"] >= 128 and native_bf16(torch.device(self.device)) else "fp32"
        if s["seq_size"] % s["patch_size"]:
            raise SeriesValidationError(f"seq_size={s['seq_size']} must be a multiple of patch_size={s['patch_size']}; "
                                        f"use seq_size={max(s['patch_size'], s['seq_size'] // s['patch_size'] * s['patch_size'])}")
        if s["seasonal_base"] and s["seq_size"] < season:
            raise SeriesValidationError(f"seasonal_base needs seq_size >= season ({season}); got seq_size={s['seq_size']}")
        return s  # a recursive head with patches was refused before reading (_check_combinations); the recipe gives it none

    @staticmethod
    def _error(s: dict):
        """The elementwise error of training and validation: absolute for MAE and quantiles, else squared."""
        return torch.abs if s["loss"] == "mae" or s["intervals"] == "quantile" else torch.square

    def _loss(self, s: dict, device: torch.device):
        """The training loss of windows ``[B, seq_size + h]`` for network ``net``."""
        L, h = s["seq_size"], self.h
        error = self._error(s)
        probs = torch.tensor(self._quantiles(), device=device)[None, :, None]  # [1, Q, 1]

        def compute_loss(net, w):
            if s["head"] == "direct":  # the offset goes to the target's side: no autograd work for it
                x, offset = self._direct_parts(w[:, :L])
                target = w[:, None, L:] - offset  # [B, 1, h]
                out = net(x, last_only=True)[0]  # [B, Q * h]
                if s["intervals"] == "quantile":  # pinball loss over every quantile; the median's is MAE / 2
                    e = target - out.reshape(len(out), -1, h)  # [B, Q, h]
                    return torch.mean(torch.maximum(probs * e, (probs - 1) * e))
                return torch.mean(error(out - target[:, 0]))
            u = w - w[:, :L].mean(1, keepdim=True)  # centred on the input part
            out = net(u[:, :-1].unsqueeze(-1))[0].squeeze(-1)  # [B, L + h - 1], one step ahead
            return torch.mean(error(out - u[:, 1:]))

        if s["precision"] == "fp32":
            return compute_loss

        def loss_bf16(net, w):
            with torch.autocast(device.type, dtype=torch.bfloat16):
                return compute_loss(net, w).float()
        return loss_bf16

    def _validator(self, cal_in: torch.Tensor, cal_out: torch.Tensor, s: dict):
        error = self._error(s)

        def validate(net):
            return torch.mean(error(self._forecast_z(net, cal_in, cal_out.shape[1]) - cal_out)).item()
        return validate

    def _calibration_errors(self, cal_in: torch.Tensor, cal_out: torch.Tensor, V: int) -> np.ndarray:
        """The ensemble's errors on the held-out windows, ``[rows, V]`` in model space."""
        with torch.inference_mode():
            fc = torch.stack([self._forecast_z(net, cal_in, V) for net in self.nets_]).mean(0)
        return (cal_out - fc).double().cpu().numpy()

    def _train_members(self, store, starts, lengths, s, config, validate, checkpoints, resume, deadline, *, member0, steps=None):
        """Train ``s["ensemble"]`` networks on the windows of series of ``lengths`` points beginning
        at ``starts`` in ``store``; they replace ``nets_`` (``history_`` keeps every run)."""
        device, L, h = store.device, s["seq_size"], self.h
        counts = torch.as_tensor(window_counts(lengths, L + h), device=device)  # windows per series
        cum = torch.cumsum(counts, 0)
        first = torch.as_tensor(starts, device=device) - cum + counts  # store position of window k is first[series] + k
        total = int(cum[-1])
        windows = store.unfold(0, L + h, 1)  # every window, a view
        loss_fn = self._loss(s, device)
        rank, world = distributed.rank_and_world()
        per_process = s["batch_size"] // world  # windows each process takes per step
        threads = choose_threads(per_process, s["hidden_dim"], self.threads, processes=distributed.local_processes())
        micro_batches = self._micro_batches(per_process, L // s["patch_size"] if s["head"] == "direct" else L + h - 1, device, s)
        runs = s["ensemble"] * (2 if s["refit"] and self.val_size_ else 1)
        nets = []
        if member0 == 0:
            self.history_ = []
        with checkpoints.locked() if checkpoints else contextlib.nullcontext():
            for k in range(s["ensemble"]):  # members differ only in their seed
                member = member0 + k
                seed = None if self.seed is None else self.seed + MEMBER_SEED_STRIDE * k
                limit = None if deadline is None else max(deadline - time.perf_counter(), 0) / (runs - member)
                with seeded(seed) as gen, num_threads(threads):
                    net = LSTMNetwork(config).to(device)
                    sampler_seed = seed if seed is not None else int(torch.randint(2**31 - 1, (1,), generator=gen))
                    batches = WindowBatches(EpochSampler(total, s["batch_size"], sampler_seed, rank=rank, world=world), first, cum)
                    result = fit_network(
                        distributed.wrap(net), lambda step: windows.index_select(0, batches(step)), loss_fn,
                        steps=steps[k] if steps else s["steps"], schedule_steps=s["steps"], lr=s["lr"],
                        grad_clip=s["grad_clip"], validate=validate, eval_every=s["eval_every"], patience=s["patience"],
                        progress=self.progress, schedule=s["lr_schedule"], generator=gen, time_limit=limit,
                        resume_from=checkpoints.load(member) if checkpoints and resume else None,
                        checkpoint=checkpoints.saver(member) if checkpoints else None,
                        checkpoint_every=self.checkpoint_every, micro_batches=micro_batches,
                    )
                nets.append(net)
                self.history_.append(result)
        self.nets_ = nets

    def _micro_batches(self, batch: int, lstm_steps: int, device: torch.device, s: dict) -> int:
        """Forward/backward passes per training step for each process's ``batch`` windows."""
        if self.micro_batch_size is not None:
            size = self.micro_batch_size
        elif device.type == "cpu":
            size = choose_micro_batch(batch, lstm_steps, s["hidden_dim"], s["num_layers"])
        else:
            size = batch
        if batch % size:
            raise SeriesValidationError(
                f"micro_batch_size={size} must divide the windows each process takes per step ({batch}); "
                f"use a divisor of {batch}, or None"
            )
        return batch // size

    # -- predicting ----------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "nets_"):
            raise NotFittedError(
                "This Forecaster instance is not fitted yet. Call 'fit' with data before 'predict', "
                "or load a saved model with Forecaster.load"
            )

    def _forecast_z_all(self, tail: np.ndarray, rows: np.ndarray, h: int) -> np.ndarray:
        """The ensemble's mean forecast ``[S, h]`` in model space from raw windows ``[S, seq_size]``."""
        device = next(self.nets_[0].parameters()).device
        z = torch.as_tensor(self._transform(tail, rows), dtype=torch.float32, device=device)
        with torch.inference_mode():
            out = torch.stack([self._forecast_z(net, z, h) for net in self.nets_]).mean(0)
        return out.double().cpu().numpy()

    def interval_widths(self, level: float, h: int) -> np.ndarray:
        """Conformal half-widths ``[S, h]`` in model space (see :func:`intervals.conformal_widths`)."""
        if self.residuals_.shape[2] == 0:
            raise SeriesValidationError(
                "intervals need held-out errors, but this model was fitted with val_size=0 (or on series too short "
                "to hold out h points); refit with val_size=None or a positive val_size"
            )
        unit = conformal_widths(self.residuals_, self.spread_[self.calibrated_], level, h)  # [h]
        return self.spread_[:, None] * unit[None, :]

    def interval_warnings(self, level=None) -> dict[str, str]:
        """``{"95": message}`` for each conformal level whose calibration rests on too few held-out
        errors (see :func:`intervals.too_few_errors`); output frames carry it as
        ``frame.attrs["interval_warnings"]``."""
        self._check_fitted()
        if self.spec_.intervals != "conformal":
            return {}
        found = {f"{lv:g}": too_few_errors(self.residuals_.size, lv) for lv in levels_arg(level)}
        return {lv: message for lv, message in found.items() if message}

    def forecast_array(self, tail: np.ndarray, rows: np.ndarray, h: int, level=None) -> dict[str, np.ndarray]:
        """Forecasts from raw windows ``tail`` ``[S, seq_size]`` of (fitted) series ``rows``.

        Returns:
            ``{alias: [S, h]}`` plus ``{alias}-lo-{l}`` and ``{alias}-hi-{l}`` for each level.
        """
        # threads chosen as for training: torch's default of one per core made a small model's
        # forecast a thousand times slower on a machine where other processes held the cores
        level = levels_arg(level)
        with num_threads(choose_threads(len(rows), self.nets_[0].config.hidden_dim, self.threads)):
            return self._forecast_array(tail, rows, h, level)

    def _forecast_array(self, tail: np.ndarray, rows: np.ndarray, h: int, level) -> dict[str, np.ndarray]:
        z = self._forecast_z_all(tail, rows, h)
        out = {self.spec_.alias: self._inverse(z, rows)}
        if level and self.spec_.intervals == "quantile":
            return self._finite({**out, **self._quantile_bounds(tail, rows, h, level)}, rows)
        for lv in level or []:
            w = self.interval_widths(lv, h)[rows]
            out[f"{self.spec_.alias}-lo-{lv:g}"] = self._inverse(z - w, rows)
            out[f"{self.spec_.alias}-hi-{lv:g}"] = self._inverse(z + w, rows)
        return self._finite(out, rows)

    def _quantile_bounds(self, tail: np.ndarray, rows: np.ndarray, h: int, level) -> dict[str, np.ndarray]:
        """Interval bounds from the quantile head (``intervals="quantile"``)."""
        missing = [lv for lv in level if lv not in self.spec_.quantile_levels]
        if missing:
            raise SeriesValidationError(
                f"level={missing} was not learned: this model's quantile head has quantile_levels="
                f"{list(self.spec_.quantile_levels)}; refit with those levels or use intervals='conformal'"
            )
        if h > self.spec_.h:
            raise SeriesValidationError(f"quantile intervals reach h={self.spec_.h} (the trained horizon), not h={h}; use intervals='conformal'")
        device = next(self.nets_[0].parameters()).device
        z = torch.as_tensor(self._transform(tail, rows), dtype=torch.float32, device=device)
        with torch.inference_mode():
            q = torch.stack([self._direct_block(net, z, quantiles=True) for net in self.nets_]).mean(0)
        q = q.double().cpu().numpy()[:, :, :h]  # [S, Q, h]
        bands, lo, hi = {}, q[:, 0], q[:, 0]
        for lv in sorted(self.spec_.quantile_levels):  # never crossed: each band holds the median and every narrower band
            k = 1 + 2 * list(self.spec_.quantile_levels).index(lv)
            lo, hi = np.minimum(lo, q[:, k:k + 2].min(1)), np.maximum(hi, q[:, k:k + 2].max(1))
            bands[lv] = lo, hi
        out = {}
        for lv in level:
            out[f"{self.spec_.alias}-lo-{lv:g}"] = self._inverse(bands[lv][0], rows)
            out[f"{self.spec_.alias}-hi-{lv:g}"] = self._inverse(bands[lv][1], rows)
        return out

    def forecast_windows(self, panel, cuts: np.ndarray, h: int, level=None) -> dict[str, np.ndarray]:
        """Forecasts ``[S, W, h]`` from the ``seq_size`` points before each cutoff, in one pass."""
        self._check_fitted()
        index = {sid: i for i, sid in enumerate(self.ids_)}
        unknown = [sid for sid in panel.ids if sid not in index]
        if unknown:
            raise SeriesValidationError(
                f"{len(unknown)} series were not in the training data, e.g. {unknown[:3]}; "
                "the model holds scaling statistics only for the series it was fitted on"
            )
        S, W = cuts.shape
        L = self.seq_size_
        starts = (panel.offsets[:-1, None] + cuts - L).reshape(-1)
        tail = panel.values[starts[:, None] + np.arange(L)]  # [S * W, L], the history before each cutoff
        rows = np.repeat([index[sid] for sid in panel.ids], W)
        return {k: v.reshape(S, W, h) for k, v in self.forecast_array(tail, rows, h, level).items()}

    def cross_validation(self, data, h: int | None = None, n_windows: int = 1, step_size: int | None = None, *,
                         refit: bool = False, level=None) -> pd.DataFrame:
        """Rolling-origin backtest; see :func:`seriespredictor.backtest.cross_validation`."""
        from .backtest import cross_validation

        return cross_validation(self, data, self.h if h is None else h, n_windows, step_size, refit=refit, level=level)

    def predict(self, h: int | None = None, *, level=None) -> pd.DataFrame:
        """Forecast ``h`` steps (default: the ``h`` trained for) after the end of each series.

        Args:
            h: horizon.
            level: interval levels in percent, e.g. ``[80, 95]`` (see :meth:`interval_widths`,
                or the quantile head with ``intervals="quantile"``).

        Returns:
            A long frame ``unique_id, ds, <alias>`` (plus ``<alias>-lo-<l>``, ``<alias>-hi-<l>``);
            ``ds`` continues each series at its frequency. Levels calibrated on too few errors are
            named in ``frame.attrs["interval_warnings"]`` (see :meth:`interval_warnings`).
        """
        frame = self._predict_rows(np.arange(len(self._fitted_ids())), self._horizon(h), level)
        frame.attrs["interval_warnings"] = self.interval_warnings(level)
        return frame

    def predict_to(self, path, h: int | None = None, *, level=None, chunk_size: int = 10_000) -> Path:
        """Forecast every series ``chunk_size`` series at a time, appending each chunk to
        ``path`` (CSV, or Parquet by its suffix) as soon as it is done: memory stays bounded
        by the chunk, whatever the number of series."""
        h = self._horizon(h)
        chunk_size = integer_arg("chunk_size", chunk_size, 1, 2**62)
        path = path_arg("path", path)
        parquet = path.suffix.lower() in (".parquet", ".pq")
        if parquet:
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError:
                raise SeriesValidationError(f"writing {str(path)!r} needs pyarrow: pip install 'seriespredictor[parquet]'") from None
        with atomic_output(path) as tmp, contextlib.ExitStack() as writers:  # the forecast file appears only when complete
            writer = None
            for start in range(0, len(self._fitted_ids()), chunk_size):
                rows = np.arange(start, min(start + chunk_size, len(self.ids_)))
                frame = self._predict_rows(rows, h, level)
                if parquet:
                    table = pa.Table.from_pandas(frame, preserve_index=False)
                    writer = writer or writers.enter_context(pq.ParquetWriter(tmp, table.schema))
                    writer.write_table(table)
                else:
                    frame.to_csv(tmp, mode="a" if start else "w", header=not start, index=False)
        return path

    def _fitted_ids(self) -> list:
        self._check_fitted()
        return self.ids_

    def _horizon(self, h) -> int:
        self._check_fitted()
        return self.spec_.h if h is None else integer_arg("h", h, 1, max(self.spec_.h, MAX_PREDICT_HORIZON))

    def _predict_rows(self, rows: np.ndarray, h: int, level) -> pd.DataFrame:
        columns = self.forecast_array(self.tail_[rows], rows, h, level)
        out = pd.DataFrame({
            self.spec_.id_col: np.repeat(np.asarray([self.ids_[r] for r in rows], dtype=object), h),
            self.spec_.time_col: np.concatenate([np.asarray(future_times(self.last_times_[r], self.freq_, h)) for r in rows]),
        })
        for name, values in columns.items():
            out[name] = values.ravel()
        return out

    # -- model files ---------------------------------------------------------------------------
    def save(self, path, *, overwrite: bool = False) -> Path:
        """Save to a model directory (safetensors weights + JSON settings)."""
        self._check_fitted()
        tensors = {f"net.{m}.{k}": v for m, net in enumerate(self.nets_) for k, v in net.state_dict().items()}
        tensors["tail"] = torch.as_tensor(self.tail_, dtype=torch.float64)
        tensors["residuals"] = torch.as_tensor(self.residuals_, dtype=torch.float64)
        tensors["calibrated"] = torch.zeros(len(self.ids_), dtype=torch.float64).index_fill_(0, torch.as_tensor(self.calibrated_), 1)
        tensors["spread"] = torch.as_tensor(self.spread_, dtype=torch.float64)
        freq = self.freq_ if isinstance(self.freq_, str) else int(self.freq_)
        config = {
            "params": self.params_,
            "network": self.nets_[0].config.to_dict(),
            "fitted": {
                "season": int(self.season_), "seq_size": int(self.seq_size_), "val_size": int(self.val_size_),
                "cal_windows": self.residuals_.shape[1], "cal_stride": int(self.cal_stride_), "cal_steps": self.residuals_.shape[2],
                "log": self.log_.tolist(), "shift": self.shift_.tolist(), "scale": self.scale_.tolist(),
            },
            "training": [
                {"steps_run": r.steps_run, "best_step": r.best_step, "seconds": round(r.seconds, 3),
                 "losses": r.losses, "val_losses": r.val_losses}
                for r in getattr(self, "history_", [])
            ],
            "schema": {
                "freq": freq,
                "ids": [int(i) if isinstance(i, (int, np.integer)) else str(i) for i in self.ids_],
                "last_times": [t.isoformat() if isinstance(t, pd.Timestamp) else int(t) for t in self.last_times_],
                "tz": _zone_name(getattr(self.last_times_[0], "tz", None)),
            },
        }
        return save_model(path, "Forecaster", tensors, config, overwrite=overwrite)

    @classmethod
    def load(cls, path) -> "Forecaster":
        """Load a model saved with :meth:`save`; never runs code from the file.

        Every field is checked before anything is built from it (``ModelFileError`` names it).
        """
        tensors, config = load_model(path, "Forecaster")
        check_fields(config, {"params": DICT, "fitted": DICT, "schema": DICT, "network": DICT,
                              "params.h": integer(1, MAX_HORIZON), "params.ensemble": integer(1, MAX_ENSEMBLE),
                              "params.hidden_dim": integer(1, MAX_UNITS), "params.patch_size": integer(1, MAX_SEASON),
                              "params.seasonal_base": BOOL,
                              "schema.ids": IDS}, path)
        self = load_estimator(cls, dict(config["params"], device="cpu"), path, check=cls._check_values)
        self.params_ = self.get_params()
        n, fitted, schema = len(config["schema"]["ids"]), config["fitted"], config["schema"]
        check_fields(config, {
            "params.quantile_levels": list_of(PERCENT), "params.alias": TEXT, "params.id_col": TEXT, "params.time_col": TEXT,
            "fitted.season": integer(1, MAX_SEASON), "fitted.seq_size": integer(1, MAX_SEQ_SIZE), "fitted.val_size": integer(0, MAX_SEQ_SIZE),
            "fitted.cal_windows": integer(1, MAX_SEQ_SIZE), "fitted.cal_stride": integer(1, MAX_SEQ_SIZE), "fitted.cal_steps": integer(0, MAX_SEQ_SIZE),
            "fitted.log": list_of(BOOL, n), "fitted.shift": list_of(number(), n),
            "fitted.scale": list_of(number(0, low_open=True), n),
            "schema.freq": FREQ, "schema.tz": TIME_ZONE, "schema.last_times": list_of(TIME, n),
        }, path)
        self.season_, self.seq_size_, self.val_size_ = fitted["season"], fitted["seq_size"], fitted["val_size"]
        self.cal_stride_, windows, steps = fitted["cal_stride"], fitted["cal_windows"], fitted["cal_steps"]
        self.spec_ = spec = ForecastSpec.from_params(self.params_)  # the saved params are the ones its fit used
        outputs = spec.h * len(self._quantiles()) if spec.head == "direct" else 1
        check_fields(config, {"network.input_dim": one_of(spec.patch_size), "network.output_dim": one_of(outputs),
                              "network.hidden_dim": one_of(self.hidden_dim), "network.num_layers": one_of(self.num_layers)}, path)
        if (self.seq_size_ % spec.patch_size or (spec.seasonal_base and self.seq_size_ < self.season_)
                or (steps == 0) != (self.val_size_ == 0) or (windows - 1) * self.cal_stride_ + steps > self.val_size_
                or (spec.head == "recursive" and (spec.patch_size != 1 or spec.seasonal_base or spec.intervals == "quantile"))
                or (spec.intervals == "quantile" and not spec.quantile_levels)):
            raise ModelFileError(f"{str(path)!r}: the fitted settings (seq_size={self.seq_size_}, season={self.season_}, "
                                 f"val_size={self.val_size_}, cal_windows={windows}, cal_stride={self.cal_stride_}, cal_steps={steps}, {spec}) "
                                 "do not fit together; the file is damaged or was edited, save the model again")
        integer_times = isinstance(_step(schema["freq"]), int)  # an integer step continues integer times
        if any((type(t) is int) != integer_times for t in schema["last_times"]):
            raise ModelFileError(f"{str(path)!r}: schema.last_times must be {'integers' if integer_times else 'ISO timestamps'} "
                                 f"with schema.freq {schema['freq']!r}; the file is damaged or was edited, save the model again")
        self.log_ = np.asarray(fitted["log"], dtype=bool)
        self.shift_ = np.asarray(fitted["shift"], dtype=np.float64)
        self.scale_ = np.asarray(fitted["scale"], dtype=np.float64)
        self.freq_ = schema["freq"]
        self.ids_ = schema["ids"]
        self.last_times_ = [t if isinstance(t, int) else _timestamp(t, schema["tz"]) for t in schema["last_times"]]
        self.tail_ = check_tensor(tensors, "tail", (n, self.seq_size_), path).numpy()
        calibrated = check_tensor(tensors, "calibrated", (n,), path).numpy()
        self.calibrated_ = np.flatnonzero(calibrated)
        if not np.isin(calibrated, (0, 1)).all():
            raise ModelFileError(f"{str(path)!r}: {WEIGHTS} entry 'calibrated' must hold 0 and 1 only; the file is damaged")
        self.residuals_ = check_tensor(tensors, "residuals", (len(self.calibrated_), windows, steps), path).numpy()
        self.spread_ = check_tensor(tensors, "spread", (n,), path, positive=True).numpy()
        self.nets_ = []
        for m in range(self.ensemble):
            prefix = f"net.{m}."
            self.nets_.append(load_network(config["network"], {k.removeprefix(prefix): v for k, v in tensors.items() if k.startswith(prefix)}, path))
        if sum(len(net.state_dict()) for net in self.nets_) != len(tensors):
            raise ModelFileError(f"{str(path)!r}: the weights hold more networks than its settings (ensemble={self.ensemble})")
        return self


def _timestamp(text: str, tz: str) -> pd.Timestamp:
    """A saved time in its saved zone: the ISO text keeps only the UTC offset, not the DST rules."""
    t = pd.Timestamp(text)
    return t.tz_convert(tz) if tz and t.tz is not None else t


def _zone_name(tz) -> str:
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


PERCENT = Field("a number between 0 and 100", lambda v: type(v) in (int, float) and 0 < v < 100)
FREQ = Field("a positive integer, 'obs:<step>' or a pandas frequency such as 'D'", _is_freq)
TIME_ZONE = Field("'' or a time zone name such as 'Europe/Berlin'", _is_time_zone)
TIME = Field("an ISO timestamp or an integer", _is_time)
IDS = Field("a non-empty list of distinct series ids (non-empty strings or integers)", _are_ids)
