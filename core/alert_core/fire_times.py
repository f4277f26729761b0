"""A frequency's next fire times as Kubernetes will fire them, with what DST does to them.

The times are the CronJob controller's (alert_core.schedule, the robfig/cron port). Around a
DST change they depart from the wall clock the schedule names; each departure is marked:

- skipped: a wall-clock time the schedule names that does not fire (spring forward: it does
  not exist that day; or robfig's search steps over it on a change day);
- shifted: a fire time that is not one of the schedule's wall-clock times (robfig's corners,
  e.g. Australia/Lord_Howe's 30-minute change);
- repeated: a wall-clock time that happens twice (fall back) fires twice; the second run is
  skipped by the runner when the alert runs once per local slot (daily, weekly, monthly:
  alert_core.db.runs.local_slot keys on the wall-clock minute), and runs otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from alert_core.frequency import AnyFrequency, next_fire_times, zone
from alert_core.schedule import CronSchedule, matches_wall_clock, parse_cron

Kind = Literal["scheduled", "skipped", "shifted", "repeated"]
DAY = timedelta(days=1)


@dataclass(frozen=True)
class FireTime:
    local: datetime  # the wall-clock time (naive for a skipped time that does not exist)
    kind: Kind = "scheduled"
    reason: str | None = None
    runner_skips: bool = False  # the runner records it as skipped (its slot already ran)

    @property
    def fires(self) -> bool:
        return self.kind != "skipped"


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def _twin(moment: datetime) -> datetime:
    """The same wall-clock time at the other fold."""
    return moment.replace(fold=1 - moment.fold)


def _is_repeated(moment: datetime) -> bool:
    return _twin(moment).utcoffset() != moment.utcoffset()


def _repeated(moment: datetime, per_local_slot: bool) -> FireTime:
    change = (f"{moment:%H:%M} happens twice (clocks fall back from"
              f" {_offset(moment.replace(fold=0))} to {_offset(moment.replace(fold=1))})")
    if moment.fold == 0:
        return FireTime(moment, "repeated", f"{change}: the first run")
    if per_local_slot:
        return FireTime(moment, "repeated", f"{change}: Kubernetes starts a second run, which the"
                        " runner skips (one run per local time)", runner_skips=True)
    return FireTime(moment, "repeated", f"{change}: a second run (hourly and cron alerts have"
                    " no one-run-per-local-time rule)")


def _change_days(start: datetime, end: datetime, tz: ZoneInfo) -> set[date]:
    """The local dates around each UTC-offset change between ``start`` and ``end``, a day
    either side (robfig's search can lose the day after a change)."""
    days: set[date] = set()
    moment = start.astimezone(tz)
    while moment <= end + DAY:
        following = (moment.astimezone(UTC) + DAY).astimezone(tz)
        if following.utcoffset() != moment.utcoffset():
            days |= {moment.date() + DAY * step for step in range(-1, 3)}
        moment = following
    return days


def _named_times(schedule: CronSchedule, day: date) -> list[datetime]:
    """The wall-clock times (naive) the schedule names on ``day``."""
    midnight = datetime(day.year, day.month, day.day)
    candidates = (midnight.replace(hour=hour, minute=minute)
                  for hour in range(24) if (1 << hour) & schedule.hour
                  for minute in range(60) if (1 << minute) & schedule.minute)
    return [wall for wall in candidates if matches_wall_clock(schedule, wall)]


def _skipped(
    schedule: CronSchedule, tz: ZoneInfo, fires: list[datetime], after: datetime
) -> list[FireTime]:
    if not fires:
        return []
    fired = {moment.replace(tzinfo=None, fold=0) for moment in fires}
    first, last = after.astimezone(tz).replace(tzinfo=None), fires[-1].replace(tzinfo=None)
    skipped = []
    for day in sorted(_change_days(after, fires[-1], tz)):
        for wall in _named_times(schedule, day):
            placed = wall.replace(tzinfo=tz)
            if wall in fired or not first < wall < last:
                continue
            exists = placed.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall
            if exists:
                reason = "Kubernetes (robfig/cron) steps over it next to a DST change"
            else:
                reason = (f"{wall:%H:%M} does not exist that day (clocks spring forward from"
                          f" {_offset(placed.replace(fold=0))} to"
                          f" {_offset(placed.replace(fold=1))})")
            skipped.append(FireTime(wall, "skipped", reason))
    return skipped


def explain_fire_times(frequency: AnyFrequency, after: datetime, count: int) -> list[FireTime]:
    """The next ``count`` fire times, with the skipped ones between them, in order."""
    tz = zone(frequency.timezone)
    schedule = parse_cron(frequency.to_cron())
    fires = next_fire_times(frequency, after, count)
    marked: list[FireTime] = []
    for moment in fires:
        if not matches_wall_clock(schedule, moment.replace(tzinfo=None)):
            marked.append(FireTime(moment, "shifted", "not a time the schedule names:"
                                   " Kubernetes (robfig/cron) fires here on a DST change day"))
        elif _is_repeated(moment):
            marked.append(_repeated(moment, frequency.per_local_slot))
        else:
            marked.append(FireTime(moment))
    # In wall-clock order; the two runs of a repeated time by their fold.
    return sorted(marked + _skipped(schedule, tz, fires, after),
                  key=lambda item: (item.local.replace(tzinfo=None), item.local.fold))


def _utc_offset(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes >= 0 else '-'}{hours:02d}:{rest:02d}"


def offset_changes(times: list[FireTime]) -> list[str | None]:
    """For each listed time, the UTC-offset change since the previous time that fired, if
    any: why 09:00 is 07:00 UTC one week and 08:00 the next."""
    notes: list[str | None] = []
    previous: datetime | None = None
    for item in times:
        note = None
        if item.fires:
            if previous is not None and previous.utcoffset() != item.local.utcoffset():
                note = f"offset changes {_utc_offset(previous)} → {_utc_offset(item.local)}"
            previous = item.local
        notes.append(note)
    return notes
