"""The frequency model: what the application stores → cron + timezone, and precise errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alert_core.frequency import FrequencyError, parse_frequency


@pytest.mark.parametrize(
    ("raw", "schedule", "timezone"),
    [
        ({"type": "hourly", "time": "00:30"}, "30 * * * *", "UTC"),
        ({"type": "hourly", "time": "07:05"}, "5 * * * *", "UTC"),  # the hour is ignored
        ({"type": "daily", "time": "09:00"}, "0 9 * * *", "UTC"),
        ({"type": "daily", "time": "9:00"}, "0 9 * * *", "UTC"),
        ({"type": "daily", "time": "00:00", "timezone": "America/Los_Angeles"}, "0 0 * * *",
         "America/Los_Angeles"),
        ({"type": "weekly", "time": "10:00", "dayOfWeek": [1, 3, 5]}, "0 10 * * 1,3,5", "UTC"),
        ({"type": "weekly", "time": "10:00", "dayOfWeek": [5, 3, 1, 3]}, "0 10 * * 1,3,5",
         "UTC"),
        ({"type": "weekly", "time": "10:00", "dayOfWeek": [7]}, "0 10 * * 0", "UTC"),
        ({"type": "weekly", "time": "10:00", "dayOfWeek": [0, 7, 6]}, "0 10 * * 0,6", "UTC"),
        ({"type": "monthly", "time": "08:00", "dayOfMonth": [1, 15]}, "0 8 1,15 * *", "UTC"),
        ({"type": "monthly", "time": "08:00", "dayOfMonth": [31, 29, 31]}, "0 8 29,31 * *",
         "UTC"),
        ({"type": "cron", "expression": "*/15 9-17 * * 1-5"}, "*/15 9-17 * * 1-5", "UTC"),
        ({"type": "cron", "expression": "  0  9 *\t* MON "}, "0 9 * * MON", "UTC"),
        ({"type": "cron", "expression": "@daily", "timezone": "Europe/Berlin"}, "@daily",
         "Europe/Berlin"),
        ({"type": "daily", "time": "23:59", "timezone": "Australia/Lord_Howe"}, "59 23 * * *",
         "Australia/Lord_Howe"),
        # Keys the application may add are ignored, not errors.
        ({"type": "daily", "time": "09:00", "label": "x"}, "0 9 * * *", "UTC"),
    ],
)
def test_valid_frequencies_translate_exactly(
    raw: dict[str, Any], schedule: str, timezone: str
) -> None:
    frequency = parse_frequency(raw)
    assert frequency.to_cron() == schedule
    assert frequency.timezone == timezone
    # The same from the JSON text the application stores.
    assert parse_frequency(json.dumps(raw)).to_cron() == schedule


def test_the_applications_default_frequency() -> None:
    frequency = parse_frequency(
        '{"type": "daily", "time": "00:00", "timezone": "America/Los_Angeles"}'
    )
    assert (frequency.to_cron(), frequency.timezone) == ("0 0 * * *", "America/Los_Angeles")


WEEKLY = {"type": "weekly", "time": "10:00"}
MONTHLY = {"type": "monthly", "time": "10:00"}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"type": "daily", "time": "25:00"}, "time"),
        ({"type": "daily", "time": "24:00"}, "time"),
        ({"type": "daily", "time": "9:5"}, "time"),
        ({"type": "daily", "time": "09:60"}, "time"),
        ({"type": "daily", "time": "09:00:00"}, "time"),
        ({"type": "daily", "time": "09:00\n"}, "time"),
        ({"type": "daily", "time": " 09:00"}, "time"),
        ({"type": "daily", "time": "\u0660\u0669:00"}, "time"),  # Arabic-Indic digits
        ({"type": "daily", "time": ""}, "time"),
        ({"type": "daily", "time": 900}, "time"),
        ({"type": "daily", "time": None}, "time"),
        ({"type": "daily"}, "time"),
        ({"time": "09:00"}, "type"),
        ({"type": "yearly", "time": "09:00"}, "type"),
        ({"type": None, "time": "09:00"}, "type"),
        ({"type": 1, "time": "09:00"}, "type"),
        ({**WEEKLY}, "dayOfWeek"),
        ({**WEEKLY, "dayOfWeek": []}, "dayOfWeek"),
        ({**WEEKLY, "dayOfWeek": [-1]}, "dayOfWeek"),
        ({**WEEKLY, "dayOfWeek": [8]}, "dayOfWeek"),
        ({**WEEKLY, "dayOfWeek": [True]}, "dayOfWeek"),
        ({**WEEKLY, "dayOfWeek": ["1"]}, "dayOfWeek"),
        ({**WEEKLY, "dayOfWeek": [1.5]}, "dayOfWeek"),
        ({**WEEKLY, "dayOfWeek": "1,3,5"}, "dayOfWeek"),
        ({**WEEKLY, "dayOfWeek": 1}, "dayOfWeek"),
        ({**WEEKLY, "dayOfWeek": None}, "dayOfWeek"),
        ({**WEEKLY, "dayOfWeek": [[1]]}, "dayOfWeek"),
        ({**MONTHLY}, "dayOfMonth"),
        ({**MONTHLY, "dayOfMonth": []}, "dayOfMonth"),
        ({**MONTHLY, "dayOfMonth": [0]}, "dayOfMonth"),
        ({**MONTHLY, "dayOfMonth": [-15]}, "dayOfMonth"),
        ({**MONTHLY, "dayOfMonth": [32]}, "dayOfMonth"),
        ({**MONTHLY, "dayOfMonth": [False]}, "dayOfMonth"),
        ({**MONTHLY, "dayOfMonth": ["15"]}, "dayOfMonth"),
        ({**MONTHLY, "dayOfMonth": list(range(100_000))}, "dayOfMonth"),
        ({**WEEKLY, "dayOfWeek": [1] * 100_000}, "dayOfWeek"),
        ({"type": "daily", "time": "09:00", "timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"type": "daily", "time": "09:00", "timezone": "utc"}, "timezone"),
        ({"type": "daily", "time": "09:00", "timezone": "localtime"}, "timezone"),
        ({"type": "daily", "time": "09:00", "timezone": "Local"}, "timezone"),
        ({"type": "daily", "time": "09:00", "timezone": "../../etc/passwd"}, "timezone"),
        ({"type": "daily", "time": "09:00", "timezone": ""}, "timezone"),
        ({"type": "daily", "time": "09:00", "timezone": None}, "timezone"),
        ({"type": "daily", "time": "09:00", "timezone": 3}, "timezone"),
        ({"type": "cron", "expression": "0 0 * * * *"}, "expression"),
        ({"type": "cron", "expression": "0 * * *"}, "expression"),
        ({"type": "cron", "expression": "TZ=UTC 0 9 * * *"}, "expression"),
        ({"type": "cron", "expression": "CRON_TZ=Europe/Berlin 0 9 * * *"}, "expression"),
        ({"type": "cron", "expression": "@fortnightly"}, "expression"),
        ({"type": "cron", "expression": "@every 5m"}, "expression"),
        ({"type": "cron", "expression": "0 9 * * 7"}, "expression"),
        ({"type": "cron", "expression": "0 0 30 2 *"}, "expression"),  # never fires
        ({"type": "cron", "expression": ""}, "expression"),
        ({"type": "cron", "expression": "x" * 100_000}, "expression"),
        ({"type": "cron", "expression": ["0", "9", "*", "*", "*"]}, "expression"),
        ({"type": "cron"}, "expression"),
    ],
)
def test_bad_input_names_the_field_in_one_line(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(FrequencyError) as caught:
        parse_frequency(raw)
    message = str(caught.value)
    assert message.startswith(field), message
    assert "\n" not in message
    assert len(message) < 300
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, "frequency: must be a JSON object, got null"),
        ("null", "frequency: must be a JSON object, got null"),
        ("[1, 2]", "frequency: must be a JSON object, got list"),
        ([{"type": "daily"}], "frequency: must be a JSON object, got list"),
        ('"daily"', "frequency: must be a JSON object, got str"),
        (42, "frequency: must be a JSON object, got int"),
        (True, "frequency: must be a JSON object, got bool"),
        ("{not json", "frequency: not valid JSON"),
        ("", "frequency: not valid JSON"),
        (b"\xff\xfe", "frequency: not valid JSON"),
    ],
)
def test_non_objects(raw: Any, expected: str) -> None:
    with pytest.raises(FrequencyError) as caught:
        parse_frequency(raw)
    assert str(caught.value).startswith(expected)


def test_huge_list_error_is_precise() -> None:
    with pytest.raises(FrequencyError) as caught:
        parse_frequency({**MONTHLY, "dayOfMonth": list(range(100_000))})
    assert str(caught.value) == "dayOfMonth: too many entries (100000; at most 100)"


def test_errors_quote_hostile_values_safely() -> None:
    with pytest.raises(FrequencyError) as caught:
        parse_frequency({"type": "daily", "time": "09:00\n\x1b[31mevil" + "x" * 10_000})
    message = str(caught.value)
    assert "\n" not in message and "\x1b" not in message
    assert len(message) < 200


def test_every_listed_weekday_counts_not_just_the_first() -> None:
    """The old scheduler used only dayOfWeek[0]; every listed day fires now."""
    frequency = parse_frequency({**WEEKLY, "dayOfWeek": [1, 3, 5]})
    assert frequency.to_cron().split()[4] == "1,3,5"
