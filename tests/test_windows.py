import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seriespredictor.windows import window_counts, window_starts


@given(lengths=st.lists(st.integers(0, 40), min_size=1, max_size=8), span=st.integers(1, 12))
@settings(max_examples=200, deadline=None)
def test_every_window_exactly_once_and_never_across_series(lengths, span):
    lengths = np.array(lengths)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    counts = window_counts(lengths, span)
    # Oracle: a plain loop over series and start positions.
    oracle = [o + s for o, n in zip(offsets, lengths) for s in range(n - span + 1)]
    assert counts.sum() == len(oracle)
    if not oracle:
        return
    cum = torch.as_tensor(np.cumsum(counts))
    first = torch.as_tensor(offsets) - cum + torch.as_tensor(counts)
    starts = window_starts(torch.arange(int(cum[-1])), first, cum)
    assert starts.tolist() == oracle
    ends = np.concatenate([[0], np.cumsum(lengths)])
    for s in starts.tolist():  # inside one series
        i = np.searchsorted(ends, s, side="right") - 1
        assert s + span <= ends[i + 1]


def test_counts():
    assert window_counts([10, 3, 5], 5).tolist() == [6, 0, 1]
