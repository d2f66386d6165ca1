"""One scaler for both estimators: statistics fitted on training data only, kept in float64.

A scaler is the arrays ``(shift, scale)`` and log flags: ``SeriesPredictor`` fits one per
feature of its windows, ``Forecaster`` one per series of its store, on each series' training
part (:meth:`Scaler.fit_series`). Both follow one rule for a constant (:func:`_spread`): it
scales to zeros, never NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import SeriesValidationError

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
    """``transform(x) = ((log(x) if log else x) - shift) / scale`` with statistics ``shift``,
    ``scale`` and flags ``log`` shaped to broadcast against the data: ``[features]`` for
    ``SeriesPredictor``'s windows, ``[series]`` for ``Forecaster``'s store (:meth:`at` selects
    rows of series). Where ``x - shift`` overflows (both near 1e308 with opposite signs),
    ``x / scale - shift / scale``."""

    method: str
    shift: np.ndarray
    scale: np.ndarray
    log: np.ndarray | bool = False

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
        size = np.atleast_1d(np.max(np.abs(x), axis=axis))
        return cls(method, np.atleast_1d(shift), _spread(np.atleast_1d(scale), size))

    @classmethod
    def fit_series(cls, values: np.ndarray, offsets: np.ndarray, train_len: np.ndarray, log: np.ndarray) -> "Scaler":
        """Per series of the store ``values`` (series ``i`` at ``offsets[i]:offsets[i + 1]``):
        mean and standard deviation of its first ``train_len[i]`` points, log-transformed where
        ``log[i]``, in one vectorised pass.

        Each series is divided by the power of two above its largest value first (exact), so
        values near 1e300 neither overflow the sums nor the squares.
        """
        S = len(train_len)
        series = np.repeat(np.arange(S), train_len)
        first = np.cumsum(train_len) - train_len  # where each series' training part starts in v
        v = values[offsets[:-1][series] + np.arange(len(series)) - first[series]]
        v = np.where(log[series], np.log(np.where(log[series], v, 1.0)), v)
        size = np.maximum.reduceat(np.abs(v), first)
        _, exponent = np.frexp(size)
        u = np.ldexp(v, -exponent[series])
        mean = np.add.reduceat(u, first) / train_len
        std = np.sqrt(np.add.reduceat((u - mean[series]) ** 2, first) / train_len)
        return cls("standard", np.ldexp(mean, exponent), _spread(np.ldexp(std, exponent), size), log)

    def take(self, rows: np.ndarray) -> "Scaler":
        """The statistics of series ``rows``, one row each."""
        return Scaler(self.method, self.shift[rows], self.scale[rows], self.log[rows])

    def at(self, rows: np.ndarray) -> "Scaler":
        """The statistics of series ``rows``, shaped ``[rows, 1]`` for rows of values ``[rows, T]``."""
        return Scaler(self.method, self.shift[rows, None], self.scale[rows, None], self.log[rows, None])

    def transform(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        v = np.where(self.log, np.log(np.where(self.log, x, 1.0)), x)
        with np.errstate(over="ignore", invalid="ignore"):
            d = v - self.shift  # exact where values are close to the shift, however large
            if np.isfinite(d).all():
                return d / self.scale
            return np.where(np.isfinite(d), d / self.scale, v / self.scale - self.shift / self.scale)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Back to the data's units; a value too large to represent becomes inf (never capped)."""
        with np.errstate(over="ignore", invalid="ignore"):
            v = np.asarray(z, dtype=np.float64) * self.scale + self.shift
            return np.where(self.log, np.exp(v), v)

    def to_dict(self) -> dict:
        return {"method": self.method, "shift": self.shift.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Scaler":
        return cls(d["method"], np.asarray(d["shift"], np.float64), np.asarray(d["scale"], np.float64))


def _spread(scale: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The scale, where a spread within a few roundings of the values' ``size`` (a constant)
    becomes a thousandth of that size (1 for zeros): a constant scales to zeros. Any larger
    spread is kept, so 1e20 plus moves of 1e5 is scaled by its moves, not by 1e17."""
    constant = scale <= 4 * np.finfo(np.float64).eps * size
    floor = np.where(1e-3 * size > 0, 1e-3 * size, 1.0)
    return np.where(constant, floor, scale)


# A window of one value within this of its series' mean, in model space, is a constant series'
# window: its forecast is that value (the networks' output on zeros is some small offset).
FLAT = 1e-3

# log="auto" leaves alone a series whose values all lie within this ratio of each other: its log
# would round its moves away (1e20 plus moves of 1e5) and gains nothing over the values themselves.
LOG_MIN_RATIO = 1 + 1e-6


def log_flags(panel, log) -> np.ndarray:
    """Which series to log-transform: ``log="auto"`` those whose every value is positive and
    that move by more than :data:`LOG_MIN_RATIO` (every one is transformed), True all (refusing
    a series with a value <= 0 by name), False none."""
    low = np.minimum.reduceat(panel.values, panel.offsets[:-1])
    positive = low > 0
    if log is True and not positive.all():
        i = int(np.argmin(positive))
        v = panel.series(i)
        raise SeriesValidationError(f"log=True needs positive values, but series {panel.ids[i]!r} has the value "
                                    f"{float(v[np.argmax(v <= 0)])!r}; use log='auto' or False")
    if log == "auto":
        return positive & (np.maximum.reduceat(panel.values, panel.offsets[:-1]) > LOG_MIN_RATIO * low)
    return np.full(len(panel.ids), bool(log))


def series_transform(scaler: Scaler, values: np.ndarray, ids: list) -> np.ndarray:
    """Rows of raw values ``[R, T]`` to model space with the statistics of each row's series
    (``scaler`` of ``[R]`` rows, e.g. :meth:`Scaler.at`); a value <= 0 of a series the scaler
    log-transforms is refused by name (``ids``: each row's series)."""
    rows = scaler.at(np.arange(len(values)))
    outside = rows.log & ~(values > 0)
    if outside.any():
        r, k = np.argwhere(outside)[0]
        raise SeriesValidationError(
            f"series {ids[r]!r} has the value {float(values[r, k])!r}, but the model log-transforms it "
            "(all its values were positive at fit); refit on data that includes it, or with log=False"
        )
    return rows.transform(values)


def model_space(scaler: Scaler, panel) -> np.ndarray:
    """Every series of ``panel`` in model space, one float32 store; refuses a value it cannot represent."""
    series = np.repeat(np.arange(len(panel.ids)), panel.lengths)
    with np.errstate(over="ignore"):
        rows = Scaler(scaler.method, scaler.shift[series], scaler.scale[series], scaler.log[series])
        store = rows.transform(panel.values).astype(np.float32)
    bad = ~np.isfinite(store)
    if bad.any():
        p = int(np.argmax(bad))
        i, k = series[p], p - panel.offsets[series[p]]
        raise SeriesValidationError(
            f"series {panel.ids[i]!r} cannot be scaled: its value {float(panel.values[p])!r} at position {k} is "
            f"too far from the training part's level ({scaler.shift[i]:.6g}, spread {scaler.scale[i]:.6g}); "
            "check that value, or rescale the series"
        )
    return store
