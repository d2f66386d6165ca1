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
from torch import nn

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
    n_hist: int = 0  # past-only covariates
    n_known: int = 0  # known-future covariates (the user's and the calendar's)
    n_static: int = 0  # numeric statics
    categories: tuple[int, ...] = ()  # categorical statics: codes per column (0: unseen at fit)

    @property
    def covariates(self) -> int:
        """Covariate rows of a window after the target's: past-only, known-future, statics."""
        return self.n_hist + self.n_known + self.n_static + len(self.categories)

    @property
    def embeddings(self) -> tuple[int, ...]:
        """The embedding width of each categorical static."""
        return tuple(min(8, (c + 1) // 2) for c in self.categories)

    @property
    def static_width(self) -> int:
        return self.n_static + sum(self.embeddings)

    @property
    def quantiles(self) -> list[float]:
        """Probabilities the head outputs: the median, then each level's lower and upper bound."""
        return [0.5] + [q for lv in self.quantile_levels for q in ((1 - lv / 100) / 2, (1 + lv / 100) / 2)]

    @property
    def lstm(self) -> LSTMConfig:
        outputs = self.h * len(self.quantiles) if self.head == "direct" else 1
        if self.head == "direct":  # each LSTM step reads a patch of the target and of every dynamic covariate, and the statics
            inputs = self.patch_size * (1 + self.n_hist + self.n_known) + self.static_width
        else:  # each step reads the target, the next step's known-future values and the statics
            inputs = 1 + self.n_known + self.static_width
        return LSTMConfig(inputs, self.hidden_dim, outputs, self.num_layers, self.dropout)

    def to_dict(self) -> dict:
        return dict(asdict(self), quantile_levels=list(self.quantile_levels), categories=list(self.categories))

    @classmethod
    def from_dict(cls, d: dict) -> "ForecastConfig":
        return cls(**dict(d, quantile_levels=tuple(d["quantile_levels"]), categories=tuple(d.get("categories", ()))))


class ForecastNetwork(LSTMNetwork):
    """The LSTM and its head, built from (and keeping) a :class:`ForecastConfig`. With covariates,
    the direct head also reads the known-future values of each step ahead and the statics, and
    each categorical static has an embedding."""

    def __init__(self, config: ForecastConfig):
        super().__init__(config.lstm)
        self.config = config
        if config.covariates:
            if config.head == "direct":
                extra = config.n_known * config.h + config.static_width
                self.head = nn.Linear(config.hidden_dim + extra, config.lstm.output_dim)
            self.embed = nn.ModuleList(nn.Embedding(c, w) for c, w in zip(config.categories, config.embeddings))

    def forward(self, x: torch.Tensor, state=None, *, last_only: bool = False, through=None):
        """The LSTM and the head (see :class:`LSTMNetwork`), or ``through(self, x)``: a computation
        over the module's parts (the embeddings, the LSTM, the direct head) run as its forward, so
        that DistributedDataParallel, which wraps the forward only, sees it and syncs its gradients."""
        if through is not None:
            return through(self, x)
        return super().forward(x, state, last_only=last_only)

    def statics(self, rows: torch.Tensor) -> torch.Tensor:
        """``[B, static_width]`` from a window's static rows ``[B, n_static + categorical]``: numbers as
        they are, each category code embedded."""
        cfg = self.config
        codes = rows[:, cfg.n_static :].round().long()
        return torch.cat([rows[:, : cfg.n_static], *(e(codes[:, k]) for k, e in enumerate(self.embed))], 1)

    def direct(self, x: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        """The direct head on the last hidden state and ``extra`` (known-future values, statics)."""
        out, _ = self.lstm(x)
        return self.head(torch.cat([out[:, -1], extra], 1))


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


def horizon_span(cfg: ForecastConfig, h: int) -> int:
    """Steps of covariates after the input that a forecast of ``h`` steps reads: whole blocks of the
    trained horizon for the direct head, ``h`` for the recursive one."""
    return -(-h // cfg.h) * cfg.h if cfg.head == "direct" else h


def _covariate_parts(net, cfg: ForecastConfig, w: torch.Tensor, L: int):
    """The direct head's input and what its output is added to (as :func:`_direct_parts`), and its
    extra input ``[B, n_known * h + static_width]``, from covariate windows ``w`` ``[B, 1 + C, L + h]``
    (row 0 the target, whose last ``h`` points are not read)."""
    B, p, D = w.shape[0], cfg.patch_size, cfg.n_hist + cfg.n_known
    x, offset = _direct_parts(cfg, w[:, 0, :L])
    dynamic = w[:, 1 : 1 + D, :L].reshape(B, D, L // p, p).transpose(1, 2).reshape(B, L // p, D * p)
    statics = net.statics(w[:, 1 + D :, 0])
    known = w[:, 1 + cfg.n_hist : 1 + D, L : L + cfg.h].reshape(B, -1)
    x = torch.cat([x, dynamic, statics[:, None].expand(-1, L // p, -1)], 2)
    return x, offset, torch.cat([known, statics], 1)


def direct_block(net, cfg: ForecastConfig, window: torch.Tensor) -> torch.Tensor:
    """The direct head's ``h`` steps ``[B, Q, h]`` in model space (``Q`` quantiles, the median first)
    from windows ``[B, seq_size]``, or, with covariates, ``[B, 1 + C, seq_size + h]``."""
    if window.dim() == 3:
        x, offset, extra = _covariate_parts(net, cfg, window, window.shape[2] - cfg.h)
        return net.direct(x, extra).reshape(x.shape[0], -1, cfg.h) + offset
    x, offset = _direct_parts(cfg, window)
    return net(x, last_only=True)[0].reshape(x.shape[0], -1, cfg.h) + offset  # shape[0]: a batch the ONNX graph keeps dynamic


def _recursive_inputs(net, cfg: ForecastConfig, u: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
    """The recursive head's inputs ``[B, T, 1 + n_known + static_width]``: each step's target ``u``
    ``[B, T]`` with the next step's known-future values and the statics of covariate windows ``w``
    ``[B, 1 + C, T + 1]`` (aligned with ``u``'s first point), or ``u`` alone."""
    if w is None:
        return u.unsqueeze(-1)
    T, D = u.shape[1], cfg.n_hist + cfg.n_known
    known = w[:, 1 + cfg.n_hist : 1 + D, 1 : T + 1].transpose(1, 2)
    statics = net.statics(w[:, 1 + D :, 0])[:, None].expand(-1, T, -1)
    return torch.cat([u.unsqueeze(-1), known, statics], 2)


def forecast(net, cfg: ForecastConfig, z: torch.Tensor, h: int) -> torch.Tensor:
    """Forecast ``h`` steps ``[S, h]`` (the median) from windows ``z`` ``[S, seq_size]``, or, with
    covariates, ``[S, 1 + C, seq_size + H]`` (``H``: ``h`` rounded up to whole blocks of the trained
    horizon for the direct head; the target's part after ``seq_size`` is not read)."""
    w = z if z.dim() == 3 else None
    blocks = -(-h // cfg.h)
    L = z.shape[-1] - (blocks * cfg.h if w is not None and cfg.head == "direct" else h if w is not None else 0)
    target = z[:, 0, :L] if w is not None else z
    if cfg.head == "recursive":
        level = target.mean(1, keepdim=True)  # [S, 1]
        out, state = net(_recursive_inputs(net, cfg, target - level, w))  # [S, L, 1]
        step = out[:, -1]  # [S, 1]
        preds = [step]
        for k in range(1, h):
            inputs = _recursive_inputs(net, cfg, step, None if w is None else w[:, :, L - 1 + k : L + k + 1])
            out, state = net(inputs, state)  # carry the state: one step per call
            step = out[:, -1]
            preds.append(step)
        return torch.cat(preds, 1) + level
    preds, window = [], target
    for b in range(blocks):  # blocks of the trained h for horizons past it
        if w is None:
            block = direct_block(net, cfg, window)[:, 0]  # [S, trained h]
        else:  # the block's covariates, with the target forecast so far as its input
            span = w[:, :, b * cfg.h : b * cfg.h + L + cfg.h]
            block = direct_block(net, cfg, torch.cat([torch.cat([window, window[:, : cfg.h]], 1)[:, None], span[:, 1:]], 1))[:, 0]
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
        if w.dim() == 3:  # covariate windows [B, 1 + C, L + h], through the forward (a DDP wrapper has no .statics, .direct)
            return net(w, through=compute_covariates)
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

    def compute_covariates(net, w):
        y = w[:, 0]
        if cfg.head == "direct":
            x, offset, extra = _covariate_parts(net, cfg, w, L)
            target = y[:, None, L:] - offset  # [B, 1, h]
            out = net.direct(x, extra)
            if cfg.quantile_levels:
                e = target - out.reshape(len(out), -1, h)
                return torch.mean(torch.maximum(probs * e, (probs - 1) * e))
            return torch.mean(error(out - target[:, 0]))
        u = y - y[:, :L].mean(1, keepdim=True)
        out = net(_recursive_inputs(net, cfg, u[:, :-1], w))[0].squeeze(-1)
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
