"""``alert_operator_runs_due``: how many runs are due to start in each 10-minute slot of the next
six hours, computed from the schedules the operator holds (the dashboard's "runs due per
minute": thousands of alerts at 09:00 show as a peak before it comes).

Computed in a thread (:class:`~alert_operator.background.BackgroundValue`) at most every
``MAX_AGE_SECONDS``, so a scrape never waits; and each schedule's fire times are computed once
(:class:`FireTimes`): alerts with the same schedule and timezone share them, and as the window
moves on only the times entering it are computed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from alert_core.frequency import zone
from alert_core.schedule import CronSchedule, CronSyntaxError, parse_cron
from alert_operator.background import BackgroundValue
from alert_operator.metrics import REGISTRY
from alert_operator.state import AlertState

SLOT_MINUTES = 10
HORIZON_MINUTES = 360
SLOTS = HORIZON_MINUTES // SLOT_MINUTES
MAX_AGE_SECONDS = 60.0
NAME = "alert_operator_runs_due"
Schedule = tuple[str, str]  # (cron expression, timezone)


@lru_cache(maxsize=4096)
def cached_schedule(expression: str) -> CronSchedule:
    """``parse_cron``, remembered: the same few expressions come back for every alert."""
    return parse_cron(expression)


class FireTimes:
    """The fire times of each schedule within a window that only moves forward."""

    def __init__(self) -> None:
        # schedule -> (window start, its fire times in the window, the first one beyond it)
        self._known: dict[Schedule, tuple[datetime, list[datetime], datetime | None]] = {}

    def within(self, key: Schedule, start: datetime, end: datetime) -> list[datetime]:
        """Fire times after ``start`` and before ``end``; raises for a schedule that cannot be
        read (CronSyntaxError, an unknown timezone)."""
        schedule, tz = cached_schedule(key[0]), zone(key[1])
        known = self._known.get(key)
        if known is None or start < known[0]:  # new, or the clock went back
            fires, following = [], schedule.next_after(start, tz)
        else:
            fires, following = [t for t in known[1] if t > start], known[2]
            if following is not None and following <= start:  # the window jumped past it
                following = schedule.next_after(start, tz)
        while following is not None and following < end:
            fires.append(following)
            following = schedule.next_after(following, tz)
        self._known[key] = (start, fires, following)
        return fires

    def keep_only(self, keys: set[Schedule]) -> None:
        for key in set(self._known) - keys:
            del self._known[key]


def runs_due(
    alerts: Iterable[AlertState], now: datetime, fire_times: FireTimes | None = None
) -> list[int]:
    """Runs due in each slot from ``now`` on (slot i: ``i * SLOT_MINUTES`` minutes ahead)."""
    fire_times = fire_times or FireTimes()
    slots = [0] * SLOTS
    end = now + timedelta(minutes=HORIZON_MINUTES)
    groups = Counter(
        (alert.schedule, alert.timezone or "UTC")
        for alert in alerts
        if alert.schedule and not alert.suspended and alert.cronjob != "invalid"
    )
    for key, count in groups.items():
        try:
            fires = fire_times.within(key, now, end)
        except (CronSyntaxError, ValueError, KeyError, OSError):
            continue  # the state holds what was applied; an unreadable one has no next time
        for moment in fires:
            slots[int((moment - now).total_seconds() // (SLOT_MINUTES * 60))] += count
    fire_times.keep_only(set(groups))
    return slots


class RunsDueCollector(Collector):
    """The gauge, from the alerts of the operator's state (:meth:`watch`)."""

    def __init__(self, *, max_age_seconds: float = MAX_AGE_SECONDS) -> None:
        self._max_age = max_age_seconds
        self._value: BackgroundValue[list[int]] | None = None

    def watch(self, alerts: Callable[[], list[AlertState]]) -> None:
        fire_times = FireTimes()
        self._value = BackgroundValue(
            lambda: runs_due(alerts(), datetime.now(UTC), fire_times), [0] * SLOTS,
            self._max_age,
        )

    def slots(self, *, wait: bool = False) -> list[int]:
        return [0] * SLOTS if self._value is None else self._value.get(wait=wait)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            NAME, f"Runs due to start in the {SLOT_MINUTES} minutes from minutes_ahead on",
            labels=["minutes_ahead"],
        )
        for index, count in enumerate(self.slots()):
            gauge.add_metric([str(index * SLOT_MINUTES)], count)
        yield gauge

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(NAME, "", labels=["minutes_ahead"])


RUNS_DUE = RunsDueCollector()
REGISTRY.register(RUNS_DUE)
