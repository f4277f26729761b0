"""Which local slot a scheduled run takes, read from the alert's raw frequency JSON.

Daily, weekly and monthly alerts run once per wall-clock time in their timezone (the repeated
hour at the autumn change must not run twice); hourly and cron alerts run per absolute time.
The runner only needs the frequency's ``type`` and ``timezone`` for that, so it reads them here
instead of validating through :mod:`alert_core.frequency`, whose pydantic models cost the runner
more start-up time than the whole run. An alert whose frequency no longer validates keeps its
old CronJob and still runs, without a slot check; so the rest of the JSON is checked too, with
the same rules (:mod:`alert_core.validation`) and the same one-line messages as
``parse_frequency``: ``tests/runner/test_slot.py`` compares the two on a table of frequencies.
"""

from __future__ import annotations

from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alert_core.validation import (
    DEFAULT_TIMEZONE,
    MAX_LIST_LENGTH,
    TIME_OF_DAY,
    FrequencyError,
    frequency_object,
    zone_name_is_well_formed,
)

PER_LOCAL_SLOT: Final = frozenset({"daily", "weekly", "monthly"})
TYPES: Final = ("hourly", "daily", "weekly", "monthly", "cron")
_EXPECTED: Final = "expected one of " + ", ".join(TYPES)
# The day list of each type: JSON key, lowest and highest day.
_DAYS: Final = {"weekly": ("dayOfWeek", 0, 7), "monthly": ("dayOfMonth", 1, 31)}
# parse_frequency reports at most this many problems.
MAX_PROBLEMS: Final = 3


def _string(raw: dict[str, Any], key: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if value is None and key not in raw:
        raise ValueError("Field required")
    if not isinstance(value, str):
        raise ValueError("Input should be a valid string")
    return value


def _timezone(raw: dict[str, Any]) -> str:
    value = _string(raw, "timezone", DEFAULT_TIMEZONE)
    # Not frequency's available_timezones() check: listing the zone files costs ~20 ms; a
    # well-formed name that ZoneInfo loads is what the slot needs.
    if value != "UTC" and not zone_name_is_well_formed(value):
        raise ValueError(f"unknown timezone {value[:64]!r} (use an IANA name such as Europe/Paris)")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {value[:64]!r} (use an IANA name such as Europe/Paris)"
        ) from None
    return value


def _time(raw: dict[str, Any]) -> str:
    value = _string(raw, "time")
    if not TIME_OF_DAY.match(value):
        raise ValueError(f"{value[:32]!r} is not a time of day HH:MM (00:00 to 23:59)")
    return value


def _day_problems(raw: dict[str, Any], key: str, low: int, high: int) -> list[str]:
    if key not in raw:
        return [f"{key}: Field required"]
    days = raw[key]
    if not isinstance(days, list):
        return [f"{key}: Input should be a valid list"]
    if len(days) > MAX_LIST_LENGTH:
        return [f"{key}: too many entries ({len(days)}; at most {MAX_LIST_LENGTH})"]
    problems = []
    for index, day in enumerate(days):
        if not isinstance(day, int) or isinstance(day, bool):  # strict, as StrictInt
            problems.append(f"{key}.{index}: Input should be a valid integer")
        elif day < low:
            problems.append(f"{key}.{index}: Input should be greater than or equal to {low}")
        elif day > high:
            problems.append(f"{key}.{index}: Input should be less than or equal to {high}")
    if not problems and not days:
        problems.append(f"{key}: must list at least one day")
    return problems


def _cron_problems(raw: dict[str, Any]) -> list[str]:
    try:
        expression = _string(raw, "expression")
    except ValueError as error:
        return [f"expression: {error}"]
    # Imported here: only cron alerts pay for the parser.
    from alert_core.schedule import CronSyntaxError, parse_cron

    try:
        parse_cron(expression)
    except CronSyntaxError as error:
        return [f"expression: {error}"]
    return []


def slot_timezone(raw: Any) -> str | None:
    """The timezone whose wall-clock minute keys the run's slot (daily, weekly, monthly), or
    None (hourly, cron: no slot). Raises :class:`FrequencyError` if the frequency does not
    validate, with parse_frequency's message."""
    frequency = frequency_object(raw)
    kind = frequency.get("type")
    if "type" not in frequency:
        raise FrequencyError(f"type: missing; {_EXPECTED}")
    if not isinstance(kind, str) or kind not in TYPES:
        raise FrequencyError(f"type: unknown type; {_EXPECTED}")
    problems: list[str] = []
    timezone = None
    # In the models' field order (timezone, time, then the days), as pydantic reports them.
    try:
        timezone = _timezone(frequency)
    except ValueError as error:
        problems.append(f"timezone: {error}")
    if kind == "cron":
        problems += _cron_problems(frequency)
    else:
        try:
            _time(frequency)
        except ValueError as error:
            problems.append(f"time: {error}")
    if kind in _DAYS:
        problems += _day_problems(frequency, *_DAYS[kind])
    if problems:
        raise FrequencyError("; ".join(problems[:MAX_PROBLEMS]))
    return timezone if kind in PER_LOCAL_SLOT else None
