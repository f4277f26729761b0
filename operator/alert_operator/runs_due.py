"""``alert_operator_runs_due``: how many runs are due to start in each 10-minute slot of the next
six hours, computed from the schedules the operator holds (the dashboard's "runs due per
minute": thousands of alerts at 09:00 show as a peak before it comes).

Computed when /metrics is scraped, at most every ``CACHE_SECONDS``, and cheap at 10,000 alerts:
alerts with the same schedule and timezone run at the same times, so the times are computed once
per distinct (schedule, timezone), at most one per minute of the horizon.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from alert_core.frequency import zone
from alert_core.schedule import CronSchedule, CronSyntaxError, parse_cron
from alert_operator.metrics import REGISTRY
from alert_operator.state import AlertState

SLOT_MINUTES = 10
HORIZON_MINUTES = 360
CACHE_SECONDS = 30.0
NAME = "alert_operator_runs_due"


@lru_cache(maxsize=4096)
def cached_schedule(expression: str) -> CronSchedule:
    """``parse_cron``, remembered: the same few expressions come back for every alert."""
    return parse_cron(expression)


def runs_due(alerts: Iterable[AlertState], now: datetime) -> list[int]:
    """Runs due in each slot from ``now`` on (slot i: ``i * SLOT_MINUTES`` minutes ahead)."""
    slots = [0] * (HORIZON_MINUTES // SLOT_MINUTES)
    end = now + timedelta(minutes=HORIZON_MINUTES)
    groups = Counter(
        (alert.schedule, alert.timezone or "UTC")
        for alert in alerts
        if alert.schedule and not alert.suspended and alert.cronjob != "invalid"
    )
    for (expression, timezone), count in groups.items():
        try:
            schedule, tz = cached_schedule(expression), zone(timezone)
        except (CronSyntaxError, ValueError, KeyError, OSError):
            continue  # the state holds what was applied; an unreadable one has no next time
        moment = now
        for _ in range(HORIZON_MINUTES):  # a cron schedule starts at most once a minute
            following = schedule.next_after(moment, tz)
            if following is None or following >= end:
                break
            slots[int((following - now).total_seconds() // (SLOT_MINUTES * 60))] += count
            moment = following
    return slots


class RunsDueCollector(Collector):
    """The gauge, from the alerts of the operator's state (:meth:`watch`)."""

    def __init__(self) -> None:
        self._alerts: Callable[[], list[AlertState]] | None = None
        self._cached: tuple[float, list[int]] | None = None

    def watch(self, alerts: Callable[[], list[AlertState]]) -> None:
        self._alerts = alerts
        self._cached = None

    def _slots(self) -> list[int]:
        if self._alerts is None:
            return [0] * (HORIZON_MINUTES // SLOT_MINUTES)
        if self._cached is None or time.monotonic() - self._cached[0] > CACHE_SECONDS:
            self._cached = (time.monotonic(), runs_due(self._alerts(), datetime.now(UTC)))
        return self._cached[1]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            NAME, f"Runs due to start in the {SLOT_MINUTES} minutes from minutes_ahead on",
            labels=["minutes_ahead"],
        )
        for index, count in enumerate(self._slots()):
            gauge.add_metric([str(index * SLOT_MINUTES)], count)
        yield gauge

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(NAME, "", labels=["minutes_ahead"])


RUNS_DUE = RunsDueCollector()
REGISTRY.register(RUNS_DUE)
