import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seriespredictor.windows import EpochSampler, WindowBatches, window_counts, window_starts


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


def test_batches_in_blocks_are_the_steps_one_by_one():
    lengths = np.array([300, 50, 900])
    counts = window_counts(lengths, 20)
    cum = torch.as_tensor(np.cumsum(counts))
    first = torch.as_tensor(np.r_[0, np.cumsum(lengths)[:-1]]) - cum + torch.as_tensor(counts)
    single = EpochSampler(int(cum[-1]), 64, seed=5)  # 1214 windows: 18 batches per epoch
    oracle = [window_starts(single.batches(step)[0], first, cum).tolist() for step in range(45)]
    assert EpochSampler(int(cum[-1]), 64, seed=5).batches(15, 8).shape == (3, 64)  # a block ends with its epoch
    blocks = WindowBatches(EpochSampler(int(cum[-1]), 64, seed=5), first, cum, block=7)
    assert [blocks(step).tolist() for step in range(45)] == oracle
    resumed = WindowBatches(EpochSampler(int(cum[-1]), 64, seed=5), first, cum, block=7)  # as after a checkpoint
    assert [resumed(step).tolist() for step in range(22, 45)] == oracle[22:]
    assert oracle[0] != oracle[18]  # a new epoch, a new order
