import pandas as pd

from seriespredictor import Forecaster, load_airline_passengers
from seriespredictor.data import to_panel
from seriespredictor.plotting import plot_forecast


def test_plot_puts_history_holdout_and_forecast_on_one_time_axis():
    s = load_airline_passengers()
    model = Forecaster(h=12, steps=5, seed=0).fit(s)
    fc = model.predict()
    hold = fc.assign(ds=s.index[-12:], y=s.to_numpy()[-12:])
    fig = plot_forecast(to_panel(s).to_frame(), fc, holdout=hold)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"history", "holdout (actual)", "LSTM on holdout", "LSTM forecast"} <= set(labels)
    forecast_line = next(line for line in ax.get_lines() if line.get_label() == "LSTM forecast")
    assert pd.Timestamp(forecast_line.get_xdata()[0]) == pd.Timestamp("1961-01-01")
    history_line = next(line for line in ax.get_lines() if line.get_label() == "history")
    assert pd.Timestamp(history_line.get_xdata()[-1]) == pd.Timestamp("1960-01-01")
