"""Cron syntax: exactly what Kubernetes accepts (robfig/cron v3's standard parser)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alert_core.schedule import STAR_BIT, CronSyntaxError, parse_cron


def _bits(*values: int) -> int:
    return sum(1 << value for value in values)


@pytest.mark.parametrize(
    "expression",
    [
        "* * * * *",
        "0 9 * * 1-5",
        "*/15 9-17 * * 1-5",
        "0 0 1 JAN *",
        "0 0 1 jan-mar *",
        "0 0 * * mon",
        "0 0 * * MON,wed,Fri",
        "0 0 ? * *",
        "0 0 * * ?",
        "5/10 * * * *",
        "0-59/30 0-23/6 1-31/2 1-12/3 0-6/2",
        "0,15,30,45 * * * *",
        "00 09 01 01 00",
        "0 0 29 2 *",  # leap years only, still within robfig's five-year search
        "0 0 31 * *",
        "0 0 30 2 1",  # day-of-month OR day-of-week: Mondays in February
        "0 0 1,,15 * *",  # robfig splits lists with strings.FieldsFunc: empty elements drop
        "1, * * * *",
        ",1 * * * *",
        "+5 * * * *",  # Go's Atoi takes a sign
        "*/+5 * * * *",
        "*/9223372036854775807 * * * *",  # the largest 64-bit int
        "0 0 * * FR\u0130",  # Go's ToLower makes the dotted capital I an "i"
        " 0 0 * * *\t",
        "0\u3000* * * *",  # an ideographic space is a Go space
        "*-5 * * * *",  # robfig reads a star's range as the whole field
        "@yearly",
        "@annually",
        "@monthly",
        "@weekly",
        "@daily",
        "@midnight",
        "@hourly",
    ],
)
def test_accepted(expression: str) -> None:
    parse_cron(expression)


@pytest.mark.parametrize(
    ("expression", "part"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("0 0 * * * *", "expected 5 fields"),
        ("0 * * *", "expected 5 fields"),
        ("60 * * * *", "minute: 60 is above 59"),
        ("* 24 * * *", "hour: 24 is above 23"),
        ("* * 0 * *", "day of month: 0 is below 1"),
        ("* * 32 * *", "day of month: 32 is above 31"),
        ("* * * 13 *", "month: 13 is above 12"),
        ("* * * 0 *", "month: 0 is below 1"),
        ("* * * * 7", "day of week: 7 is above 6 (use 0 for Sunday)"),
        ("* * * * sunday", "day of week"),
        ("* * * * -1", "day of week"),
        ("5-1 * * * *", "starts after it ends"),
        ("1-2-3 * * * *", "too many hyphens"),
        ("*/5/2 * * * *", "too many slashes"),
        ("*/0 * * * *", "step must be at least 1"),
        ("*/x * * * *", "step 'x' is not a number"),
        ("*/100000000000000000000 * * * *", "minute: step '100000000000000000000' is out of"),
        ("*/9223372036854775808 * * * *", "out of range (above 2^63-1)"),
        ("*/-1 * * * *", "minute: step '-1' is negative"),
        ("*/-0 * * * *", "step must be at least 1"),
        ("*/ * * * *", "step '' is not a number"),
        ("+ * * * *", "minute: '+' is not a number"),
        ("1_0 * * * *", "minute"),
        ("0\x1c* * * *", "expected 5 fields"),  # \x1c splits in Python, not in Go
        ("0\u200b* * * *", "minute"),  # a zero-width space is not a space
        (" @daily", "expected 5 fields"),  # robfig: a macro exactly as written
        ("@daily ", "unknown macro"),
        ("0 0 * * *TZ", "TZ="),  # Kubernetes refuses "TZ" anywhere
        (",,, * * * *", "never fires: minute ',,,' selects no value"),
        ("\u0663 * * * *", "minute: '\u0663' is not a number"),  # not ASCII
        ("\u00b2 * * * *", "minute"),
        ("L * * * *", "minute"),
        ("0 0 L * *", "day of month"),
        ("0 0 * * 1#2", "day of week"),
        (", * * * *", "never fires: minute"),
        ("TZ=UTC 0 9 * * *", "TZ="),
        ("CRON_TZ=UTC 0 9 * * *", "TZ="),
        ("@every 1h", "@every is not supported"),
        ("@reboot", "unknown macro"),
        ("@DAILY", "unknown macro"),
        ("@daily 0", "unknown macro"),
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 4,6,9,11 *", "never fires"),
        ("x" * 300, "longer than 256"),
    ],
)
def test_rejected_with_the_part_named(expression: str, part: str) -> None:
    with pytest.raises(CronSyntaxError) as caught:
        parse_cron(expression)
    assert part in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bits_follow_robfig() -> None:
    schedule = parse_cron("*/20 9-11 1,15 jan-mar mon")
    assert schedule.minute == _bits(0, 20, 40)
    assert schedule.hour == _bits(9, 10, 11)
    assert schedule.dom == _bits(1, 15)
    assert schedule.month == _bits(1, 2, 3)
    assert schedule.dow == _bits(1)
    # A star keeps its marker bit (it decides day-of-month AND/OR day-of-week) unless a step
    # larger than 1 is given; "?" is a star.
    assert parse_cron("* * * * *").dow & STAR_BIT
    assert parse_cron("* * ? * *").dom & STAR_BIT
    assert parse_cron("* * * * */1").dow & STAR_BIT
    assert not parse_cron("* * * * */2").dow & STAR_BIT
    assert parse_cron("5/20 * * * *").minute == _bits(5, 25, 45)


def test_macros_equal_their_expansion() -> None:
    assert parse_cron("@weekly") == parse_cron("0 0 * * 0")
    assert parse_cron("@hourly") == parse_cron("0 * * * *")
    assert parse_cron("@yearly") == parse_cron("0 0 1 1 *")


def test_day_of_month_or_day_of_week() -> None:
    """Both restricted: either matches (cron's OR). One starred: both must match."""
    moment = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
    either = parse_cron("0 0 13 * 5").next_after(moment, UTC)  # the 13th, or any Friday
    assert either is not None and either.isoformat() == "2024-01-05T00:00:00+00:00"
    both = parse_cron("0 0 * * 5").next_after(moment, UTC)
    assert both is not None and both.day == 5
