"""Every released model format keeps loading: committed fixtures, loaded and used to predict.

Regenerate the current format's fixtures with ``python tests/fixtures/make_fixtures.py``.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import seriespredictor.migrations as migrations
from conftest import BOOK_TEST_X
from seriespredictor import Forecaster, ModelFileError, SeriesPredictor

FIXTURES = Path(__file__).parent / "fixtures"
FORMATS = sorted(p for p in FIXTURES.glob("format*") if p.is_dir())


def test_there_is_a_fixture_for_every_format_up_to_the_current_one():
    assert [int(p.name.removeprefix("format")) for p in FORMATS] == list(range(1, migrations.FORMAT_VERSION + 1))


@pytest.mark.parametrize("folder", FORMATS, ids=lambda p: p.name)
def test_old_files_load_and_predict(folder):
    expected = np.loadtxt(folder / "series_predictor_expected.csv", delimiter=",")
    np.testing.assert_allclose(SeriesPredictor.load(folder / "series_predictor").predict(BOOK_TEST_X), expected, rtol=1e-6)
    expected = pd.read_csv(folder / "forecaster_expected.csv", parse_dates=["ds"])
    got = Forecaster.load(folder / "forecaster").predict(level=[80])
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-6)


@pytest.mark.parametrize("folder", FORMATS[:2], ids=lambda p: p.name)
def test_files_before_format_3_hold_one_calibration_window(folder):
    model = Forecaster.load(folder / "forecaster")
    assert model.calibration_.errors.shape == (1, 1, 6) and model.calibration_.stride == 1


def test_older_formats_go_through_the_registered_migrations(monkeypatch, tmp_path):
    # Pretend format 2 also renamed the forecast column setting.
    def v1_to_v2(config, tensors):
        config = dict(config, format_version=2)
        config["params"] = dict(config["params"], alias=config["params"]["alias"] + "-v2")
        return config, tensors

    monkeypatch.setattr(migrations, "MIGRATIONS", {**migrations.MIGRATIONS, 1: v1_to_v2})
    model = Forecaster.load(FIXTURES / "format1" / "forecaster")
    assert model.alias == "LSTM-v2" and "LSTM-v2" in model.predict().columns


def test_a_format_without_a_migration_path_is_refused(monkeypatch):
    monkeypatch.setattr(migrations, "FORMAT_VERSION", 3)
    monkeypatch.setattr(migrations, "MIGRATIONS", {})
    with pytest.raises(ModelFileError, match="model format 1 is no longer readable"):
        Forecaster.load(FIXTURES / "format1" / "forecaster")
