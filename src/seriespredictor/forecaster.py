"""``Forecaster``: one LSTM trained across every series of a panel, forecasting ``h`` steps.

``fit`` reads top-down, each step a function of the module that owns its concept:

1. read the data into one contiguous store of all series (:mod:`data`);
2. resolve the settings: the given ones, the recipe's for the rest (:mod:`settings`, :mod:`recipe`);
3. scale each series with its training part's statistics, log-transformed where all its values
   are positive (:mod:`scaling`);
4. index the training windows and the calibration windows that roll over each series' held-out
   last points (:mod:`windows`);
5. train the ensemble's networks, keeping each one's best weights on the held-out windows, and
   train again on every point where the recipe says so (:mod:`ensemble`, :mod:`training`, :mod:`network`);
6. calibrate the intervals on the held-out errors (:mod:`intervals`).

``predict`` reads only the fitted state: the networks (which carry their forecasting settings),
the scaler, each series' last window, the calibration errors and the calendar. ``predict(data=)``
forecasts from histories given later (:mod:`histories`): fitted series keep their scaling, new
series are scaled by their own history, as the fit scales a series by its training part.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from . import covariates, distributed, histories, model_file
from .calendar import future_times, resolve_season
from .calendar_features import columns as calendar_columns
from .calendar_features import features as calendar_feature_values
from .checkpoints import Checkpoints
from .ensemble import train_ensemble
from .errors import NotFittedError, SeriesValidationError, memory_error, out_of_memory
from .intervals import Calibration, series_spread
from .covariates import CovariateScaler, Spec, standardised
from .network import ForecastConfig, ensemble_forecast, horizon_span, quantile_bands, validator
from .output import check_finite, forecast_frame, output_path, write_frames
from .params import Params, bool_arg, horizon_arg, integer_arg, levels_arg
from .runtime import check_network_memory, choose_threads, no_denormals, num_threads
from .scaling import FLAT, Scaler, log_flags, model_space, series_transform
from .settings import check_combinations, check_values, data_options, resolve
from .update import update as update_model
from .windows import TrainingWindows, calibration_set, held_out, points_before

MAX_PREDICT_HORIZON = 10**4  # steps predict(h=) goes past the trained h: 10**5 recursive steps would run for minutes


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
        drift_base: direct head only: forecast the departure from the input's last value
            continued along the line from its first (the drift), instead of from its mean.
        dropout: dropout between stacked LSTM layers.
        loss: "mse" (squared error, forecasts the mean) or "mae" (absolute error, forecasts the
            median; closer to sMAPE and MASE), in model space, for training and validation.
        ensemble: networks trained with seeds ``seed, seed + 10007, ...``; forecasts are their mean.
        intervals: how ``predict(level=...)`` builds intervals: "conformal" (the default:
            split conformal on the held-out errors, any level) or "quantile" (a head that
            learns the median and the bounds of ``quantile_levels`` with the pinball loss;
            direct head only).
        quantile_levels: interval levels in percent the quantile head learns.
        checkpoint_dir: where to write training checkpoints (model, optimizer, step, RNG states),
            atomically; ``fit(..., resume=True)`` continues from them.
        checkpoint_every: steps between checkpoints.
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
        futr_exog: known-future covariates: columns whose values are known ahead (planned
            promotions, day-ahead forecasts). Their values for the horizon are the rows after each
            series' last observed target (target empty), or ``predict(futr_df=...)``.
        hist_exog: past-only covariates: columns observed with the target, unknown ahead (sensor
            readings); the network reads them up to the forecast's start only. Direct head only.
        stat_exog: static covariates: columns with one value per series (store type, size);
            numbers are standardised across series, anything else is a category, embedded.
        calendar: calendar features derived from the timestamps, for the past and the horizon
            alike: True (the frequency's defaults, e.g. hour and day of week for hourly data) or a
            list from ``calendar_features.FEATURES`` ("hour", "dayofweek", "month", "holiday"...).
        holidays: dates (e.g. ["2024-12-25"]) for the "holiday" calendar feature.
        season: seasonal period; None infers it from the frequency (12 for monthly...).
        freq, time_format, fill_missing, aggregate_duplicates, id_col, time_col, target_col: how to
            read the data (see ``to_panel``); freq="obs" indexes series by their observations
            (trading days), time_format="%Y%m%d" reads dates that are not ISO 8601.
        seed: makes training repeatable; None draws a fresh seed.
        threads: torch intra-op threads while training and forecasting; None chooses from the model size.
        device: "cpu" or "cuda" (the data are moved to the device once, before training).
        precision: "fp32", "bf16" (train under bfloat16 autocast; weights stay fp32; refused where the
            device cannot run the LSTM in it: a CPU without AVX-512), or "auto":
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
        drift_base: bool | None = None,
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
        futr_exog: list | None = None,
        hist_exog: list | None = None,
        stat_exog: list | None = None,
        calendar=False,
        holidays: list | None = None,
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
        self._set_params_from(locals())

    def __repr__(self) -> str:
        return f"Forecaster(h={self.h}, seq_size={self.seq_size}, hidden_dim={self.hidden_dim}, head={self.head!r})"

    def _check_settings(self) -> None:
        check_values(self)
        check_combinations(self)

    def _read(self, data, static_df=None):
        """``data`` as a panel, with the covariates this model takes attached (see :mod:`covariates`)."""
        return covariates.read(data, Spec.of(self), data_options(self), static_df)

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, data, *, static_df=None, resume: bool = False) -> "Forecaster":
        """Train on ``data`` (any form ``to_panel`` accepts). Returns self.

        Args:
            data: the series (and their covariate columns).
            static_df: the ``stat_exog`` columns in a table of their own, one row per series (id
                and those columns), as NeuralForecast takes them; or as columns of ``data``.
            resume: continue from the checkpoints in ``checkpoint_dir`` written by an earlier,
                interrupted ``fit`` with the same settings and data.
        """
        self._check_settings()
        self.__dict__.pop("nets_", None)  # a refit that fails leaves no half-updated model to predict with
        if bool_arg("resume", resume) and self.checkpoint_dir is None:
            raise SeriesValidationError("resume=True needs checkpoint_dir= (CLI: --checkpoint-dir), where the run saved its checkpoints")
        if self.hidden_dim is not None:  # before reading: a network too large is refused at once
            check_network_memory(self._network_config(self.get_params(), 1).lstm, self.ensemble or 1)
        deadline = None if self.time_budget is None else time.perf_counter() + self.time_budget
        panel = distributed.agree(lambda: self._read(data, static_df))  # a data error on any rank stops them all
        checkpoints = Checkpoints(self, panel) if self.checkpoint_dir is not None else None  # hashes the raw values
        s, config = self._resolve(panel, checkpoints)
        train_len, validated = held_out(panel, s["val_size"], self.h)
        self.val_size_ = s["val_size"] if validated.any() else 0
        store = self._scale(panel, train_len)
        config = self._with_covariates(config)
        if panel is not data:
            panel.values = np.empty(0)  # read here: training needs only the model-space store from here on
        cal_in, cal_out, stride = calibration_set(store, panel.offsets[:-1][validated], train_len[validated], self.val_size_, self.h,
                                                  self.seq_size_, horizon_span(config, self.h), panel.offsets[1:][validated])
        validate = validator(config, s["loss"], cal_in, cal_out) if self.val_size_ else None
        run = dict(checkpoints=checkpoints, resume=resume, deadline=deadline, runs=s["ensemble"] * (2 if s["refit"] and self.val_size_ else 1))
        pad = self.seq_size_ - 1 if (train_len < self.seq_size_ + self.h).any() else 0  # short series: inputs repeat their first point
        self.nets_, self.history_, self.optimizers_ = self._train(store, panel.offsets, train_len, pad, s, config, validate, run)
        errors = self._calibration_errors(self.nets_, cal_in, cal_out, int(validated.sum()))  # before a refit sees the held-out points
        if s["refit"] and self.val_size_:  # again on every point, each network for the steps validation chose
            steps = [r.best_step or r.steps_run for r in self.history_]
            self.nets_, again, self.optimizers_ = self._train(store, panel.offsets, panel.lengths, pad, s, config, None, run, steps=steps)
            self.history_ += again
        first = [r.steps_run for r in self.history_[: s["ensemble"]]]
        if deadline is not None and min(first) < s["steps"] and time.perf_counter() >= deadline:
            warnings.warn(f"time_budget={self.time_budget:g} s ran out: the networks trained {min(first)} to {max(first)} of their "
                          f"{s['steps']} steps, each keeping its best weights; a larger time_budget trains them further",
                          RuntimeWarning, stacklevel=2)
        spread = series_spread(store.cpu().numpy(), panel.offsets[:-1], train_len, self.season_)
        self.calibration_ = Calibration(errors, np.flatnonzero(validated), spread, stride)
        return self

    def update(self, data, *, steps: int | None = None) -> "Forecaster":
        """Continue training on ``data`` (each series' whole history with its new points; new series
        are added) from the fitted weights and Adam states, as ``fit`` trains (see :mod:`.update`).
        ``steps`` per network; None: a tenth of the fit's, at least 100, at most the fit's. Returns self."""
        return update_model(self, data, steps=steps)

    def _resolve(self, panel, checkpoints) -> tuple[dict, ForecastConfig]:
        """This fit's settings (saved as ``params_``) and its network's config."""
        self.season_ = resolve_season(self.season, panel.freq)
        self.params_ = s = resolve(self.get_params(), panel.lengths, self.season_)
        if s["seed"] is None:  # drawn once and saved, so the fit can be repeated; a checkpointed run's resumes keep it
            s["seed"] = checkpoints.seed if checkpoints else distributed.shared_seed()
        self.data_options_ = data_options(self)
        config = self._network_config(s, self.season_)
        check_network_memory(config.lstm, s["ensemble"])
        return s, config

    def _network_config(self, s: dict, season: int) -> ForecastConfig:
        quantiles = tuple(s["quantile_levels"]) if s["intervals"] == "quantile" else ()
        return ForecastConfig(self.h, s["head"], s["patch_size"] or 1, bool(s["seasonal_base"]), bool(s["drift_base"]), season,
                              quantiles, s["hidden_dim"], s["num_layers"], s["dropout"])

    def _scale(self, panel, train_len: np.ndarray) -> torch.Tensor:
        """Fit the scaler on each series' training part; keep what predict needs (each series'
        last raw window, its last time); return every series in model space, on the device: ``[N]``,
        or ``[N, 1 + C]`` with its covariates (:meth:`_scale_covariates`)."""
        self.ids_, self.seq_size_ = list(panel.ids), self.params_["seq_size"]
        self.scaler_ = Scaler.fit_series(panel.values, panel.offsets, train_len, log_flags(panel, self.params_["log"]))
        last = points_before(panel.offsets[:-1], panel.offsets[1:], self.seq_size_)
        self.tail_ = panel.values[last]  # [S, L] raw
        self.freq_, self.last_times_ = panel.freq, [panel.last_time(i) for i in range(len(panel.ids))]
        store = model_space(self.scaler_, panel)
        self.exog_ = None
        if Spec.of(self).any:
            store = self._scale_covariates(panel, train_len, last, store)
        return torch.as_tensor(store, device=torch.device(self.device))

    def _scale_covariates(self, panel, train_len: np.ndarray, last: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Fit the covariates' scaler on each series' training part and keep what predict needs (each
        series' last raw window of covariates, its future rows, its encoded statics); return the store
        ``[N, 1 + C]``: the target, the scaled dynamic covariates, the statics at every point."""
        covs = panel.covariates
        if covs is None:
            raise SeriesValidationError("this model takes covariates, but the data was read without them; pass the data itself, "
                                        "not a Panel read before")
        history = np.concatenate([covs.rows(i)[:n] for i, n in enumerate(panel.lengths)]) if len(covs.columns) else \
            np.zeros((len(panel.values), 0))
        self.exog_scaler_ = CovariateScaler.fit(covs, train_len)
        self.exog_ = {"hist": list(covs.hist), "futr": list(covs.futr), "calendar": list(covs.calendar), "holidays": [str(d) for d in covs.holidays]}
        self.exog_tail_ = history[last]  # [S, L, D] raw
        future = [covs.rows(i)[n:] for i, n in enumerate(panel.lengths)]
        self.exog_future_ = np.full((len(future), max(map(len, future)), history.shape[1]), np.nan)
        for i, rows in enumerate(future):
            self.exog_future_[i, : len(rows)] = rows
        self.exog_statics_ = self.exog_scaler_.statics(covs.statics)
        series = np.repeat(np.arange(len(panel.ids)), panel.lengths)
        scaled = standardised(history, self.exog_scaler_.shift[series], self.exog_scaler_.scale[series])
        return np.concatenate([target[:, None], scaled, self.exog_statics_[series]], 1).astype(np.float32)

    def _with_covariates(self, config: ForecastConfig) -> ForecastConfig:
        """The network config with the sizes of this fit's covariates."""
        if self.exog_ is None:
            return config
        known = self.exog_tail_.shape[2] - len(self.exog_["hist"])
        return replace(config, n_hist=len(self.exog_["hist"]), n_known=known, n_static=len(self.exog_scaler_.numeric),
                       categories=self.exog_scaler_.cardinalities)

    def _train(self, store, offsets, lengths, pad: int, s: dict, config: ForecastConfig, validate, run: dict, steps=None):
        """The ensemble trained on the first ``lengths`` points of each series (after the first
        run, members are numbered on and take the steps given): networks, results, optimiser states."""
        try:
            windows = TrainingWindows(store, offsets, lengths, self.seq_size_ + self.h, pad)
            return train_ensemble(windows, s, config, validate, member0=s["ensemble"] if steps else 0, steps=steps, **run)
        except RuntimeError as e:  # torch's failed allocation: name what sizes it
            if not out_of_memory(e):
                raise
            raise memory_error({k: s[k] for k in ("seq_size", "batch_size", "hidden_dim")}) from None

    @staticmethod
    def _calibration_errors(nets: list, cal_in: torch.Tensor, cal_out: torch.Tensor, rows: int) -> np.ndarray:
        """The errors ``[rows, J, V]`` of the ensemble ``nets`` on the calibration windows, in model space."""
        if not rows:
            return np.zeros((0, 1, cal_out.shape[1]))
        errors = (cal_out - ensemble_forecast(nets, cal_in, cal_out.shape[1])).double().cpu().numpy()
        return errors.reshape(rows, -1, cal_out.shape[1])

    # -- predicting ----------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "nets_"):
            raise NotFittedError(
                "This Forecaster instance is not fitted yet. Call 'fit' with data before 'predict', "
                "or load a saved model with Forecaster.load"
            )

    def interval_warnings(self, level=None) -> dict[str, str]:
        """``{"95": message}`` for each conformal level whose calibration rests on too few held-out
        errors (see :func:`intervals.too_few_errors`); output frames carry it as
        ``frame.attrs["interval_warnings"]``."""
        self._check_fitted()
        return {} if self.nets_[0].config.quantile_levels else self.calibration_.warnings(levels_arg(level))

    def forecast_array(self, tail: np.ndarray, scaler: Scaler, spread: np.ndarray, ids: list, h: int, level=None,
                       exog: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Forecasts from raw windows ``tail`` ``[R, seq_size]``, each scaled by its row of
        ``scaler`` and with intervals in units of its ``spread`` (``ids``: each row's series);
        ``exog``: a covariate model's scaled covariates ``[R, C, seq_size + span]`` (:meth:`_exog_windows`).

        Returns:
            ``{alias: [R, h]}`` plus ``{alias}-lo-{l}`` and ``{alias}-hi-{l}`` for each level.
        """
        level, alias, learned = levels_arg(level), self.params_["alias"], self.nets_[0].config.quantile_levels
        # threads chosen as for training: torch's default of one per core made a small model's
        # forecast a thousand times slower on a machine where other processes held the cores
        with num_threads(choose_threads(len(tail), self.nets_[0].config.hidden_dim, self.threads)), no_denormals():
            scaled = series_transform(scaler, tail, ids)
            z = torch.as_tensor(scaled, dtype=torch.float32, device=next(self.nets_[0].parameters()).device)
            if exog is not None:  # the target's row padded over the horizon (never read there), then the covariates
                target = torch.nn.functional.pad(z, (0, exog.shape[2] - z.shape[1]))[:, None]
                z = torch.cat([target, torch.as_tensor(exog, dtype=torch.float32, device=z.device)], 1)
            mean = ensemble_forecast(self.nets_, z, h).double().cpu().numpy()
            bands = quantile_bands(self.nets_, z, h, level) if level and learned else None
            if exog is None:  # a flat window at its series' mean (a constant series') stays there, its learned bands with it
                flat = (tail == tail[:, :1]).all(1) & (np.abs(scaled) < FLAT).all(1)
                for lo, hi in (bands or {}).values():
                    lo[flat], hi[flat] = lo[flat] - mean[flat], hi[flat] - mean[flat]
                mean[flat] = 0.0
        bands = bands or {lv: (mean - w, mean + w) for lv in level for w in [self.calibration_.widths(lv, h, spread)]}
        rows = scaler.at(np.arange(len(tail)))
        out = {alias: rows.inverse(mean)}
        for lv, (lo, hi) in bands.items():
            out[f"{alias}-lo-{lv:g}"], out[f"{alias}-hi-{lv:g}"] = rows.inverse(lo), rows.inverse(hi)
        return check_finite(out, ids)

    def forecast_windows(self, panel, cuts: np.ndarray, h: int, level=None) -> dict[str, np.ndarray]:
        """Forecasts ``[S, W, h]`` from the history before each cutoff (``cuts`` ``[S, W]``
        points of each series of ``panel``), in one pass.

        A series the model was fitted on keeps its scaling, and a history shorter than
        ``seq_size`` is padded with its first point, as in training. Any other series is scaled
        by its own history before the cutoff, as ``fit`` scales a series by its training part
        (log-transformed by the same rule), and needs ``seq_size`` points of it; its intervals
        are the calibrated ones in units of its own spread.
        """
        self._check_fitted()
        S, W = cuts.shape
        starts = np.repeat(panel.offsets[:-1], W)
        ends = starts + np.asarray(cuts).ravel()
        index = {str(sid): i for i, sid in enumerate(self.ids_)}  # a file's 7 or "7" (JSON's ids are text) is series 7
        rows = np.repeat([index.get(str(sid), -1) for sid in panel.ids], W)
        ids = list(np.repeat(np.asarray(panel.ids, dtype=object), W))
        scaler, spread = histories.scaling(self, panel, starts, ends, rows, ids)
        tail = panel.values[points_before(starts, ends, self.seq_size_)]
        exog = None if self.exog_ is None else self._exog_windows(panel, np.asarray(cuts), rows, h)
        return {k: v.reshape(S, W, h) for k, v in self.forecast_array(tail, scaler, spread, ids, h, level, exog).items()}

    def _exog_windows(self, panel, cuts: np.ndarray, rows: np.ndarray, h: int) -> np.ndarray:
        """The scaled covariates ``[S * W, C, seq_size + span]`` of the forecasts from each cutoff
        ``cuts`` ``[S, W]`` of ``panel``'s series: those before it, the known-future ones after it,
        the statics; fitted series (``rows`` >= 0) keep their scaling, others take their history's."""
        covs, L = panel.covariates, self.seq_size_
        if covs is None:  # a Panel read before, without the model's covariates
            raise SeriesValidationError("this model takes covariates, but the data was read without them; pass the data itself")
        span = horizon_span(self.nets_[0].config, h)
        statics = self.exog_scaler_.statics(covs.statics)
        out = []
        for r, (i, cut) in enumerate((i, int(c)) for i in range(len(panel.ids)) for c in cuts[i]):
            own = covs.rows(i)
            before = own[points_before(np.array([0]), np.array([cut]), L)[0]]
            after = covariates.future_block(covs, panel, i, cut, span, h)
            if rows[r] >= 0:
                shift, scale = self.exog_scaler_.shift[rows[r]], self.exog_scaler_.scale[rows[r]]
            else:
                shift, scale = (v[0] for v in CovariateScaler.dynamic_stats(own[:cut], np.array([0]), np.array([cut])))
            out.append(covariates.network_window(before, after, shift, scale, statics[i], len(covs.hist)))
        return np.stack(out)

    def cross_validation(self, data, h: int | None = None, n_windows: int = 1, step_size: int | None = None, *,
                         refit: bool = False, level=None, static_df=None) -> pd.DataFrame:
        """Rolling-origin backtest of a fresh copy trained before the first cutoff (or before
        each with ``refit``); see :func:`seriespredictor.backtest.cross_validation`."""
        from .backtest import cross_validation

        return cross_validation(self, self._read(data, static_df), self.h if h is None else h, n_windows, step_size, refit=refit, level=level,
                                id_col=self.id_col, time_col=self.time_col)

    def predict(self, h: int | None = None, *, data=None, futr_df=None, static_df=None, level=None) -> pd.DataFrame:
        """Forecast ``h`` steps (default: the ``h`` trained for) after the end of each series.

        Args:
            h: horizon.
            data: histories to forecast from, read as ``fit`` read its data (default: the
                training data). A series the model was fitted on (new points appended, or not)
                keeps its scaling; any other is scaled by its own history, which must hold
                ``seq_size`` points (see :meth:`forecast_windows`). No training happens.
            futr_df: a model with ``futr_exog``: the known-future values of the ``h`` steps after
                each series' end (id, time and those columns; a frame or a file); by default the
                rows after the last observed target in ``data`` (or in the training data).
            static_df: with ``data``: the statics of its series in a table of their own (see :meth:`fit`).
            level: interval levels in percent, e.g. ``[80, 95]`` (see :meth:`intervals.Calibration.widths`,
                or the quantile head with ``intervals="quantile"``).

        Returns:
            A long frame ``unique_id, ds, <alias>`` (plus ``<alias>-lo-<l>``, ``<alias>-hi-<l>``);
            ``ds`` continues each series at its frequency. Levels calibrated on too few errors are
            named in ``frame.attrs["interval_warnings"]`` (see :meth:`interval_warnings`).
        """
        h = self._horizon(h)
        frame = self._predict_series(self._histories(data, futr_df, static_df), None, h, level, futr_df)
        frame.attrs["interval_warnings"] = self.interval_warnings(level)
        return frame

    def _histories(self, data, futr_df, static_df=None):
        """``data`` read as :meth:`read_new` reads it, its known-future rows replaced by ``futr_df``'s; None for the training data."""
        if futr_df is not None and not (self.exog_ and self.exog_["futr"]):
            raise SeriesValidationError("futr_df= gives known-future covariates, but this model takes none (fit it with futr_exog=)",
                                        argument="futr_df")
        if data is None:
            if static_df is not None:
                raise SeriesValidationError("static_df= goes with data=: the fitted series keep the statics they were fitted with",
                                            argument="static_df")
            return None
        panel = self.read_new(data, static_df)
        return panel if futr_df is None else covariates.with_future(panel, futr_df, self.data_options_)

    def read_new(self, data, static_df=None):
        """``data`` read as the fit read its data, at the model's frequency (see :func:`histories.read`)."""
        self._check_fitted()
        return histories.read(self, data, static_df)

    def predict_to(self, path, h: int | None = None, *, data=None, futr_df=None, static_df=None, level=None,
                   chunk_size: int = 10_000) -> Path:
        """Forecast as :meth:`predict` does, ``chunk_size`` series at a time, appending each
        chunk to ``path`` (CSV, or Parquet by its suffix) as soon as it is done: memory for the
        forecasts stays bounded by the chunk, whatever the number of series."""
        h = self._horizon(h)
        chunk_size = integer_arg("chunk_size", chunk_size, 1, 2**62)
        path = output_path(path)  # before any forecast: a bad path costs nothing
        panel = self._histories(data, futr_df, static_df)
        n = len(self.ids_ if panel is None else panel.ids)
        chunks = (self._predict_series(panel, slice(a, min(a + chunk_size, n)), h, level, futr_df) for a in range(0, n, chunk_size))
        return write_frames(path, chunks)

    def _horizon(self, h) -> int:
        self._check_fitted()
        trained = self.nets_[0].config.h
        return trained if h is None else horizon_arg(h, max(trained, MAX_PREDICT_HORIZON))

    def _predict_series(self, panel, part: slice | None, h: int, level, futr_df=None) -> pd.DataFrame:
        """The forecast frame of series ``part`` (None: all) of ``panel``'s histories, or of the
        training data's where ``panel`` is None (with ``futr_df``'s known-future values)."""
        if panel is None:
            rows = np.arange(len(self.ids_))[part or slice(None)]
            ids, last, freq = [self.ids_[r] for r in rows], [self.last_times_[r] for r in rows], self.freq_
            exog = None if self.exog_ is None else self._fitted_exog(rows, h, futr_df)
            columns = self.forecast_array(self.tail_[rows], self.scaler_.take(rows), self.calibration_.spread[rows], ids, h, level, exog)
        else:
            panel = panel.select(part or slice(None))
            ids, last, freq = panel.ids, [panel.last_time(i) for i in range(len(panel.ids))], panel.freq
            columns = {k: v[:, 0] for k, v in self.forecast_windows(panel, panel.lengths[:, None], h, level).items()}
        return forecast_frame(ids, last, freq, columns, self.data_options_["id_col"], self.data_options_["time_col"])

    def _fitted_exog(self, rows: np.ndarray, h: int, futr_df) -> np.ndarray:
        """The scaled covariates ``[R, C, seq_size + span]`` of forecasts after the end of fitted
        series ``rows``: their last window, their future rows (the training data's, or ``futr_df``'s),
        calendar features of the times ahead, their statics."""
        span, n_hist = horizon_span(self.nets_[0].config, h), len(self.exog_["hist"])
        F, calendar, holidays = len(self.exog_["futr"]), tuple(self.exog_["calendar"]), tuple(self.exog_["holidays"])
        ids, lasts = [self.ids_[r] for r in rows], [self.last_times_[r] for r in rows]
        given = covariates.future_rows(futr_df, tuple(self.exog_["futr"]), ids, lasts, self.freq_, self.data_options_) \
            if futr_df is not None else None
        columns = [*self.exog_["hist"], *self.exog_["futr"], *calendar_columns(calendar)]
        out = []
        for k, r in enumerate(rows):
            block = np.full((span, len(columns)), np.nan)
            if given is None:
                saved = self.exog_future_[r, :span]
                block[: len(saved)] = saved
            elif given[k] is not None:
                block[: min(span, len(given[k])), n_hist : n_hist + F] = given[k].to_numpy()[:span]
            times = future_times(lasts[k], self.freq_, span)
            if calendar:
                block[:, n_hist + F :] = calendar_feature_values(pd.DatetimeIndex(times), calendar, holidays)
            block = covariates.complete(block, h, columns, n_hist, ids[k], lambda j, t=times: t[j])
            out.append(covariates.network_window(self.exog_tail_[r], block, self.exog_scaler_.shift[r], self.exog_scaler_.scale[r],
                                                 self.exog_statics_[r], n_hist))
        return np.stack(out)

    # -- model files ---------------------------------------------------------------------------
    def save(self, path, *, overwrite: bool = False) -> Path:
        """Save to a model directory (safetensors weights + JSON settings; see :mod:`model_file`)."""
        self._check_fitted()
        return model_file.save(self, path, overwrite=overwrite)

    def export_onnx(self, path, *, overwrite: bool = False) -> Path:
        """Write the forecast as an ONNX graph: input ``history`` float32 ``[batch, seq_size]`` (raw
        values), output ``forecast`` float32 ``[batch, h]``, each row scaled as ``predict(data=...)``
        scales a new series (see :mod:`onnx_export`). Needs ``pip install 'seriespredictor[onnx]'``."""
        self._check_fitted()
        from .onnx_export import export

        return export(self, path, overwrite=overwrite)

    @classmethod
    def load(cls, path) -> "Forecaster":
        """Load a model saved with :meth:`save`; never runs code from the file.

        Every field is checked before anything is built from it (``ModelFileError`` names it).
        """
        return model_file.load(cls, path)
