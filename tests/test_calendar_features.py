import datetime

import numpy as np
import pandas as pd
import pytest

from seriespredictor import SeriesValidationError
from seriespredictor.calendar_features import FEATURES, check_features, columns, default_features, features

TAU = 2 * np.pi


def test_exact_values_on_a_monday_morning():
    t = pd.DatetimeIndex(["2024-03-04 06:00"])  # a Monday, day 64 of a leap year, ISO week 10
    x = dict(zip(columns(FEATURES), features(t, FEATURES, ["2024-03-04"])[0]))
    assert x["hour_sin"] == pytest.approx(1.0, abs=1e-12) and x["hour_cos"] == pytest.approx(0.0, abs=1e-12)
    assert x["dayofweek_sin"] == pytest.approx(0.0, abs=1e-12) and x["dayofweek_cos"] == pytest.approx(1.0, abs=1e-12)
    expected = {"dayofmonth": 3 / 31, "dayofyear": 63 / 366, "weekofyear": 9 / 52.1775, "month": 2 / 12, "quarter": 0.0}
    for name, phase in expected.items():
        assert x[f"{name}_sin"] == pytest.approx(np.sin(TAU * phase), abs=1e-12), name
        assert x[f"{name}_cos"] == pytest.approx(np.cos(TAU * phase), abs=1e-12), name
    assert x["holiday"] == 1.0


def test_minutes_move_the_hour_and_the_quarter_follows_the_month():
    t = pd.DatetimeIndex(["2024-11-15 18:30"])
    x = features(t, ["hour", "quarter", "month"])[0]
    np.testing.assert_allclose(x, [np.sin(TAU * 18.5 / 24), np.cos(TAU * 18.5 / 24), np.sin(TAU * 3 / 4), np.cos(TAU * 3 / 4),
                                   np.sin(TAU * 10 / 12), np.cos(TAU * 10 / 12)], atol=1e-12)


def test_columns_follow_the_names_in_order():
    assert columns(["month", "holiday", "hour"]) == ["month_sin", "month_cos", "holiday", "hour_sin", "hour_cos"]
    t = pd.date_range("2024-01-01", periods=30, freq="7h")
    both = features(t, ["month", "hour"])
    np.testing.assert_array_equal(both[:, :2], features(t, ["month"]))
    np.testing.assert_array_equal(both[:, 2:], features(t, ["hour"]))


def test_periodic_features_repeat_with_their_cycle():
    t = pd.date_range("2024-01-01", periods=24 * 21, freq="h")
    hour = features(t, ["hour"])
    np.testing.assert_allclose(hour[24:], hour[:-24], atol=1e-12)
    assert not np.allclose(hour[1:], hour[:-1])  # it does change within the day
    week = features(t, ["dayofweek"])
    np.testing.assert_allclose(week[24 * 7 :], week[: -24 * 7], atol=1e-12)
    assert not np.allclose(week[24:], week[:-24])


def test_dayofyear_divides_a_leap_year_by_366():
    t = pd.DatetimeIndex(["2023-12-31", "2024-12-31", "2024-01-01", "2024-02-29"])
    x = features(t, ["dayofyear"])
    phases = np.array([364 / 365, 365 / 366, 0.0, 59 / 366])
    np.testing.assert_allclose(x, np.column_stack([np.sin(TAU * phases), np.cos(TAU * phases)]), atol=1e-12)
    dom = features(pd.DatetimeIndex(["2024-02-29", "2023-02-28"]), ["dayofmonth"])
    np.testing.assert_allclose(dom[:, 0], np.sin(TAU * np.array([28 / 29, 27 / 28])), atol=1e-12)


def test_holiday_is_the_local_calendar_date_of_a_zoned_timestamp():
    utc = pd.DatetimeIndex(["2024-12-24 15:30", "2024-12-24 14:30", "2024-12-25 16:00"], tz="UTC")
    tokyo = utc.tz_convert("Asia/Tokyo")  # 00:30 and 23:30 on the 25th and 24th, 01:00 on the 26th
    np.testing.assert_array_equal(features(tokyo, ["holiday"], ["2024-12-25"])[:, 0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(features(utc, ["holiday"], ["2024-12-25"])[:, 0], [0.0, 0.0, 1.0])
    assert features(tokyo, ["hour"])[0, 0] == pytest.approx(np.sin(TAU * 0.5 / 24), abs=1e-12)  # the local hour too


@pytest.mark.parametrize("day", ["2024-12-25", datetime.date(2024, 12, 25), pd.Timestamp("2024-12-25"), np.datetime64("2024-12-25")])
def test_holidays_are_strings_dates_or_timestamps(day):
    t = pd.date_range("2024-12-24", periods=72, freq="h")
    flag = features(t, ["holiday"], [day])[:, 0]
    np.testing.assert_array_equal(flag, np.repeat([0.0, 1.0, 0.0], 24))


@pytest.mark.parametrize("bad", ["2024-02-30", "christmas", 20241225, None])
def test_a_bad_holiday_is_refused_by_name(bad):
    with pytest.raises(SeriesValidationError, match=f"holidays= has {bad!r}, which is not a date"):
        check_features(["holiday"], "D", holidays=["2024-12-25", bad])
    with pytest.raises(SeriesValidationError, match="holidays= has"):
        features(pd.DatetimeIndex(["2024-12-25"]), ["holiday"], [bad])


def test_holidays_must_be_a_non_empty_list():
    with pytest.raises(SeriesValidationError, match=r"holidays='2024-12-25' must be a list of dates, e.g. holidays=\['2024-12-25'\]"):
        check_features(["holiday"], "D", holidays="2024-12-25")
    with pytest.raises(SeriesValidationError, match=r"holidays=\[\] is empty"):
        check_features(["holiday"], "D", holidays=[])


@pytest.mark.parametrize("freq,names", [
    ("h", ("hour", "dayofweek")), ("30min", ("hour", "dayofweek")), ("s", ("hour", "dayofweek")), ("obs:h", ("hour", "dayofweek")),
    ("D", ("dayofweek", "dayofyear")), ("B", ("dayofweek", "dayofyear")), ("obs:B", ("dayofweek", "dayofyear")),
    ("obs:D", ("dayofweek", "dayofyear")), ("obs", ("dayofweek", "dayofyear")), ("7D", ("dayofweek", "dayofyear")),
    ("W-SUN", ("weekofyear",)), ("obs:W-FRI", ("weekofyear",)),
    ("MS", ("month",)), ("ME", ("month",)), ("obs:MS", ("month",)),
    ("QS-OCT", ("quarter",)), ("QE", ("quarter",)),
])
def test_default_features_per_frequency(freq, names):
    assert default_features(freq) == names
    assert check_features(True, freq) == names


@pytest.mark.parametrize("freq,why", [("YS", "yearly timestamps carry no calendar effect"), ("YE", "yearly"), ("obs:YS", "yearly"),
                                      (1, "integer time step"), ("obs:5", "integer time step")])
def test_default_features_refuse_yearly_and_integer_steps(freq, why):
    with pytest.raises(SeriesValidationError, match=f"calendar=True: freq={freq!r}.*{why}.*pass calendar=False or a list of features"):
        default_features(freq)


def test_check_features_takes_the_names_in_their_order():
    assert check_features(None, "h") == () and check_features(False, "h") == () and check_features(False, 1) == ()
    assert check_features(["month", "hour"], "h") == ("month", "hour")
    assert check_features(("quarter",), "YS") == ("quarter",)  # an explicit list is the user's choice, even yearly
    assert check_features(["hour", "holiday"], "h", holidays=["2024-12-25"]) == ("hour", "holiday")


@pytest.mark.parametrize("calendar,holidays,message", [
    ("hour", None, r"calendar='hour' must be a list of feature names, e.g. calendar=\['hour'\] not 'hour'"),
    ([], None, r"calendar=\[\] is empty; pass calendar=False"),
    (["hours"], None, r"calendar=\['hours'\]: unknown feature\(s\) \['hours'\]; features: \('hour', "),
    ([3], None, r"calendar=\[3\]: unknown feature"),
    (["hour", "month", "hour"], None, r"calendar=\['hour', 'month', 'hour'\] repeats \['hour'\]"),
    (3, None, r"calendar=3 must be None, False, True or a list of features from \('hour'"),
    (["holiday"], None, r"calendar=\['holiday'\] has \"holiday\" but no holidays= was given"),
    (["hour"], ["2024-12-25"], r"holidays= needs \"holiday\" in calendar= \(calendar=\['hour'\]\); e.g. calendar=\['hour', 'holiday'\]"),
    (True, ["2024-12-25"], r"holidays= needs \"holiday\" in calendar= \(calendar=True\); e.g. calendar=\['hour', 'dayofweek', 'holiday'\]"),
])
def test_check_features_refuses_by_name(calendar, holidays, message):
    with pytest.raises(SeriesValidationError, match=message) as e:
        check_features(calendar, "h", holidays=holidays)
    assert e.value.argument in ("calendar", "holidays")


def test_check_features_refuses_any_feature_on_integer_times():
    with pytest.raises(SeriesValidationError, match=r"calendar=\['hour'\] needs datetime times but freq=1 is an integer time step"):
        check_features(["hour"], 1)
    with pytest.raises(SeriesValidationError, match="freq='obs:2' is an integer time step"):
        check_features(["month"], "obs:2")
    with pytest.raises(SeriesValidationError, match="need datetime times, got int64 times"):
        features(pd.Index(np.arange(5)), ["hour"])


def test_features_of_many_times_are_one_finite_array():
    t = pd.date_range("2019-01-01", periods=50_000, freq="h", tz="Europe/Paris")
    x = features(t, FEATURES, ["2019-12-25", "2020-12-25"])
    assert isinstance(x, np.ndarray) and x.dtype == np.float64 and x.shape == (50_000, len(columns(FEATURES))) == (50_000, 15)
    assert np.isfinite(x).all() and x[:, -1].sum() == 48  # two local days of 24 hours
    assert features(t[:0], ["hour"]).shape == (0, 2)
