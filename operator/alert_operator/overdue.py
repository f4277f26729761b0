"""``alert_operator_alert_overdue_seconds``: alerts whose scheduled runs stopped happening.

An alert is overdue when two of its scheduled runs have passed (each given the time a run may
start late and last: ``starting_deadline_seconds + active_deadline_seconds``) since its last
good run (a Job that ended ``succeeded`` or ``skipped``) or, when none is known, since this
process first saw the alert with its current schedule (a new alert, a changed schedule and a
resumed alert start afresh, and so does a restart; the Jobs still in the cluster then tell the
last good runs again). One failed run is AlertOperatorRunsFailing's; two missed ones are this.
Only overdue alerts get a series (the value: seconds since the first missed run), so the count
of series stays small. Computed in a thread (:class:`~alert_operator.background.BackgroundValue`)
at most every ``MAX_AGE_SECONDS``, so a scrape never waits; an alert's two next times are
computed again only when its start changes (a good run, a new schedule).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from alert_core.frequency import zone
from alert_core.schedule import CronSyntaxError
from alert_operator.background import BackgroundValue
from alert_operator.metrics import REGISTRY
from alert_operator.runs_due import cached_schedule
from alert_operator.state import AlertState

NAME = "alert_operator_alert_overdue_seconds"
MAX_AGE_SECONDS = 60.0
Schedule = tuple[str, str]  # (cron expression, timezone)
# (schedule, start) -> the first two fire times after start
NextTwo = dict[tuple[Schedule, datetime], tuple[datetime | None, datetime | None]]


def overdue(
    alerts: Iterable[AlertState],
    since: Mapping[uuid.UUID, datetime],
    grace: timedelta,
    now: datetime,
    next_two: NextTwo | None = None,
) -> dict[uuid.UUID, float]:
    """Alert id -> seconds since its first missed run, for each alert with two missed runs
    after ``since[alert id]`` (alerts missing from ``since`` are not judged). ``next_two``
    remembers the fire times between calls; it keeps only what this call used."""
    known = {} if next_two is None else next_two
    used: NextTwo = {}
    found = {}
    for alert in alerts:
        start = since.get(alert.id)
        if start is None or not alert.schedule:
            continue
        key = ((alert.schedule, alert.timezone or "UTC"), start)
        if key not in known:
            try:
                known[key] = _next_two(key[0], start)
            except (CronSyntaxError, ValueError, KeyError, OSError):
                continue
        first, second = used[key] = known[key]
        if first is not None and second is not None and second + grace < now:
            found[alert.id] = (now - first - grace).total_seconds()
    if next_two is not None:
        next_two.clear()
        next_two.update(used)
    return found


def _next_two(key: Schedule, start: datetime) -> tuple[datetime | None, datetime | None]:
    schedule, tz = cached_schedule(key[0]), zone(key[1])
    first = schedule.next_after(start, tz)
    return first, (None if first is None else schedule.next_after(first, tz))


class OverdueCollector(Collector):
    """The gauge, from the alerts of the operator's state (:meth:`watch`) and the good runs
    the Job outcome recorder reports (:meth:`ran`)."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_age_seconds: float = MAX_AGE_SECONDS,
    ) -> None:
        self._clock = clock
        self._max_age = max_age_seconds
        self._last_good: dict[uuid.UUID, datetime] = {}
        self._first_seen: dict[uuid.UUID, tuple[Schedule, datetime]] = {}
        self._value: BackgroundValue[dict[uuid.UUID, float]] | None = None

    def watch(self, alerts: Callable[[], list[AlertState]], grace: timedelta) -> None:
        """Judge ``alerts`` (what the operator schedules), each run given ``grace``."""
        self._first_seen = {}
        next_two: NextTwo = {}

        def compute() -> dict[uuid.UUID, float]:
            now, current = self._clock(), alerts()
            return overdue(current, self._since(current, now), grace, now, next_two)

        self._value = BackgroundValue(compute, {}, self._max_age)

    def stop_watching(self) -> None:
        """Judge nothing (in dry-run nothing is scheduled)."""
        self._value = None

    def ran(self, alert_id: uuid.UUID, finished_at: datetime) -> None:
        """A run of the alert ended well at ``finished_at``."""
        known = self._last_good.get(alert_id)
        if known is None or finished_at > known:
            self._last_good[alert_id] = finished_at

    def last_good(self, alert_id: uuid.UUID) -> datetime | None:
        return self._last_good.get(alert_id)

    def _since(self, alerts: list[AlertState], now: datetime) -> dict[uuid.UUID, datetime]:
        """The moment each scheduled alert is judged from (see the module docstring)."""
        since, seen = {}, {}
        for alert in alerts:
            if not alert.schedule or alert.suspended or alert.cronjob == "invalid":
                continue
            key = (alert.schedule, alert.timezone or "UTC")
            known = self._first_seen.get(alert.id)
            first_seen = known[1] if known is not None and known[0] == key else now
            seen[alert.id] = (key, first_seen)
            good = self._last_good.get(alert.id)
            since[alert.id] = first_seen if good is None else max(good, first_seen)
        self._first_seen = seen  # alerts gone, suspended or invalid start afresh
        return since

    def overdue_alerts(self, *, wait: bool = False) -> dict[uuid.UUID, float]:
        return {} if self._value is None else self._value.get(wait=wait)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            NAME, "Seconds since the first of two or more scheduled runs missed since the"
            " alert's last good run; a series only for such an alert", labels=["alert_id"],
        )
        for alert_id, seconds in sorted(self.overdue_alerts().items()):
            gauge.add_metric([str(alert_id)], seconds)
        yield gauge

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(NAME, "", labels=["alert_id"])


OVERDUE = OverdueCollector()
REGISTRY.register(OVERDUE)
