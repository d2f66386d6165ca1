import pandas as pd

from seriespredictor import load_airline_passengers


def test_airline_passengers_is_bundled(shared_data):
    s = load_airline_passengers()
    assert len(s) == 144 and s.index.freqstr == "MS"
    assert s.index[0] == pd.Timestamp("1949-01-01") and s.index[-1] == pd.Timestamp("1960-12-01")
    original = pd.read_csv(shared_data / "airline_passengers" / "airline_passengers.csv")
    assert s.tolist() == original["Passengers"].astype(float).tolist()
