"""Training windows as index arithmetic over the contiguous series store.

No window is ever materialised: window number ``k`` (0 <= k < total) of the panel maps to a
start position in the store, and a batch is one gather ``store[starts[:, None] + arange(span)]``.
Memory is one count per series, whatever the number of windows.
"""

from __future__ import annotations

import numpy as np
import torch


def window_counts(lengths: np.ndarray, span: int) -> np.ndarray:
    """Windows of ``span`` consecutive points that fit in series of ``lengths`` points."""
    return np.maximum(np.asarray(lengths, dtype=np.int64) - span + 1, 0)


def window_starts(k: torch.Tensor, offsets: torch.Tensor, counts: torch.Tensor, cum: torch.Tensor) -> torch.Tensor:
    """Store positions where windows number ``k`` begin.

    Args:
        k: window numbers, each in ``[0, cum[-1])``.
        offsets: position of each series' first point in the store.
        counts: windows per series; ``cum`` is their cumulative sum.
    """
    series = torch.searchsorted(cum, k, right=True)  # the series holding window k
    return offsets[series] + k - (cum[series] - counts[series])
