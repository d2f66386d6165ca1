import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seriespredictor import SeriesValidationError
from seriespredictor.data import to_panel
from seriespredictor.windows import EpochSampler, TrainingWindows, WindowBatches, calibration_set, held_out, window_counts, window_starts


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


def test_held_out_points_come_off_series_long_enough_to_keep_h_plus_one():
    panel = to_panel(pd.DataFrame({"unique_id": ["a"] * 20 + ["b"] * 8, "ds": list(range(20)) + list(range(8)), "y": 1.0}))
    train_len, validated = held_out(panel, 6, 4)
    assert train_len.tolist() == [14, 8] and validated.tolist() == [True, False]  # b: 8 < 6 + 4 + 1
    assert held_out(panel, 0, 4)[1].tolist() == [False, False]
    with pytest.raises(SeriesValidationError, match=r"no series has more than h=20 points \(the longest, 'a', has 20\)"):
        held_out(panel, 0, 20)


def test_calibration_windows_roll_over_the_held_out_part():
    store = torch.arange(30.0)  # one series of 30 points, the last 8 held out
    inputs, targets, stride = calibration_set(store, np.array([0]), np.array([22]), 8, 4, 5)
    assert stride == 1 and targets.tolist() == [[22, 23, 24, 25], [23, 24, 25, 26], [24, 25, 26, 27], [25, 26, 27, 28], [26, 27, 28, 29]]
    assert inputs[0].tolist() == [17, 18, 19, 20, 21] and inputs[-1].tolist() == [21, 22, 23, 24, 25]


def test_padded_windows_repeat_the_first_point_before_a_short_series():
    store = torch.tensor([1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 13.0, 14.0])  # series of 3 and 5 points
    windows = TrainingWindows(store, np.array([0, 3, 8]), np.array([3, 5]), span=4, pad=2)
    got = windows.windows[window_starts(torch.arange(windows.total), windows.first, windows.cum)]
    assert got.tolist() == [[1, 1, 1, 2], [1, 1, 2, 3],
                            [10, 10, 10, 11], [10, 10, 11, 12], [10, 11, 12, 13], [11, 12, 13, 14]]
    sample = windows.sampler(6, seed=0)
    assert sorted(map(tuple, sample(0).tolist())) == sorted(map(tuple, got.tolist()))  # one epoch: every window once
