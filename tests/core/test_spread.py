"""The optional per-alert minute offset (schedule_spread_minutes)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest

from alert_core.alert import Alert
from alert_core.cronjob import desired_cronjob
from alert_core.frequency import next_fire_times, parse_frequency
from alert_core.settings import Settings, SettingsError, load_settings
from alert_core.spread import spread_cron, spread_frequency, spread_offset

IDS = [uuid.UUID(int=n * 7919 + 12345, version=4) for n in range(5000)]


def test_off_by_default_and_for_windows_of_zero_or_one() -> None:
    daily = parse_frequency({"type": "daily", "time": "09:00"})
    assert Settings().schedule_spread_minutes == 0
    for window in (0, 1):
        assert {spread_cron(daily, alert_id, window) for alert_id in IDS[:200]} == {"0 9 * * *"}


def test_offsets_are_deterministic_and_fill_the_window() -> None:
    offsets = [spread_offset(alert_id, 0, 10) for alert_id in IDS]
    assert offsets == [spread_offset(alert_id, 0, 10) for alert_id in IDS]
    counts = Counter(offsets)
    assert set(counts) == set(range(10))
    # 5,000 alerts over 10 minutes: every minute gets a fair share (500 expected).
    assert min(counts.values()) > 400


def test_the_minute_moves_forward_and_never_leaves_the_hour() -> None:
    late = parse_frequency({"type": "daily", "time": "23:55", "timezone": "Europe/Paris"})
    minutes = set()
    for alert_id in IDS[:500]:
        minute, hour, *rest = spread_cron(late, alert_id, 30).split()
        assert hour == "23" and rest == ["*", "*", "*"]
        minutes.add(int(minute))
    assert minutes == {55, 56, 57, 58, 59}


def test_day_fields_are_kept_for_weekly_monthly_and_hourly() -> None:
    weekly = parse_frequency({"type": "weekly", "time": "10:00", "dayOfWeek": [1, 3, 5]})
    monthly = parse_frequency({"type": "monthly", "time": "08:00", "dayOfMonth": [1, 15]})
    hourly = parse_frequency({"type": "hourly", "time": "00:30"})
    alert_id = next(i for i in IDS if spread_offset(i, 0, 15) > 0 and spread_offset(i, 30, 15))
    assert spread_cron(weekly, alert_id, 15).split()[1:] == ["10", "*", "*", "1,3,5"]
    assert spread_cron(monthly, alert_id, 15).split()[1:] == ["8", "1,15", "*", "*"]
    assert spread_cron(hourly, alert_id, 15).split()[1:] == ["*", "*", "*", "*"]
    assert spread_cron(weekly, alert_id, 15) != weekly.to_cron()
    assert 30 < int(spread_cron(hourly, alert_id, 15).split()[0]) < 45


def test_raw_cron_expressions_are_left_as_written() -> None:
    cron = parse_frequency({"type": "cron", "expression": "0 9 * * 1-5"})
    assert {spread_cron(cron, alert_id, 30) for alert_id in IDS[:100]} == {"0 9 * * 1-5"}


# Zones whose clocks jump by a whole hour at a whole hour (nearly all): the days around each
# change of 2024, and times that are skipped (02:xx in spring) or repeated (01:xx in autumn).
DST_CASES = [
    ("02:00", "America/New_York", datetime(2024, 3, 8, tzinfo=UTC)),
    ("01:30", "America/New_York", datetime(2024, 11, 1, tzinfo=UTC)),
    ("02:10", "Europe/Paris", datetime(2024, 3, 29, tzinfo=UTC)),
    ("02:40", "Europe/Paris", datetime(2024, 10, 25, tzinfo=UTC)),
]


@pytest.mark.parametrize(("time", "zone", "start"), DST_CASES)
def test_daylight_saving_days_behave_as_without_the_offset(
    time: str, zone: str, start: datetime
) -> None:
    """Same local day and hour for every run: a skipped run stays skipped, a doubled one doubled."""
    original = parse_frequency({"type": "daily", "time": time, "timezone": zone})
    expected = [(t.date(), t.hour) for t in next_fire_times(original, start, 8)]
    days = [day for day, _ in expected]
    assert len(set(days)) < 8 or (days[-1] - days[0]).days > 7  # a run doubled or skipped
    offsets = {}
    for alert_id in IDS[:200]:  # one alert per distinct offset
        offsets.setdefault(spread_offset(alert_id, original.minute, 20), alert_id)
    assert len(offsets) == 20
    for alert_id in offsets.values():
        shifted = spread_frequency(original, alert_id, 20)
        got = [(t.date(), t.hour) for t in next_fire_times(shifted, start, 8)]
        assert got == expected


def test_half_hour_daylight_saving_keeps_day_and_hour() -> None:
    """Lord Howe Island skips 02:00-02:30 in October: a run moved past 02:30 is no longer
    skipped, but it still runs that day, in that hour (the only visible difference)."""
    original = parse_frequency(
        {"type": "daily", "time": "02:20", "timezone": "Australia/Lord_Howe"})
    start = datetime(2024, 10, 3, tzinfo=UTC)
    for alert_id in IDS[:30]:
        shifted = spread_frequency(original, alert_id, 30)
        for moment in next_fire_times(shifted, start, 8):
            assert moment.hour == 2 and 20 <= moment.minute <= 49


def test_desired_cronjob_uses_the_spread_schedule() -> None:
    alert_id = next(i for i in IDS if spread_offset(i, 0, 10) == 7)
    alert = Alert(alert_id, uuid.uuid4(), "digest",
                  parse_frequency({"type": "daily", "time": "09:00"}), True)
    assert desired_cronjob(alert, Settings())["spec"]["schedule"] == "0 9 * * *"
    spread = Settings(schedule_spread_minutes=10)
    assert desired_cronjob(alert, spread)["spec"]["schedule"] == "7 9 * * *"


def test_a_window_over_an_hour_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="ALERT_SCHEDULE_SPREAD_MINUTES"):
        load_settings(schedule_spread_minutes=61)
