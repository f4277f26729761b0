"""``alert_operator_alert_overdue_seconds``: alerts whose scheduled runs stopped happening.

An alert is overdue when two of its scheduled runs have passed (each given the time a run may
start late and last: ``starting_deadline_seconds + active_deadline_seconds``) since its last
good run (a Job that ended ``succeeded`` or ``skipped``) or, when none is known, since this
process first saw the alert with its current schedule (a new alert, a changed schedule and a
resumed alert start afresh, and so does a restart; the Jobs still in the cluster then tell the
last good runs again). One failed run is AlertOperatorRunsFailing's; two missed ones are this.
Only overdue alerts get a series (the value: seconds since the first missed run), so the count
of series stays small; computed when /metrics is scraped, at most every ``CACHE_SECONDS``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from alert_core.frequency import zone
from alert_core.schedule import CronSyntaxError
from alert_operator.metrics import REGISTRY
from alert_operator.runs_due import cached_schedule
from alert_operator.state import AlertState

NAME = "alert_operator_alert_overdue_seconds"
CACHE_SECONDS = 30.0
Schedule = tuple[str, str]  # (cron expression, timezone)


def overdue(
    alerts: Iterable[AlertState],
    since: Mapping[uuid.UUID, datetime],
    grace: timedelta,
    now: datetime,
) -> dict[uuid.UUID, float]:
    """Alert id -> seconds since its first missed run, for each alert with two missed runs
    after ``since[alert id]`` (alerts missing from ``since`` are not judged)."""
    found = {}
    for alert in alerts:
        start = since.get(alert.id)
        if start is None or not alert.schedule:
            continue
        try:
            schedule, tz = cached_schedule(alert.schedule), zone(alert.timezone or "UTC")
        except (CronSyntaxError, ValueError, KeyError, OSError):
            continue
        first = schedule.next_after(start, tz)
        second = None if first is None else schedule.next_after(first, tz)
        if first is not None and second is not None and second + grace < now:
            found[alert.id] = (now - first - grace).total_seconds()
    return found


class OverdueCollector(Collector):
    """The gauge, from the alerts of the operator's state (:meth:`watch`) and the good runs
    the Job outcome recorder reports (:meth:`ran`)."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._alerts: Callable[[], list[AlertState]] | None = None
        self._grace = timedelta(0)
        self._last_good: dict[uuid.UUID, datetime] = {}
        self._first_seen: dict[uuid.UUID, tuple[Schedule, datetime]] = {}
        self._cached: tuple[float, dict[uuid.UUID, float]] | None = None

    def watch(self, alerts: Callable[[], list[AlertState]], grace: timedelta) -> None:
        """``alerts``: what the operator schedules; nothing is overdue while it is None (in
        dry-run nothing is scheduled)."""
        self._alerts, self._grace, self._cached = alerts, grace, None
        self._first_seen.clear()

    def stop_watching(self) -> None:
        self._alerts, self._cached = None, None

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

    def _overdue(self) -> dict[uuid.UUID, float]:
        if self._alerts is None:
            return {}
        if self._cached is None or time.monotonic() - self._cached[0] >= self._cache_seconds:
            now, alerts = self._clock(), self._alerts()
            found = overdue(alerts, self._since(alerts, now), self._grace, now)
            self._cached = (time.monotonic(), found)
        return self._cached[1]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            NAME, "Seconds since the first of two or more scheduled runs missed since the"
            " alert's last good run; a series only for such an alert", labels=["alert_id"],
        )
        for alert_id, seconds in sorted(self._overdue().items()):
            gauge.add_metric([str(alert_id)], seconds)
        yield gauge

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(NAME, "", labels=["alert_id"])


OVERDUE = OverdueCollector()
REGISTRY.register(OVERDUE)
