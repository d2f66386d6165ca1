"""Scalers as plain numbers: statistics fitted on training data only, kept in float64.

Each scaler is a pair of arrays ``(shift, scale)``: ``transform(x) = (x - shift) / scale`` and
``inverse(z) = z * scale + shift``. Statistics are computed in float64 and a zero spread gets
scale 1 (scikit-learn's rule), so a constant series scales to zeros instead of NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = ("standard", "minmax", "none")


def mean_std(x: np.ndarray, axis=None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of float64 ``x`` over ``axis``, without overflow.

    Both are computed on ``x`` divided by the power of two just above ``max|x|`` and scaled
    back: values near 1e300 of both signs would overflow the sums and squares to inf, while the
    statistics themselves are representable. A power of two loses no digit on the way, so where
    no square can overflow or underflow the plain computation, the same numbers, is taken.
    """
    size = np.max(np.abs(x), axis=axis, keepdims=True)
    if np.all((size < 2.0**500) & (size > 2.0**-500)):
        return np.mean(x, axis=axis), np.std(x, axis=axis)
    _, exponent = np.frexp(size)
    u = np.ldexp(x, -exponent)
    mean, std = np.mean(u, axis=axis, keepdims=True), np.std(u, axis=axis, keepdims=True)
    return np.ldexp(mean, exponent).squeeze(axis), np.ldexp(std, exponent).squeeze(axis)


@dataclass
class Scaler:
    method: str
    shift: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, method: str = "standard", axis=None) -> "Scaler":
        """Fit statistics of ``x`` reduced over ``axis`` (None: all elements)."""
        if method not in METHODS:
            raise ValueError(f"scaler={method!r} is not one of {METHODS}")
        x = np.asarray(x, dtype=np.float64)
        if method == "standard":
            shift, scale = mean_std(x, axis)
        elif method == "minmax":
            shift = x.min(axis=axis)
            scale = x.max(axis=axis) - shift
        else:
            shift = np.zeros_like(x.mean(axis=axis))
            scale = np.ones_like(shift)
        shift, scale = np.atleast_1d(shift), np.atleast_1d(scale)
        tiny = np.finfo(np.float64).eps * 1e3 * np.maximum(1.0, np.abs(shift))
        scale = np.where(scale <= tiny, 1.0, scale)
        return cls(method, shift, scale)

    def transform(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.shift) / self.scale

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, dtype=np.float64) * self.scale + self.shift

    def to_dict(self) -> dict:
        return {"method": self.method, "shift": self.shift.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Scaler":
        return cls(d["method"], np.asarray(d["shift"], np.float64), np.asarray(d["scale"], np.float64))
