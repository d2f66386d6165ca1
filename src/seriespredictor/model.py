"""The network: an LSTM over ``[batch, steps, input_dim]`` and one linear head.

Both estimators build it: ``SeriesPredictor`` reads the head at every step (the book's
design); ``Forecaster`` reads it at every step (recursive forecasting) or only at the last
step with one output per horizon step (direct forecasting).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

State = tuple[torch.Tensor, torch.Tensor]


@dataclass
class LSTMConfig:
    """Architecture settings; training settings live with the estimators."""

    input_dim: int
    hidden_dim: int = 10
    output_dim: int = 1
    num_layers: int = 1
    dropout: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def parameter_count(self) -> int:
        """Weights of :class:`LSTMNetwork` with this config (torch's LSTM has two biases per gate)."""
        H = self.hidden_dim
        first = 4 * H * (self.input_dim + H + 2)
        return first + (self.num_layers - 1) * 4 * H * (2 * H + 2) + self.output_dim * (H + 1)


class LSTMNetwork(nn.Module):
    def __init__(self, config: LSTMConfig):
        super().__init__()
        self.config = config
        self.lstm = nn.LSTM(
            config.input_dim,
            config.hidden_dim,
            num_layers=config.num_layers,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.head = nn.Linear(config.hidden_dim, config.output_dim)

    def forward(
        self, x: torch.Tensor, state: State | None = None, *, last_only: bool = False
    ) -> tuple[torch.Tensor, State]:
        """Run the LSTM and the head.

        Args:
            x: inputs, ``[batch, steps, input_dim]``.
            state: ``(h, c)`` carried over from an earlier call, or None for zeros.
            last_only: apply the head to the last step only.

        Returns:
            ``([batch, steps, output_dim]`` or ``[batch, output_dim]`` with ``last_only``,
            the new state).
        """
        out, state = self.lstm(x, state)  # [batch, steps, hidden]
        if last_only:
            out = out[:, -1]  # [batch, hidden]
        return self.head(out), state  # [batch, (steps,) output_dim]
