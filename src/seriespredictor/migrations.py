"""Upgrades of older model files, one step per format version.

``MIGRATIONS[v]`` turns a format-``v`` config (and weights) into format ``v + 1``; loading
applies them in order up to :data:`FORMAT_VERSION`, and a file is never rewritten on disk. A new
format adds one function here and bumps :data:`FORMAT_VERSION` (and commits its fixtures:
``tests/fixtures/make_fixtures.py``).
"""

from __future__ import annotations

import torch

from .errors import ModelFileError

FORMAT_VERSION = 6


def _v1_to_v2(config: dict, tensors: dict) -> tuple[dict, dict]:
    """Format 2 added ``config_sha256`` (checked before migrating); nothing else changed."""
    return dict(config, format_version=2), tensors


def _v2_to_v3(config: dict, tensors: dict) -> tuple[dict, dict]:
    """Format 3 calibrates a Forecaster's intervals on several windows: its ``residuals``
    ``[S, V]`` (one window) became ``[S, J, V]``, described by ``fitted.cal_windows``,
    ``cal_stride`` and ``cal_steps``; ``calibrated`` marks the series it holds errors of (all)."""
    config = dict(config, format_version=3)
    fitted, residuals = config.get("fitted"), tensors.get("residuals")
    if config.get("kind") == "Forecaster" and isinstance(fitted, dict) and residuals is not None and residuals.dim() == 2:
        # one window of all val_size held-out points; loading checks the tensor against it
        config["fitted"] = dict(fitted, cal_windows=1, cal_stride=1, cal_steps=fitted.get("val_size"))
        tensors = dict(tensors, residuals=residuals[:, None, :], calibrated=torch.ones(len(residuals), dtype=torch.float64))
    return config, tensors


def _v3_to_v4(config: dict, tensors: dict) -> tuple[dict, dict]:
    """Format 4 saves a Forecaster's forecasting settings with its network (``network``: horizon,
    head, patch size, seasonal base, season, quantile levels) and its reading options apart
    from its settings (``data``)."""
    config = dict(config, format_version=4)
    params, fitted, network = config.get("params"), config.get("fitted"), config.get("network")
    if config.get("kind") == "Forecaster" and all(isinstance(d, dict) for d in (params, fitted, network)):
        data = ("id_col", "time_col", "target_col", "freq", "time_format", "fill_missing", "aggregate_duplicates")
        config["data"] = {k: params[k] for k in data if k in params}
        config["params"] = {**{k: v for k, v in params.items() if k not in data}, "drift_base": False}
        quantiles = params.get("quantile_levels") if params.get("intervals") == "quantile" else []
        config["network"] = {
            **{k: params.get(k) for k in ("h", "head", "patch_size", "seasonal_base", "hidden_dim", "num_layers", "dropout")},
            "season": fitted.get("season"), "quantile_levels": quantiles, "drift_base": False,
        }
        config["fitted"] = {k: v for k, v in fitted.items() if k != "season"}
    return config, tensors


def _v4_to_v5(config: dict, tensors: dict) -> tuple[dict, dict]:
    """Format 5 saves each ensemble member's Adam state with a Forecaster (``optimizer``: its param
    groups; ``opt.<member>.<param>.<name>``: its tensors), so ``update`` continues training where
    the fit ended, and reads its ``training`` history back. Older files hold no Adam state
    (``optimizer`` null: an update starts a fresh Adam); format 1 held no history."""
    config = dict(config, format_version=5)
    if config.get("kind") == "Forecaster":
        config = {"training": [], **config, "optimizer": None}
    return config, tensors


def _v5_to_v6(config: dict, tensors: dict) -> tuple[dict, dict]:
    """Format 6 takes covariates: a Forecaster's ``params`` name them (``futr_exog``, ``hist_exog``,
    ``stat_exog``, ``calendar``, ``holidays``), its ``network`` counts them, and ``covariates``
    (null without) holds their scaling, with ``exog.*`` tensors. Older files take none."""
    config = dict(config, format_version=6)
    params, network = config.get("params"), config.get("network")
    if config.get("kind") == "Forecaster" and isinstance(params, dict) and isinstance(network, dict):
        config["params"] = {**params, "futr_exog": None, "hist_exog": None, "stat_exog": None, "calendar": False, "holidays": None}
        config["network"] = {**network, "n_hist": 0, "n_known": 0, "n_static": 0, "categories": []}
        config["covariates"] = None
    return config, tensors


MIGRATIONS: dict = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5, 5: _v5_to_v6}


def migrate(config: dict, tensors: dict) -> tuple[dict, dict]:
    """Bring an older model's config and weights up to :data:`FORMAT_VERSION`."""
    while config["format_version"] < FORMAT_VERSION:
        step = MIGRATIONS.get(config["format_version"])
        if step is None:
            raise ModelFileError(
                f"model format {config['format_version']} is no longer readable by seriespredictor "
                f"{library_version()}; load it with an older release and save it again"
            )
        config, tensors = step(config, tensors)
    return config, tensors


def library_version() -> str:
    """The version of seriespredictor running now, written into every model file."""
    from . import __version__

    return __version__
