"""The runner's slot reading (no pydantic) against parse_frequency: same answer, same message."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

import pytest

from alert_core.frequency import FrequencyError, parse_frequency
from alert_runner.slot import slot_timezone

AT_NINE = {"time": "09:00"}
FREQUENCIES: list[Any] = [
    # understood: a slot for daily, weekly and monthly; none for hourly and cron
    {"type": "daily", "time": "09:00", "timezone": "Europe/Paris"},
    {"type": "daily", "time": "9:05"},  # UTC by default
    {"type": "daily", "time": "23:59", "timezone": "America/Argentina/Buenos_Aires",
     "owner": "someone"},  # unknown keys are ignored
    {"type": "weekly", "time": "09:00", "dayOfWeek": [7, 0, 3], "timezone": "Asia/Tokyo"},
    {"type": "monthly", "time": "00:00", "dayOfMonth": [31, 1]},
    {"type": "hourly", "time": "00:15", "timezone": "Asia/Kolkata"},
    {"type": "cron", "expression": "*/5 9-17 * * 1-5", "timezone": "Europe/London"},
    {"type": "cron", "expression": "@daily"},
    '{"type": "daily", "time": "09:00", "timezone": "Europe/Paris"}',
    # not understood
    {"type": "daily", "time": "25:00"},
    {"type": "daily", "time": "24:00"},
    {"type": "daily", "time": "09:00\n"},
    {"type": "daily", "time": 9},
    {"type": "daily"},
    {"type": "hourly", "time": "x"},
    {"type": 5}, {"type": None}, {"type": True}, {"type": ["daily"]}, {"type": "Daily"},
    {"time": "09:00"},
    {"type": "daily", "time": "09:00", "timezone": None},
    {"type": "daily", "time": "09:00", "timezone": ""},
    {"type": "daily", "time": "25:00", "timezone": "Mars/Olympus"},  # two problems
    {"type": "weekly", "time": "09:00"},
    {"type": "weekly", "time": "09:00", "day_of_week": [1]},
    {"type": "weekly", "time": "09:00", "dayOfWeek": []},
    {"type": "weekly", "time": "09:00", "dayOfWeek": [True]},
    {"type": "weekly", "time": "09:00", "dayOfWeek": [8, "x", -1, 2, 9]},  # more than three
    {"type": "weekly", "time": "09:00", "dayOfWeek": [10**30]},
    {"type": "weekly", "time": "x", "dayOfWeek": [8], "timezone": "Nowhere"},
    {"type": "monthly", "time": "09:00", "dayOfMonth": list(range(101))},
    {"type": "monthly", "time": "09:00", "dayOfMonth": [1.0]},
    {"type": "monthly", "time": "09:00", "dayOfMonth": "1"},
    {"type": "monthly", "time": "09:00", "dayOfMonth": None},
    {"type": "monthly", "time": "09:00", "dayOfMonth": [0, 40]},
    {"type": "cron"},
    {"type": "cron", "expression": 5},
    {"type": "cron", "expression": "bad"},
    {"type": "cron", "expression": "0 9 * * *", "timezone": "Bad/Zone"},
    [], None, 5, "not json", '"a string"',
    # timezones that are not zone names, though some are files ZoneInfo could open
    *({**AT_NINE, "type": "daily", "timezone": name} for name in (
        "localtime", "posixrules", "Local", "right/UTC", "posix/Europe/Paris", "posix",
        "../etc/passwd", "/etc/localtime", "Europe/../Europe/Paris", "europe/paris",
        "Europe/Paris ", "zone.tab", "tzdata.zi", "leapseconds", "+VERSION",
        "America/Argentina/Buenos_Aires_Extra_Long")),
]


def _model(raw: Any) -> tuple[str, str | None]:
    try:
        frequency = parse_frequency(raw)
    except FrequencyError as error:
        return "error", str(error)
    return "ok", frequency.timezone if frequency.per_local_slot else None


def _runner(raw: Any) -> tuple[str, str | None]:
    try:
        return "ok", slot_timezone(raw)
    except FrequencyError as error:
        return "error", str(error)


@pytest.mark.parametrize("raw", FREQUENCIES, ids=range(len(FREQUENCIES)))
def test_same_answer_as_parse_frequency(raw: Any) -> None:
    assert _runner(raw) == _model(raw)


def test_every_listed_zone_gets_the_same_answer_as_from_parse_frequency() -> None:
    accepted = 0
    for name in sorted(available_timezones()):  # includes "localtime", which both refuse
        raw = {"type": "daily", "time": "09:00", "timezone": name}
        answer = _runner(raw)
        assert answer == _model(raw), name
        accepted += answer == ("ok", name)
    assert accepted > 300  # the system's zone database (or tzdata) is there


def test_answers_used_by_the_run() -> None:
    assert slot_timezone({"type": "weekly", "time": "09:00", "dayOfWeek": [1]}) == "UTC"
    assert slot_timezone({"type": "hourly", "time": "00:15", "timezone": "Asia/Tokyo"}) is None
    with pytest.raises(FrequencyError, match=r"^time: '25:00' is not a time of day"):
        slot_timezone({"type": "daily", "time": "25:00"})
