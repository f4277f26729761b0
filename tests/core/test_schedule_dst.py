"""Fire times: our port of Kubernetes' cron (schedule.py) against an independent oracle.

The oracle below knows nothing of cron. It reads the frequency's own definition: walk the local
calendar, take each wanted date's wall-clock time; a wall time that does not exist (spring
forward) is skipped that day, one that exists twice (fall back) fires twice, first with the
earlier offset (fold 0), then with the later one (fold 1); "hourly at :MM" is every absolute
instant whose local minute is MM. Times are compared as timestamps: Python's ``==`` between
aware datetimes of different zones ignores ``fold`` in surprising ways.
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from alert_core.frequency import (
    Daily,
    Hourly,
    Monthly,
    Weekly,
    next_fire_times,
    parse_frequency,
)
from alert_core.schedule import go_date, parse_cron

ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "America/Sao_Paulo",  # DST at midnight until 2019
    "Asia/Kolkata",  # no DST, +05:30
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "America/Havana",  # DST at midnight, still today
    "UTC",
]
FIRST_YEAR, LAST_YEAR = 2010, 2032
COUNT = 6

AnyFrequency = Hourly | Daily | Weekly | Monthly


# --- the oracle ------------------------------------------------------------------------------


def _local_instants(wall: datetime, tz: ZoneInfo) -> list[datetime]:
    """The instants at which the local clock shows ``wall``: none, one or two (fold 0, 1)."""
    instants: list[datetime] = []
    for fold in (0, 1):
        candidate = wall.replace(tzinfo=tz, fold=fold)
        in_utc = candidate.astimezone(UTC)
        if in_utc.astimezone(tz).replace(tzinfo=None) != wall:
            continue  # this wall time does not exist with this fold's offset
        if all(in_utc != seen for seen in instants):
            instants.append(in_utc)
    return sorted(instants)


def _wanted_day(frequency: AnyFrequency, day: date) -> bool:
    if isinstance(frequency, Weekly):
        return (day.isoweekday() % 7) in frequency.day_of_week  # 0 = Sunday
    if isinstance(frequency, Monthly):
        return day.day in frequency.day_of_month
    return True


def oracle(frequency: AnyFrequency, after: datetime, count: int) -> list[float]:
    tz = ZoneInfo(frequency.timezone)
    minute = int(frequency.time.split(":")[1])
    found: list[float] = []
    if isinstance(frequency, Hourly):
        moment = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        while len(found) < count:
            if moment.astimezone(tz).minute == minute:
                found.append(moment.timestamp())
            moment += timedelta(minutes=1)
        return found
    hour = int(frequency.time.split(":")[0])
    day = after.astimezone(tz).date() - timedelta(days=1)
    while len(found) < count:
        if _wanted_day(frequency, day):
            for instant in _local_instants(datetime.combine(day, time(hour, minute)), tz):
                if instant > after and len(found) < count:
                    found.append(instant.timestamp())
        day += timedelta(days=1)
    return found


def port(frequency: AnyFrequency, after: datetime, count: int) -> list[float]:
    return [moment.timestamp() for moment in next_fire_times(frequency, after, count)]


# --- strategies: biased towards DST transitions ----------------------------------------------


@cache
def transitions(zone: str) -> list[datetime]:
    """Every UTC instant in FIRST_YEAR..LAST_YEAR at which the zone's offset changes."""
    tz = ZoneInfo(zone)
    found: list[datetime] = []
    moment = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
    end = datetime(LAST_YEAR, 12, 31, tzinfo=UTC)
    step = timedelta(days=1)
    while moment < end:
        following = moment + step
        if moment.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
            low, high = moment, following  # bisect down to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
        moment = following
    return found


times_of_day = st.builds(
    lambda hour, minute: f"{hour:02d}:{minute:02d}",
    st.one_of(st.sampled_from([0, 1, 2, 3, 23]), st.integers(0, 23)),
    st.one_of(st.sampled_from([0, 15, 30, 45, 59]), st.integers(0, 59)),
)


@st.composite
def frequencies(draw: st.DrawFn) -> AnyFrequency:
    raw: dict[str, object] = {
        "type": draw(st.sampled_from(["hourly", "daily", "weekly", "monthly"])),
        "time": draw(times_of_day),
        "timezone": draw(st.sampled_from(ZONES)),
    }
    if raw["type"] == "weekly":
        raw["dayOfWeek"] = draw(st.lists(st.integers(0, 7), min_size=1, max_size=8))
    if raw["type"] == "monthly":
        raw["dayOfMonth"] = draw(
            st.lists(st.one_of(st.integers(1, 31), st.sampled_from([1, 29, 30, 31])),
                     min_size=1, max_size=5)
        )
    frequency = parse_frequency(raw)
    assert isinstance(frequency, Hourly | Daily | Weekly | Monthly)
    return frequency


@st.composite
def starts(draw: st.DrawFn, zone: str) -> datetime:
    """Mostly a little before a DST change of the zone, sometimes any time."""
    changes = transitions(zone)
    if changes and draw(st.booleans()):
        change = draw(st.sampled_from(changes))
        return change - timedelta(seconds=draw(st.integers(0, 3 * 86400)))
    seconds = draw(st.integers(0, (LAST_YEAR - FIRST_YEAR) * 365 * 86400))
    return datetime(FIRST_YEAR, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


@st.composite
def cases(draw: st.DrawFn) -> tuple[AnyFrequency, datetime]:
    frequency = draw(frequencies())
    return frequency, draw(starts(frequency.timezone))


# --- the properties --------------------------------------------------------------------------


def _robfig_deviates(frequency: AnyFrequency) -> bool:
    """Lord Howe's 30-minute shift trips robfig's hour stepping for once-a-day schedules: see
    test_lord_howe_follows_kubernetes_not_the_definition. Hourly schedules are unaffected."""
    return frequency.timezone == "Australia/Lord_Howe" and not isinstance(frequency, Hourly)


def _midnight_gaps(zone: str, start: datetime, end: datetime) -> bool:
    """Whether local midnight does not exist on some day between start and end."""
    tz = ZoneInfo(zone)
    index = bisect.bisect_left(transitions(zone), start - timedelta(days=1))
    for change in transitions(zone)[index:]:
        if change > end + timedelta(days=1):
            break
        gap_start = (change - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None)
        gap_start += timedelta(seconds=1)
        gap_end = change.astimezone(tz).replace(tzinfo=None)
        midnight = datetime.combine(gap_end.date(), time())
        if gap_start <= midnight < gap_end:
            return True
    return False


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_port_matches_the_frequency_definition(case: tuple[AnyFrequency, datetime]) -> None:
    frequency, after = case
    if _robfig_deviates(frequency):
        frequency = frequency.model_copy(update={"timezone": "Australia/Sydney"})
    expected = oracle(frequency, after, COUNT)
    if isinstance(frequency, Weekly | Monthly):
        # robfig's second known deviation: test_day_is_not_rechecked_after_a_midnight_gap.
        last = datetime.fromtimestamp(expected[-1], UTC)
        assume(not _midnight_gaps(frequency.timezone, after, last))
    assert port(frequency, after, COUNT) == expected, (frequency, after.isoformat())


def test_day_is_not_rechecked_after_a_midnight_gap() -> None:
    """Havana skips 2010-03-14 00:00 (-> 01:00). robfig's hour search steps from 23:00 on the
    13th to 01:00 on the 14th without passing hour 0, so it never re-checks the day: a job for
    the 13th at 01:00 fires again on the 14th. Verified against robfig v3.0.1 itself."""
    frequency = parse_frequency(
        {"type": "monthly", "time": "01:00", "dayOfMonth": [13], "timezone": "America/Havana"}
    )
    assert isinstance(frequency, Monthly)
    after = _at("2010-03-01T00:00:00-05:00")
    assert port(frequency, after, 3) == [
        _at(text).timestamp()
        for text in ("2010-03-13T01:00:00-05:00", "2010-03-14T01:00:00-04:00",
                     "2010-04-13T01:00:00-04:00")
    ]
    assert _midnight_gaps("America/Havana", after, _at("2010-04-14T00:00:00-04:00"))


# Checked against robfig/cron v3.0.1 itself (Debian's golang-github-robfig-cron-dev, built with
# devtools/robfig_check): Kubernetes really does this. Fall back 2024-04-07 02:00 +11 -> 01:30
# +10:30; spring forward 2024-10-06 02:00 +10:30 -> 02:30 +11.
@pytest.mark.parametrize(
    ("time_of_day", "after", "expected"),
    [
        # midnight daily: 2024-04-08 is skipped (hour stepping lands on :30 after the change,
        # the minute search then rolls into 01:00 and the day is lost)
        ("00:00", "2024-04-05T15:00:00+00:00",
         ["2024-04-07T00:00:00+11:00", "2024-04-09T00:00:00+10:30",
          "2024-04-10T00:00:00+10:30"]),
        # 01:30 daily fires at 01:30 and again at 02:30 +11 on the spring-forward day (the
        # minute search crosses the gap without re-checking the hour)
        ("01:30", "2024-10-04T15:30:00+00:00",
         ["2024-10-06T01:30:00+10:30", "2024-10-06T02:30:00+11:00",
          "2024-10-07T01:30:00+11:00"]),
    ],
)
def test_lord_howe_follows_kubernetes_not_the_definition(
    time_of_day: str, after: str, expected: list[str]
) -> None:
    frequency = parse_frequency(
        {"type": "daily", "time": time_of_day, "timezone": "Australia/Lord_Howe"}
    )
    assert isinstance(frequency, Daily)
    got = port(frequency, _at(after), 3)
    assert got == [_at(text).timestamp() for text in expected]
    assert got != oracle(frequency, _at(after), 3)  # the definition would say otherwise


def test_the_strategies_reach_dst_changes() -> None:
    """Guard the guard: the zones listed do change offset in the years we sample."""
    for zone in ZONES:
        if zone in ("UTC", "Asia/Kolkata"):
            assert transitions(zone) == []
        else:
            assert len(transitions(zone)) >= 2, zone


@pytest.mark.parametrize(
    "zone", [z for z in ZONES if z not in ("UTC", "Asia/Kolkata", "Australia/Lord_Howe")]
)
@pytest.mark.parametrize("kind", ["hourly", "daily"])
def test_times_of_day_across_each_change(zone: str, kind: str) -> None:
    """Systematic where it matters most: times of day every 15 minutes in the 3 hours around
    both changes of a recent year (the gap and the repeat), starting a day before."""
    for change in [c for c in transitions(zone) if c.year <= 2024][-2:]:
        local = change.astimezone(ZoneInfo(zone)) - timedelta(hours=1)
        for minute_offset in range(0, 180, 15):
            wall = local + timedelta(minutes=minute_offset)
            frequency = parse_frequency(
                {"type": kind, "time": f"{wall.hour:02d}:{wall.minute:02d}", "timezone": zone}
            )
            assert isinstance(frequency, Hourly | Daily)
            after = change - timedelta(days=1)
            assert port(frequency, after, 4) == oracle(frequency, after, 4), (frequency, after)


# --- robfig/cron v3's own DST cases (spec_test.go), five-field form --------------------------

NEW_YORK = ZoneInfo("America/New_York")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("zone", "after", "expression", "expected"),
    [
        # spring forward 2012-03-11 02:00 EST -> 03:00 EDT
        ("America/New_York", "2012-03-11T00:00:00-05:00", "30 2 11 Mar ?",
         "2013-03-11T02:30:00-04:00"),
        ("America/New_York", "2012-03-11T00:00:00-05:00", "0 * * * ?",
         "2012-03-11T01:00:00-05:00"),
        ("America/New_York", "2012-03-11T01:00:00-05:00", "0 * * * ?",
         "2012-03-11T03:00:00-04:00"),
        ("America/New_York", "2012-03-11T03:00:00-04:00", "0 * * * ?",
         "2012-03-11T04:00:00-04:00"),
        ("America/New_York", "2012-03-11T00:00:00-05:00", "0 1 * * ?",
         "2012-03-11T01:00:00-05:00"),
        ("America/New_York", "2012-03-11T01:00:00-05:00", "0 1 * * ?",
         "2012-03-12T01:00:00-04:00"),
        # the 2am nightly job is skipped on the spring-forward day
        ("America/New_York", "2012-03-11T00:00:00-05:00", "0 2 * * *",
         "2012-03-12T02:00:00-04:00"),
        # fall back 2012-11-04 02:00 EDT -> 01:00 EST
        ("America/New_York", "2012-11-04T00:00:00-04:00", "30 2 04 Nov ?",
         "2012-11-04T02:30:00-05:00"),
        ("America/New_York", "2012-11-04T01:45:00-04:00", "30 1 4 11 *",
         "2012-11-04T01:30:00-05:00"),
        ("America/New_York", "2012-11-04T00:00:00-04:00", "0 * * * *",
         "2012-11-04T01:00:00-04:00"),
        ("America/New_York", "2012-11-04T01:00:00-04:00", "0 * * * *",
         "2012-11-04T01:00:00-05:00"),
        ("America/New_York", "2012-11-04T01:00:00-05:00", "0 * * * *",
         "2012-11-04T02:00:00-05:00"),
        # the 1am nightly job runs twice on the fall-back day
        ("America/New_York", "2012-11-04T00:00:00-04:00", "0 1 * * ?",
         "2012-11-04T01:00:00-04:00"),
        ("America/New_York", "2012-11-04T01:00:00-04:00", "0 1 * * ?",
         "2012-11-04T01:00:00-05:00"),
        ("America/New_York", "2012-11-04T01:00:00-05:00", "0 1 * * ?",
         "2012-11-05T01:00:00-05:00"),
        ("America/New_York", "2012-11-04T00:00:00-04:00", "0 2 * * ?",
         "2012-11-04T02:00:00-05:00"),
        ("America/New_York", "2012-11-04T02:00:00-05:00", "0 2 * * ?",
         "2012-11-05T02:00:00-05:00"),
        ("America/New_York", "2012-11-04T00:00:00-04:00", "0 3 * * ?",
         "2012-11-04T03:00:00-05:00"),
        ("America/New_York", "2012-11-04T00:00:00-04:00", "0 3 3 * ?",
         "2012-12-03T03:00:00-05:00"),
        # leap day, and midnight that does not exist in Sao Paulo (robfig issue #157)
        ("UTC", "2012-07-09T23:35:00+00:00", "0 0 29 2 *", "2016-02-29T00:00:00+00:00"),
        ("America/Sao_Paulo", "2018-10-17T05:00:00-04:00", "0 9 10 * ?",
         "2018-11-10T06:00:00-05:00"),
        ("America/Sao_Paulo", "2018-02-14T05:00:00-05:00", "0 9 22 * ?",
         "2018-02-22T07:00:00-05:00"),
    ],
)
def test_robfig_cases(zone: str, after: str, expression: str, expected: str) -> None:
    following = parse_cron(expression).next_after(_at(after), ZoneInfo(zone))
    assert following is not None
    assert following.timestamp() == _at(expected).timestamp()


def test_next_fire_times_chains_across_fall_back() -> None:
    frequency = parse_frequency(
        {"type": "daily", "time": "01:30", "timezone": "America/New_York"}
    )
    times = next_fire_times(frequency, _at("2012-11-03T12:00:00-04:00"), 4)
    assert [t.utcoffset() for t in times] == [timedelta(hours=h) for h in (-4, -5, -5, -5)]
    assert [t.timestamp() for t in times] == [
        _at(text).timestamp()
        for text in (
            "2012-11-04T01:30:00-04:00",
            "2012-11-04T01:30:00-05:00",
            "2012-11-05T01:30:00-05:00",
            "2012-11-06T01:30:00-05:00",
        )
    ]


def test_go_date_resolves_gaps_like_go() -> None:
    """Go's time.Date picks the offset in force at ``local - offset_at(local as UTC)``: in the
    Americas a missing midnight lands on 23:00 the day before, in Europe 02:30 becomes 03:30."""
    sao_paulo = ZoneInfo("America/Sao_Paulo")
    assert go_date(2018, 11, 4, 0, 0, 0, sao_paulo).isoformat() == "2018-11-03T23:00:00-03:00"
    berlin = ZoneInfo("Europe/Berlin")
    assert go_date(2024, 3, 31, 2, 30, 0, berlin).isoformat() == "2024-03-31T03:30:00+02:00"
    assert go_date(2012, 13, 1, 0, 0, 0, NEW_YORK).isoformat() == "2013-01-01T00:00:00-05:00"
    assert go_date(2012, 2, 30, 0, 0, 0, NEW_YORK).isoformat() == "2012-03-01T00:00:00-05:00"


def test_next_fire_times_rejects_naive_and_clamps_count() -> None:
    frequency = parse_frequency({"type": "daily", "time": "09:00"})
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire_times(frequency, datetime(2024, 1, 1), 1)
    assert next_fire_times(frequency, datetime(2024, 1, 1, tzinfo=UTC), -3) == []
    assert len(next_fire_times(frequency, datetime(2024, 1, 1, tzinfo=UTC), 10**9)) == 1000
