"""``SeriesPredictor``: the book's sequence-to-sequence LSTM, done right.

Windows ``x`` of shape ``[batch, seq_size, input_dim]`` map to targets ``y`` of shape
``[batch, seq_size]``: one value per step, read from the hidden state at that step through one
linear layer. Inputs and targets are scaled with statistics of the training data only.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from .errors import NotFittedError, SeriesValidationError
from .model import LSTMConfig, LSTMNetwork
from .params import MAX_BATCH, MAX_SEED, MAX_SEQ_SIZE, MAX_STEPS, MAX_THREADS, Params, check_choice, check_int, check_number
from .fields import DICT, LOSS_HISTORY, check_fields, integer, list_of, number, one_of
from .persistence import MAX_UNITS, load_estimator, load_model, load_network, save_model
from .scaling import METHODS, Scaler
from .runtime import check_network_memory, choose_threads, num_threads, seeded
from .training import TrainConfig, fit_network


def _as_array(name: str, value, ndim: int, shape_hint: str) -> np.ndarray:
    """Convert nested lists, arrays or tensors to float64, refusing anything malformed."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray) and np.iscomplexobj(value):  # a list of complex numbers fails float() below
        raise SeriesValidationError(f"{name} holds complex numbers; it needs real numbers shaped {shape_hint}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError) as e:
        raise SeriesValidationError(
            f"{name} must be numbers shaped {shape_hint}; could not convert it ({e}). "
            "Check that every window has the same length and holds only numbers"
        ) from None
    if arr.size == 0:
        raise SeriesValidationError(f"{name} is empty (shape {arr.shape}); pass at least one window, shaped {shape_hint}")
    if arr.ndim != ndim:
        fix = ("wrap each value in a list ([[1], [2], ...]) or use x[..., None] for one feature" if ndim == 3
               else "pass one row of targets per window, e.g. [[1, 3, 7, 11], ...]")
        raise SeriesValidationError(f"{name} must be {ndim}-D, shaped {shape_hint}; got shape {arr.shape}: {fix}")
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise SeriesValidationError(
            f"{name} holds {int(bad.sum())} NaN or infinite value(s), the first at index {first} "
            f"({arr[first]}); remove or fill them"
        )
    huge = np.abs(arr) > 1e300  # the training range (max - min) of such values overflows
    if huge.any():
        first = tuple(int(i) for i in np.argwhere(huge)[0])
        raise SeriesValidationError(f"{name} holds values too large for float64 arithmetic (e.g. {arr[first]:g} at index {first}); "
                                    "divide them by a power of ten")
    return arr


class SeriesPredictor(Params):
    """An LSTM that maps each step of a window to one predicted value.

    Args:
        input_dim: features per time step.
        seq_size: time steps per window.
        hidden_dim: LSTM hidden units.
        steps: Adam steps (the book uses 1000).
        lr: Adam learning rate.
        batch_size: windows per step; None trains on all windows at once, as the book does.
        scaler: "minmax" (training range; reproduces the book's demo best, see
            benchmarks/README.md), "standard" (z-score) or "none".
        grad_clip: global gradient-norm clip; None disables it.
        seed: makes training repeatable; None draws a fresh seed.
        threads: torch intra-op threads while training; None chooses from the model size.
        log_every: record (and with ``verbose`` print) the loss every this many steps.
        verbose: print ``step loss`` lines as the book does.
    """

    def __init__(
        self,
        input_dim: int,
        seq_size: int,
        hidden_dim: int = 10,
        *,
        steps: int = 1000,
        lr: float = 0.01,
        batch_size: int | None = None,
        scaler: str = "minmax",
        grad_clip: float | None = 1.0,
        seed: int | None = None,
        threads: int | None = None,
        log_every: int = 100,
        verbose: bool = False,
    ):
        self._set_params_from(locals())

    def __repr__(self) -> str:
        return f"SeriesPredictor(input_dim={self.input_dim}, seq_size={self.seq_size}, hidden_dim={self.hidden_dim})"

    # -- validation ------------------------------------------------------------------------
    def _check_settings(self) -> None:
        for name, hi in (("input_dim", MAX_UNITS), ("seq_size", MAX_SEQ_SIZE), ("hidden_dim", MAX_UNITS), ("steps", MAX_STEPS),
                         ("log_every", MAX_STEPS)):
            check_int(self, name, 1, hi)
        for name, lo, hi in (("batch_size", 1, MAX_BATCH), ("threads", 1, MAX_THREADS), ("seed", 0, MAX_SEED)):
            check_int(self, name, lo, hi, optional=True)
        check_number(self, "lr", 0, 1, low_open=True)
        check_number(self, "grad_clip", 0, math.inf, low_open=True, optional=True)
        check_choice(self, "scaler", METHODS)
        check_choice(self, "verbose", (True, False))
        check_network_memory(LSTMConfig(self.input_dim, self.hidden_dim, 1))

    def _check_x(self, x, name: str = "x") -> np.ndarray:
        hint = f"[batch, seq_size={self.seq_size}, input_dim={self.input_dim}]"
        arr = _as_array(name, x, 3, hint)
        if arr.shape[1] != self.seq_size:
            raise SeriesValidationError(
                f"{name} has {arr.shape[1]} time steps per window (shape {arr.shape}) but seq_size={self.seq_size}; "
                f"pass windows of {self.seq_size} steps or build the predictor with seq_size={arr.shape[1]}"
            )
        if arr.shape[2] != self.input_dim:
            raise SeriesValidationError(
                f"{name} has {arr.shape[2]} features per step (shape {arr.shape}) but input_dim={self.input_dim}; "
                f"pass {self.input_dim} feature(s) per step or build the predictor with input_dim={arr.shape[2]}"
            )
        return arr

    # -- fitting and predicting ------------------------------------------------------------
    def fit(self, x, y) -> "SeriesPredictor":
        """Train on windows ``x`` ``[batch, seq_size, input_dim]`` and targets ``y`` ``[batch, seq_size]``."""
        self._check_settings()
        x = self._check_x(x)
        y = _as_array("y", y, 2, f"[batch, seq_size={self.seq_size}]")
        if y.shape != x.shape[:2]:
            raise SeriesValidationError(
                f"y has shape {y.shape} but x has {x.shape[0]} windows of {x.shape[1]} steps; "
                f"y must be shaped {x.shape[:2]}: one target per window and step"
            )
        self.x_scaler_ = Scaler.fit(x.reshape(-1, self.input_dim), self.scaler, axis=0)
        self.y_scaler_ = Scaler.fit(y, self.scaler)
        xs = torch.as_tensor(self.x_scaler_.transform(x), dtype=torch.float32)
        ys = torch.as_tensor(self.y_scaler_.transform(y), dtype=torch.float32)
        n = xs.shape[0]
        batch = n if self.batch_size is None else min(self.batch_size, n)
        log = (lambda step, loss: print(step, loss)) if self.verbose else None
        with seeded(self.seed) as gen, num_threads(choose_threads(batch, self.hidden_dim, self.threads)):
            net = LSTMNetwork(LSTMConfig(self.input_dim, self.hidden_dim, 1))

            def sample(step):
                if batch == n:
                    return xs, ys
                idx = torch.randint(n, (batch,), generator=gen)
                return xs[idx], ys[idx]

            def loss_fn(net, b):
                out, _ = net(b[0])  # [batch, seq_size, 1]
                return torch.mean((out.squeeze(-1) - b[1]) ** 2)

            config = TrainConfig(steps=self.steps, lr=self.lr, grad_clip=self.grad_clip, log_every=self.log_every)
            result = fit_network(net, sample, loss_fn, config, log=log)
        self.net_ = net
        self.history_ = result.losses
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError(
                "This SeriesPredictor instance is not fitted yet. Call 'fit' (or 'train') with "
                "training windows before using this method, or load a saved model with SeriesPredictor.load"
            )

    def predict(self, x) -> np.ndarray:
        """Predicted targets, ``[batch, seq_size]``, in the units of the training ``y``."""
        self._check_fitted()
        x = self._check_x(x)
        xs = torch.as_tensor(self.x_scaler_.transform(x), dtype=torch.float32)
        with torch.inference_mode():
            out, _ = self.net_(xs)  # [batch, seq_size, 1]
        return self.y_scaler_.inverse(out.squeeze(-1).double().numpy())

    # -- the book's API ------------------------------------------------------------------
    def train(self, train_x, train_y, path="model.ckpt") -> "SeriesPredictor":
        """Fit, printing the loss every ``log_every`` steps, then save to ``path`` (the book's ``train``)."""
        verbose, self.verbose = self.verbose, True
        try:
            self.fit(train_x, train_y)
        finally:
            self.verbose = verbose
        self.save(path, overwrite=True)
        print(f"Model saved to {path}")
        return self

    def test(self, test_x, path="model.ckpt") -> np.ndarray:
        """Restore the model saved by ``train`` and predict (the book's ``test``)."""
        restored = type(self).load(path)
        self.__dict__.update(restored.__dict__)
        return self.predict(test_x)

    # -- model files ---------------------------------------------------------------------
    def save(self, path, *, overwrite: bool = False) -> Path:
        """Save to a model directory (safetensors weights + JSON settings)."""
        self._check_fitted()
        config = {
            "params": self.get_params(),
            "network": self.net_.config.to_dict(),
            "x_scaler": self.x_scaler_.to_dict(),
            "y_scaler": self.y_scaler_.to_dict(),
            "history": self.history_,
        }
        return save_model(path, "SeriesPredictor", self.net_.state_dict(), config, overwrite=overwrite)

    @classmethod
    def load(cls, path) -> "SeriesPredictor":
        """Load a model saved with :meth:`save`; never runs code from the file.

        Every field is checked before anything is built from it (``ModelFileError`` names it).
        """
        tensors, config = load_model(path, "SeriesPredictor")
        check_fields(config, {"params": DICT, "network": DICT, "x_scaler": DICT, "y_scaler": DICT}, path)
        self = load_estimator(cls, config["params"], path)
        check_fields(config, {
            "params.seq_size": integer(1, 10**7),
            "network.input_dim": one_of(self.input_dim), "network.hidden_dim": one_of(self.hidden_dim),
            "network.output_dim": one_of(1), "network.num_layers": one_of(1),
            **{f"{name}.{key}": rule for name, size in (("x_scaler", self.input_dim), ("y_scaler", 1)) for key, rule in (
                ("method", one_of(*METHODS)), ("shift", list_of(number(), size)),
                ("scale", list_of(number(0, low_open=True), size)))},
            "history": LOSS_HISTORY,
        }, path)
        self.x_scaler_ = Scaler.from_dict(config["x_scaler"])
        self.y_scaler_ = Scaler.from_dict(config["y_scaler"])
        self.history_ = [tuple(p) for p in config["history"]]
        self.net_ = load_network(config["network"], tensors, path)
        return self

