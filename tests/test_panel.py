import numpy as np
import pandas as pd
import pytest

from seriespredictor.calendar import future_times
from seriespredictor.data import to_panel
from test_data import trading_days


@pytest.mark.parametrize("data,freq", [
    (pd.Series(np.arange(10.0), index=pd.date_range("2024-01-31", periods=10, freq="ME")), None),
    (pd.Series(np.arange(10.0), index=pd.date_range("2024-03-30", periods=10, freq="h", tz="Europe/Berlin")), None),
    (np.arange(10.0), None),
    (pd.Series(np.arange(38.0), index=trading_days()), "obs"),
])
def test_times_run_on_past_the_end_with_the_future_times(data, freq):
    p = to_panel(data, freq=freq)
    n = int(p.lengths[0])
    own = p.times(0)
    assert len(own) == n and p.last_time(0) == own[-1]
    ahead = future_times(own[-1], p.freq, 4)
    assert list(p.times(0, n - 2, 6)) == [*own[-2:], *ahead]
    assert list(p.times(0, n + 1, 2)) == list(ahead[1:3])
    assert list(p.head(np.array([3])).times(0)) == list(own[:3])
