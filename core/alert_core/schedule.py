"""Cron expressions exactly as Kubernetes CronJobs read them.

Kubernetes parses ``spec.schedule`` with robfig/cron v3's standard parser and computes fire times
with its ``SpecSchedule.Next``. This module is a faithful port of both, so that what we validate
is what the API server accepts and the times we predict are the times the CronJob controller
picks, daylight-saving changes included:

- a wall-clock time that does not exist (spring forward) is skipped that day;
- a wall-clock time that happens twice (fall back) fires twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

STAR_BIT = 1 << 63
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
DOW_NAMES = {name: n for n, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
MAX_EXPRESSION_LENGTH = 256  # ours: robfig has no limit
# Go's strings.Fields splits on unicode.IsSpace; Python's str.split() also splits on \x1c-\x1f.
_GO_SPACE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
# Go's strconv.Atoi: an optional sign, ASCII digits, within a 64-bit int.
_GO_INT = re.compile(r"[+-]?[0-9]+\Z")
_GO_INT_MAX = 2**63 - 1
# The only non-ASCII letters Go's unicode.ToLower turns into ASCII ones (robfig lowercases
# month and weekday names with strings.ToLower).
_GO_LOWER = str.maketrans({"\u0130": "i", "\u212a": "k"})
SEARCH_YEARS = 5  # robfig gives up after five years without a match


class CronSyntaxError(ValueError):
    """The expression is not one Kubernetes accepts; the message says which part."""


@dataclass(frozen=True)
class _Bounds:
    name: str
    low: int
    high: int
    names: dict[str, int]


_FIELDS = (
    _Bounds("minute", 0, 59, {}),
    _Bounds("hour", 0, 23, {}),
    _Bounds("day of month", 1, 31, {}),
    _Bounds("month", 1, 12, MONTH_NAMES),
    _Bounds("day of week", 0, 6, DOW_NAMES),
)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed five-field schedule: one bit set per allowed value (robfig's SpecSchedule)."""

    minute: int
    hour: int
    dom: int
    month: int
    dow: int

    def next_after(self, after: datetime, tz: ZoneInfo) -> datetime | None:
        """The first fire time strictly after ``after``, or None when none within five years."""
        return _next(self, after.astimezone(tz), tz)

    def matches(self, local: datetime) -> bool:
        """Whether the wall-clock minute ``local`` (in the schedule's zone) is a fire time. A
        walk over the minutes of a window in absolute time, each seen on the zone's clock,
        fires as :meth:`next_after` does: a skipped local time never, a repeated one twice."""
        return bool((1 << local.minute) & self.minute and (1 << local.hour) & self.hour
                    and (1 << local.month) & self.month and _day_matches(self, local))

    def times_of_day(self) -> list[tuple[int, int]]:
        """Every (hour, minute) the schedule may fire at."""
        minutes = [minute for minute in range(60) if (1 << minute) & self.minute]
        return [(hour, minute) for hour in range(24) if (1 << hour) & self.hour
                for minute in minutes]


def go_fields(expression: str) -> list[str]:
    """Go's ``strings.Fields``: the whitespace-separated fields, none empty."""
    return [field for field in _GO_SPACE.split(expression) if field]


def _go_atoi(text: str, what: str) -> int:
    """robfig's ``mustParseInt``: Go's ``strconv.Atoi`` (sign allowed, 64-bit), not negative."""
    if not _GO_INT.match(text):
        raise CronSyntaxError(f"{what} {text[:16]!r} is not a number")
    value = int(text)  # at most MAX_EXPRESSION_LENGTH digits: far below Python's limit
    if not -_GO_INT_MAX - 1 <= value <= _GO_INT_MAX:
        raise CronSyntaxError(f"{what} {text[:24]!r} is out of range (above 2^63-1)")
    if value < 0:
        raise CronSyntaxError(f"{what} {text[:16]!r} is negative")
    return value


def _number(text: str, bounds: _Bounds) -> int:
    lowered = "".join(c.lower() if c.isascii() else c for c in text.translate(_GO_LOWER))
    if lowered in bounds.names:
        return bounds.names[lowered]
    return _go_atoi(text, f"{bounds.name}:")


def _start_end(low_high: str, bounds: _Bounds) -> tuple[int, int, int]:
    """``*``/``?``, ``N`` or ``N-M`` → (start, end, star bit)."""
    parts = low_high.split("-")
    if parts[0] in ("*", "?"):
        return bounds.low, bounds.high, STAR_BIT
    start = _number(parts[0], bounds)
    if len(parts) == 1:
        return start, start, 0
    if len(parts) == 2:
        return start, _number(parts[1], bounds), 0
    raise CronSyntaxError(f"{bounds.name}: too many hyphens in {low_high[:32]!r}")


def _range_bits(expr: str, bounds: _Bounds) -> int:
    """robfig's ``getRange``: one element of a comma-separated field, as bits."""
    range_and_step = expr.split("/")
    if len(range_and_step) > 2:
        raise CronSyntaxError(f"{bounds.name}: too many slashes in {expr[:32]!r}")
    start, end, extra = _start_end(range_and_step[0], bounds)
    step = 1
    if len(range_and_step) == 2:
        step = _go_atoi(range_and_step[1], f"{bounds.name}: step")
        if "-" not in range_and_step[0]:  # "N/step" means "N-max/step"
            end = bounds.high
        if step > 1:
            extra = 0
    if start < bounds.low:
        raise CronSyntaxError(f"{bounds.name}: {start} is below {bounds.low}")
    if end > bounds.high:
        hint = " (use 0 for Sunday)" if bounds is _FIELDS[4] and end == 7 else ""
        raise CronSyntaxError(f"{bounds.name}: {end} is above {bounds.high}{hint}")
    if start > end:
        raise CronSyntaxError(f"{bounds.name}: range {expr[:32]!r} starts after it ends")
    if step == 0:
        raise CronSyntaxError(f"{bounds.name}: step must be at least 1")
    bits = 0
    for value in range(start, end + 1, step):
        bits |= 1 << value
    return bits | extra


def _field_bits(field: str, bounds: _Bounds) -> int:
    bits = 0
    # robfig splits with strings.FieldsFunc, which drops empty elements: "1,,2" is "1,2".
    for part in (p for p in field.split(",") if p):
        bits |= _range_bits(part, bounds)
    if bits == 0:
        # robfig accepts a field of commas only, and the CronJob never runs.
        raise CronSyntaxError(f"never fires: {bounds.name} {field[:16]!r} selects no value")
    return bits


def parse_cron(expression: str) -> CronSchedule:
    """Parse a schedule as the API server does: Kubernetes' CronJob validation (no ``TZ``
    anywhere) then robfig's ``ParseStandard`` (five fields or a macro, no seconds)."""
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise CronSyntaxError(f"longer than {MAX_EXPRESSION_LENGTH} characters")
    if not go_fields(expression):
        raise CronSyntaxError("empty expression")
    if "TZ" in expression:  # Kubernetes refuses "TZ" anywhere in spec.schedule
        raise CronSyntaxError("a TZ= or CRON_TZ= prefix is not allowed; use the timezone field")
    text = expression
    if text.startswith("@"):  # as robfig: the macro exactly, no surrounding whitespace
        if text not in MACROS:
            if text.startswith("@every "):
                raise CronSyntaxError("@every is not supported; write a five-field expression")
            raise CronSyntaxError(f"unknown macro {text[:32]!r} (known: {', '.join(MACROS)})")
        text = MACROS[text]
    fields = go_fields(text)
    if len(fields) != len(_FIELDS):
        raise CronSyntaxError(
            f"expected 5 fields (minute hour day month weekday), got {len(fields)}"
        )
    minute, hour, dom, month, dow = (
        _field_bits(field, bounds) for field, bounds in zip(fields, _FIELDS, strict=True)
    )
    schedule = CronSchedule(minute, hour, dom, month, dow)
    if not _some_day_exists(schedule):
        # robfig accepts it, but Next finds nothing and the CronJob would never run.
        raise CronSyntaxError("never fires: none of the selected months has that day of month")
    return schedule


_LONGEST_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _some_day_exists(s: CronSchedule) -> bool:
    """False only for day-of-month/month pairs that never happen, such as 30 February."""
    if s.dom & STAR_BIT or not s.dow & STAR_BIT:
        return True  # any day matches, or weekdays alone can match (cron's OR rule)
    return any(
        s.month & (1 << month) and s.dom & ((1 << (last + 1)) - 2)
        for month, last in enumerate(_LONGEST_MONTH)
        if month
    )


def go_date(
    year: int, month: int, day: int, hour: int, minute: int, second: int, tz: ZoneInfo
) -> datetime:
    """Go's ``time.Date`` in a location: normalises overflowing fields and resolves a local time
    that does not exist or exists twice the way Go does, so that the port below stays exact."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    naive = datetime(year, month, 1, tzinfo=UTC) + timedelta(
        days=day - 1, hours=hour, minutes=minute, seconds=second
    )
    offset = naive.astimezone(tz).utcoffset() or timedelta(0)
    utc = naive - offset
    corrected = utc.astimezone(tz).utcoffset() or timedelta(0)
    if corrected != offset:
        utc = naive - corrected
    return utc.astimezone(tz)


def _add(moment: datetime, delta: timedelta, tz: ZoneInfo) -> datetime:
    """Absolute-time addition (Go's ``Time.Add``), expressed back in the schedule's zone."""
    return (moment.astimezone(UTC) + delta).astimezone(tz)


def _day_matches(schedule: CronSchedule, moment: datetime) -> bool:
    dom_match = bool((1 << moment.day) & schedule.dom)
    dow_match = bool((1 << ((moment.weekday() + 1) % 7)) & schedule.dow)
    if schedule.dom & STAR_BIT or schedule.dow & STAR_BIT:
        return dom_match and dow_match
    return dom_match or dow_match


def matches_wall_clock(schedule: CronSchedule, local: datetime) -> bool:
    """Whether the wall-clock time ``local`` (its fields, not its instant) is one the schedule
    names: what a fire time should be when no DST change is near."""
    return bool(
        (1 << local.minute) & schedule.minute
        and (1 << local.hour) & schedule.hour
        and (1 << local.month) & schedule.month
        and _day_matches(schedule, local)
    )


def _next(s: CronSchedule, start: datetime, tz: ZoneInfo) -> datetime | None:  # noqa: C901
    """robfig/cron v3 ``SpecSchedule.Next``, line for line; ``continue`` is its ``goto WRAP``.

    ``added`` records that some field was already moved forward: only the first move truncates
    the smaller fields, later moves rely on them being zero.
    """
    t = _add(start.replace(microsecond=0), timedelta(seconds=1), tz)
    added = False
    year_limit = t.year + SEARCH_YEARS
    while True:
        if t.year > year_limit:
            return None
        wrapped = False
        while not (1 << t.month) & s.month:
            if not added:
                added = True
                t = go_date(t.year, t.month, 1, 0, 0, 0, tz)
            t = go_date(t.year, t.month + 1, t.day, t.hour, t.minute, t.second, tz)
            if t.month == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not _day_matches(s, t):
            if not added:
                added = True
                t = go_date(t.year, t.month, t.day, 0, 0, 0, tz)
            t = go_date(t.year, t.month, t.day + 1, t.hour, t.minute, t.second, tz)
            if t.hour != 0:  # DST moved midnight: step back onto it
                t = _add(t, timedelta(hours=24 - t.hour if t.hour > 12 else -t.hour), tz)
            if t.day == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not (1 << t.hour) & s.hour:
            if not added:
                added = True
                t = go_date(t.year, t.month, t.day, t.hour, 0, 0, tz)
            t = _add(t, timedelta(hours=1), tz)
            if t.hour == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while not (1 << t.minute) & s.minute:
            if not added:
                added = True
                t = t.replace(second=0)
            t = _add(t, timedelta(minutes=1), tz)
            if t.minute == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while t.second != 0:  # standard schedules fire at second 0
            if not added:
                added = True
            t = _add(t, timedelta(seconds=1), tz)
            if t.second == 0:
                wrapped = True
                break
        if wrapped:
            continue
        return t
