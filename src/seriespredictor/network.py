"""The forecasting network: the LSTM, the settings a forecast needs, and its forward, loss and forecast.

``ForecastConfig`` is to a ``Forecaster`` what nanoGPT's ``GPTConfig`` is to its model: the
horizon, the head, the points per LSTM step, the seasonal base and the quantiles live with the
weights and are saved with them, so a forecast reads nothing else. Windows are in model space
(each series scaled, see :mod:`scaling`); each window is centred on the mean of its input part,
so one network serves series of any level.

- **direct** head: the LSTM reads the input ``patch_size`` points per step, and the last hidden
  state gives all ``h`` steps at once (times each quantile); with ``seasonal_base`` it forecasts
  the departure from the input's last season repeated, with ``drift_base`` from its last value
  continued along its average slope, else from the input's mean.
- **recursive** head: one step ahead at every LSTM step; forecasting feeds each step back,
  carrying the LSTM state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from .errors import SeriesValidationError
from .intervals import nested_bands
from .model import LSTMConfig, LSTMNetwork

HEADS = ("recursive", "direct")


@dataclass(frozen=True)
class ForecastConfig:
    """The network's architecture and what its outputs mean."""

    h: int
    head: str = "direct"
    patch_size: int = 1
    seasonal_base: bool = False
    drift_base: bool = False
    season: int = 1
    quantile_levels: tuple[float, ...] = ()  # interval levels (percent) a quantile head learns; () for none
    hidden_dim: int = 64
    num_layers: int = 1
    dropout: float = 0.0

    @property
    def quantiles(self) -> list[float]:
        """Probabilities the head outputs: the median, then each level's lower and upper bound."""
        return [0.5] + [q for lv in self.quantile_levels for q in ((1 - lv / 100) / 2, (1 + lv / 100) / 2)]

    @property
    def lstm(self) -> LSTMConfig:
        outputs = self.h * len(self.quantiles) if self.head == "direct" else 1
        return LSTMConfig(self.patch_size, self.hidden_dim, outputs, self.num_layers, self.dropout)

    def to_dict(self) -> dict:
        return dict(asdict(self), quantile_levels=list(self.quantile_levels))

    @classmethod
    def from_dict(cls, d: dict) -> "ForecastConfig":
        return cls(**dict(d, quantile_levels=tuple(d["quantile_levels"])))


class ForecastNetwork(LSTMNetwork):
    """The LSTM and its head, built from (and keeping) a :class:`ForecastConfig`."""

    def __init__(self, config: ForecastConfig):
        super().__init__(config.lstm)
        self.config = config


def _direct_parts(cfg: ForecastConfig, window: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The direct head's input ``[B, seq_size / patch_size, patch_size]`` from windows
    ``[B, seq_size]``, and what its output is added to: ``[B, 1, h]`` (the last season
    repeated, or the drift) or ``[B, 1, 1]`` (the mean)."""
    level = window.mean(1, keepdim=True)  # [B, 1]
    B, L = window.shape
    x = (window - level).view(B, L // cfg.patch_size, cfg.patch_size)
    if cfg.seasonal_base:
        m = cfg.season
        return x, window[:, None, L - m :].repeat(1, 1, -(-cfg.h // m))[:, :, : cfg.h]
    if cfg.drift_base:  # the last value, continued along the line from the first
        slope = (window[:, -1:] - window[:, :1]) / (L - 1)  # [B, 1]
        steps = torch.arange(1, cfg.h + 1, dtype=window.dtype, device=window.device)
        return x, (window[:, -1:] + slope * steps)[:, None, :]
    return x, level[:, :, None]


def direct_block(net, cfg: ForecastConfig, window: torch.Tensor) -> torch.Tensor:
    """The direct head's ``h`` steps ``[B, Q, h]`` in model space (``Q`` quantiles, the median first)."""
    x, offset = _direct_parts(cfg, window)
    return net(x, last_only=True)[0].reshape(x.shape[0], -1, cfg.h) + offset  # shape[0]: a batch the ONNX graph keeps dynamic


def forecast(net, cfg: ForecastConfig, z: torch.Tensor, h: int) -> torch.Tensor:
    """Forecast ``h`` steps ``[S, h]`` (the median) from windows ``z`` ``[S, seq_size]``."""
    if cfg.head == "recursive":
        level = z.mean(1, keepdim=True)  # [S, 1]
        out, state = net((z - level).unsqueeze(-1))  # [S, L, 1]
        step = out[:, -1]  # [S, 1]
        preds = [step]
        for _ in range(h - 1):
            out, state = net(step.unsqueeze(-1), state)  # carry the state: one step per call
            step = out[:, -1]
            preds.append(step)
        return torch.cat(preds, 1) + level
    preds, window = [], z
    for _ in range(-(-h // cfg.h)):  # blocks of the trained h for horizons past it
        block = direct_block(net, cfg, window)[:, 0]  # [S, trained h]
        preds.append(block)
        window = torch.cat([window, block], 1)[:, -window.shape[1] :]
    return torch.cat(preds, 1)[:, :h]


def ensemble_forecast(nets: list, z: torch.Tensor, h: int, *, quantiles: bool = False) -> torch.Tensor:
    """The networks' mean forecast: ``[S, h]``, or ``[S, Q, h]`` of a quantile head with ``quantiles``."""
    cfg = nets[0].config
    with torch.inference_mode():
        if quantiles:
            return torch.stack([direct_block(net, cfg, z)[:, :, :h] for net in nets]).mean(0)
        return torch.stack([forecast(net, cfg, z, h) for net in nets]).mean(0)


def quantile_bands(nets: list, z: torch.Tensor, h: int, level: list) -> dict:
    """``{level: (lower, upper)}`` ``[S, h]`` in model space from the networks' quantile head."""
    cfg = nets[0].config
    missing = [lv for lv in level if lv not in cfg.quantile_levels]
    if missing:
        raise SeriesValidationError(f"level={missing} was not learned: this model's quantile head has quantile_levels="
                                    f"{list(cfg.quantile_levels)}; refit with those levels or use intervals='conformal'")
    if h > cfg.h:
        raise SeriesValidationError(f"quantile intervals reach h={cfg.h} (the trained horizon), not h={h}; use intervals='conformal'")
    q = ensemble_forecast(nets, z, h, quantiles=True).double().cpu().numpy()  # [S, Q, h]
    return nested_bands(q, cfg.quantile_levels, level)


def elementwise_error(loss: str):
    """The error of training and validation: absolute for "mae" and quantile heads, else squared."""
    return torch.abs if loss == "mae" else torch.square


def loss_function(cfg: ForecastConfig, seq_size: int, loss: str, precision: str, device: torch.device):
    """``loss(net, windows)``: the training loss of windows ``[B, seq_size + h]``.

    A quantile head takes the pinball loss over its quantiles (the median's is MAE / 2); the
    recursive head scores every step one ahead. ``precision="bf16"`` runs it under autocast.
    """
    L, h = seq_size, cfg.h
    error = elementwise_error("mae" if cfg.quantile_levels else loss)
    probs = torch.tensor(cfg.quantiles, device=device)[None, :, None]  # [1, Q, 1]

    def compute(net, w):
        if cfg.head == "direct":  # the offset goes to the target's side: no autograd work for it
            x, offset = _direct_parts(cfg, w[:, :L])
            target = w[:, None, L:] - offset  # [B, 1, h]
            out = net(x, last_only=True)[0]  # [B, Q * h]
            if cfg.quantile_levels:
                e = target - out.reshape(len(out), -1, h)  # [B, Q, h]
                return torch.mean(torch.maximum(probs * e, (probs - 1) * e))
            return torch.mean(error(out - target[:, 0]))
        u = w - w[:, :L].mean(1, keepdim=True)  # centred on the input part
        out = net(u[:, :-1].unsqueeze(-1))[0].squeeze(-1)  # [B, L + h - 1], one step ahead
        return torch.mean(error(out - u[:, 1:]))

    if precision == "fp32":
        return compute

    def compute_bf16(net, w):
        with torch.autocast(device.type, dtype=torch.bfloat16):
            return compute(net, w).float()
    return compute_bf16


def validator(cfg: ForecastConfig, loss: str, inputs: torch.Tensor, targets: torch.Tensor):
    """``validate(net)``: the mean error of ``net``'s forecasts from ``inputs`` ``[W, seq_size]``
    against ``targets`` ``[W, V]``, in model space (lower is better)."""
    error = elementwise_error("mae" if cfg.quantile_levels else loss)

    def validate(net) -> float:
        return torch.mean(error(forecast(net, cfg, inputs, targets.shape[1]) - targets)).item()
    return validate
