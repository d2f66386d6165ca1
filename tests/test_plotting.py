import numpy as np
import pandas as pd

from seriespredictor import Forecaster, load_airline_passengers
from seriespredictor.data import to_panel
from seriespredictor.plotting import plot_forecast


def test_plot_puts_history_holdout_and_forecast_on_one_time_axis():
    s = load_airline_passengers()
    model = Forecaster(ensemble=1, refit=False, h=12, steps=5, seed=0).fit(s)
    fc = model.predict()
    hold = fc.assign(ds=s.index[-12:], y=s.to_numpy()[-12:])
    fig = plot_forecast(to_panel(s).to_frame(), fc, holdout=hold)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"history", "holdout (actual)", "LSTM on holdout", "LSTM forecast"} <= set(labels)
    forecast_line = next(line for line in ax.get_lines() if line.get_label() == "LSTM forecast")
    assert pd.Timestamp(forecast_line.get_xdata()[1]) == pd.Timestamp("1961-01-01")
    history_line = next(line for line in ax.get_lines() if line.get_label() == "history")
    assert pd.Timestamp(history_line.get_xdata()[-1]) == pd.Timestamp("1959-12-01")  # then the holdout, dashed


def panel_and_forecast(n_series=10, n=60, h=6, levels=(50, 80, 95)):
    t = np.arange(n)
    history = pd.concat([pd.DataFrame({"store": f"s{k}", "date": pd.date_range("2024-01-01", periods=n, freq="D"),
                                       "sales": 10 + k + np.sin(t)}) for k in range(n_series)])
    future = pd.date_range("2024-01-01", periods=n + h, freq="D")[n:]
    forecast = pd.concat([pd.DataFrame({"store": f"s{k}", "date": future, "LSTM": 10.0 + k}) for k in range(n_series)])
    for lv in levels:
        forecast[f"LSTM-lo-{lv}"], forecast[f"LSTM-hi-{lv}"] = forecast["LSTM"] - lv / 50, forecast["LSTM"] + lv / 50
    return history, forecast


def test_plot_draws_every_level_joins_the_forecast_and_keeps_the_legend_off_the_data():
    history, forecast = panel_and_forecast(n_series=1)
    fig = plot_forecast(history, forecast, id_col="store", time_col="date", target_col="sales")
    ax = fig.axes[0]
    bands = [c.get_label() for c in ax.collections]
    assert bands == ["LSTM 95% interval", "LSTM 80% interval", "LSTM 50% interval"]
    line = next(line for line in ax.get_lines() if line.get_label() == "LSTM forecast")
    assert pd.Timestamp(line.get_xdata()[0]) == history["date"].iloc[-1] and line.get_ydata()[0] == history["sales"].iloc[-1]
    assert ax.get_legend() is None and len(fig.legends) == 1
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("date", "sales")


def test_plot_shows_recent_history_and_says_which_series():
    history, forecast = panel_and_forecast()
    fig = plot_forecast(history, forecast, id_col="store", time_col="date", target_col="sales", history_points=20)
    assert [ax.get_title() for ax in fig.axes] == ["s0", "s1", "s2", "s3"]
    assert "4 of 10 series" in fig.get_suptitle()
    assert len(next(line for line in fig.axes[0].get_lines() if line.get_label() == "history").get_xdata()) == 20
    fig = plot_forecast(history, forecast, id_col="store", time_col="date", target_col="sales", ids=["s7", "s2"])
    assert [ax.get_title() for ax in fig.axes] == ["s7", "s2"] and "2 of 10 series" in fig.get_suptitle()


def test_plot_leaves_the_callers_matplotlib_backend_alone(tmp_path):
    import matplotlib

    before = matplotlib.get_backend()
    matplotlib.use("pdf")
    try:
        history, forecast = panel_and_forecast(n_series=2)
        plot_forecast(history, forecast, id_col="store", time_col="date", target_col="sales").savefig(tmp_path / "f.png")
        assert matplotlib.get_backend() == "pdf"
        assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    finally:
        matplotlib.use(before)


def test_the_axes_carry_the_inputs_own_column_names(tmp_path):
    f = tmp_path / "air.csv"
    load_airline_passengers().reset_index().rename(columns={"Date": "Month"}).to_csv(f, index=False)
    panel = to_panel(f)
    assert panel.names == ("Month", "Passengers") and to_panel(load_airline_passengers()).names == ("Date", "Passengers")
    model = Forecaster(ensemble=1, refit=False, h=6, steps=5, hidden_dim=8, seed=0).fit(panel)
    ax = plot_forecast(panel.to_frame(), model.predict(), labels=panel.names).axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Month", "Passengers")
