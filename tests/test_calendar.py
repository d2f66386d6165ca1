import numpy as np
import pandas as pd
import pytest

from seriespredictor import SeriesValidationError
from seriespredictor.calendar import future_times, resolve_season, season_length
from seriespredictor.data import to_panel
from test_data import trading_days


@pytest.mark.parametrize("season,freq", [(24, "h"), (12, "MS"), (7, "D"), (4, "QS"), (48, "30min"), (1, 1), (52, "W-SUN")])
def test_season_length(season, freq):
    assert season_length(freq) == season


def test_obs_freq_keeps_real_timestamps_and_continues_in_business_days():
    days = trading_days()
    df = pd.DataFrame({"unique_id": "AAPL", "ds": days, "y": np.arange(len(days), dtype=float)})
    with pytest.raises(SeriesValidationError, match="freq='obs'"):
        to_panel(df, freq="B")
    p = to_panel(df, freq="obs")
    assert p.freq == "obs:B" and p.filled == 0
    assert p.times(0).equals(pd.DatetimeIndex(days)) and p.last_time(0) == days[-1]
    assert list(p.times(0, len(days) - 1, 3)) == [days[-1], *pd.bdate_range(days[-1], periods=3)[1:]]
    head = p.head(np.array([12]))
    assert head.times(0).equals(pd.DatetimeIndex(days[:12])) and head.to_frame()["ds"].tolist() == list(days[:12])
    assert list(future_times(p.last_time(0), p.freq, 2)) == list(pd.bdate_range(days[-1], periods=3)[1:])
    assert season_length(p.freq) == 5


def test_obs_freq_steps_by_the_most_common_step_and_accepts_integers():
    ts = pd.to_datetime(["2024-01-06", "2024-01-07", "2024-01-08", "2024-01-10", "2024-01-11"])  # a weekend: not B
    p = to_panel(pd.DataFrame({"ds": ts, "y": 1.0}), freq="obs")
    assert p.freq == "obs:D" and list(future_times(p.last_time(0), p.freq, 1)) == [pd.Timestamp("2024-01-12")]
    q = to_panel(np.arange(4.0), freq="obs")
    assert q.freq == "obs:1" and list(q.times(0, 3, 2)) == [3, 4]


def test_obs_freq_keeps_a_regular_calendar_and_irregular_steps_point_to_it(tmp_path):
    months = pd.date_range("1949-01-01", periods=12, freq="MS")
    p = to_panel(pd.DataFrame({"ds": months, "y": np.arange(12.0)}), freq="obs")
    assert p.freq == "obs:MS" and season_length(p.freq) == 12
    days = trading_days()
    with pytest.raises(SeriesValidationError, match="irregular or have gaps .*or freq='obs' to step from row to row"):
        to_panel(pd.DataFrame({"ds": days, "y": 1.0}))


@pytest.mark.parametrize("freq", [0, -1, True, 2.5, "-1D", "0h", "obs:fortnight", "obs:-2"])
def test_a_freq_that_cannot_step_forward_is_refused_by_name(freq):
    with pytest.raises(SeriesValidationError, match=rf"freq={freq!r} is not a pandas frequency alias with a positive step".replace("(", r"\(")):
        to_panel(np.arange(5.0), freq=freq)


def test_series_of_another_frequency_are_named_with_theirs():
    monthly = pd.DataFrame({"unique_id": "M1", "ds": pd.date_range("2020-01-01", periods=24, freq="MS"), "y": np.arange(24.0)})
    quarterly = pd.DataFrame({"unique_id": "Q1", "ds": pd.date_range("2020-01-01", periods=8, freq="QS"), "y": np.arange(8.0)})
    with pytest.raises(SeriesValidationError, match=r"series 'Q1' has the frequency 'QS-JAN' while other series have 'MS': .*split"):
        to_panel(pd.concat([monthly, quarterly]))
    assert to_panel(pd.concat([monthly, quarterly]), freq="MS", fill_missing="interpolate").filled == 14  # asked for: 22 months, 8 given


def test_a_given_season_is_kept_and_a_missing_one_comes_from_the_frequency():
    assert resolve_season(None, "MS") == 12 and resolve_season(3, "MS") == 3
    assert resolve_season(None, "obs:B") == 5 and resolve_season(None, 1) == 1


def test_future_times_refuse_to_run_past_the_representable_times():
    with pytest.raises(SeriesValidationError, match="go past the last time that can be represented; use a smaller h"):
        future_times(2**63 - 10, 1, 20)
