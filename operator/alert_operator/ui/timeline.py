"""Runs due per minute over the next day or week, as the geometry of a server-rendered SVG chart.

The question it answers: "where is the pile-up at 09:00?". Each alert's CronJob schedule (in its
own zone) gives its fire times; alerts that share a schedule and zone are counted together (a
few hundred distinct schedules for 10,000 alerts), so the whole chart costs one walk per
distinct schedule. A minute with more runs than the CronJob controller starts promptly (its
API client's rate limit: BENCHMARKS.md, "Thundering herd") is a pile-up. The second series is
the same alerts under the other spread window (``ALERT_SCHEDULE_SPREAD_MINUTES``): what turning
it on (or off) would change.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from alert_core.frequency import AnyFrequency, zone
from alert_core.schedule import CronSchedule, parse_cron
from alert_core.spread import spread_frequency

SPANS = {"day": (24 * 60, 1), "week": (7 * 24 * 60, 10)}  # minutes shown, minutes per bar
SUGGESTED_SPREAD_MINUTES = 10
MIN_BAR_WIDTH = 2.5  # a lone minute among 1,440 must still be seen
WIDTH, HEIGHT, MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 1000.0, 240.0, 44.0, 28.0, 10.0


@lru_cache(maxsize=65_536)  # every distinct schedule of 10,000 alerts, twice (the spread)
def _schedule(expression: str) -> CronSchedule:
    return parse_cron(expression)


def due_per_minute(
    schedules: Counter[tuple[str, str]], start: datetime, minutes: int
) -> Counter[int]:
    """Runs due in each minute (index from ``start``) of ``[start, start + minutes)``, for
    ``schedules``: (cron, zone) -> how many alerts run it.

    Per zone, every minute of the window is read on the zone's clock and matched against the
    schedules that fire at that hour and minute (:meth:`CronSchedule.matches`): the work is the
    window's minutes per zone plus the fire times, not a cron walk per schedule."""
    by_zone: dict[str, dict[tuple[int, int], list[tuple[CronSchedule, int]]]] = {}
    for (expression, zone_name), alerts in schedules.items():
        schedule = _schedule(expression)
        at = by_zone.setdefault(zone_name, {})
        for hour_minute in schedule.times_of_day():
            at.setdefault(hour_minute, []).append((schedule, alerts))
    due: Counter[int] = Counter()
    utc_start = start.astimezone(UTC)
    for zone_name, at in by_zone.items():
        tz = zone(zone_name)
        for index in range(minutes):
            local = (utc_start + timedelta(minutes=index)).astimezone(tz)
            candidates = at.get((local.hour, local.minute))
            if candidates:
                runs = sum(alerts for schedule, alerts in candidates if schedule.matches(local))
                if runs:
                    due[index] += runs
    return due


def schedules_of(
    alerts: Iterable[tuple[uuid.UUID, AnyFrequency]], spread_minutes: int
) -> Counter[tuple[str, str]]:
    """(cron, zone) -> number of alerts, with the given spread window applied."""
    counted: Counter[tuple[str, str]] = Counter()
    for alert_id, frequency in alerts:
        spread = spread_frequency(frequency, alert_id, spread_minutes)
        counted[(spread.to_cron(), spread.timezone)] += 1
    return counted


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    at: datetime  # the bar's first minute (UTC)
    runs: int  # the busiest minute of the bar
    pileup: bool


@dataclass(frozen=True)
class Chart:
    """Everything the template draws."""

    span: str
    start: datetime
    minutes_per_bar: int
    bars: list[Bar]
    compare_path: str  # an SVG path: the other spread window's busiest minute per bar
    threshold: int
    threshold_y: float
    scale_max: int
    ticks: list[tuple[float, str]]
    spread_minutes: int
    compare_spread_minutes: int
    peak: int
    peak_at: datetime | None
    compare_peak: int
    pileup_minutes: int
    compare_pileup_minutes: int
    width: float = WIDTH
    height: float = HEIGHT
    baseline: float = HEIGHT - MARGIN_BOTTOM
    left: float = MARGIN_LEFT


def _per_bar(due: Counter[int], minutes: int, size: int) -> list[int]:
    bars = [0] * (minutes // size)
    for minute, runs in due.items():
        index = minute // size
        bars[index] = max(bars[index], runs)
    return bars


def _ticks(start: datetime, minutes: int, to_x: float) -> list[tuple[float, str]]:
    step = 180 if minutes <= 24 * 60 else 24 * 60
    first = (-(start.hour * 60 + start.minute)) % step
    ticks = []
    for minute in range(first, minutes, step):
        at = start + timedelta(minutes=minute)
        label = at.strftime("%H:%M") if step < 24 * 60 else at.strftime("%a %d")
        ticks.append((MARGIN_LEFT + minute * to_x, label))
    return ticks


def build_chart(
    alerts: list[tuple[uuid.UUID, AnyFrequency]],
    now: datetime,
    span: str,
    spread_minutes: int,
    threshold: int,
) -> Chart:
    """The chart of ``alerts`` (the active ones: id and stored frequency) from the next minute."""
    minutes, size = SPANS[span]
    start = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    compare_spread = 0 if spread_minutes else SUGGESTED_SPREAD_MINUTES
    due = due_per_minute(schedules_of(alerts, spread_minutes), start, minutes)
    other = due_per_minute(schedules_of(alerts, compare_spread), start, minutes)
    heights, compare = _per_bar(due, minutes, size), _per_bar(other, minutes, size)
    scale_max = max([threshold + 1, *heights, *compare])
    plot_height = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    bar_width = (WIDTH - MARGIN_LEFT) / len(heights)

    def to_y(runs: int) -> float:
        return round(HEIGHT - MARGIN_BOTTOM - plot_height * runs / scale_max, 2)

    bars = [
        Bar(round(MARGIN_LEFT + index * bar_width, 2), to_y(runs),
            round(max(bar_width, MIN_BAR_WIDTH), 3),
            round(HEIGHT - MARGIN_BOTTOM - to_y(runs), 2),
            start + timedelta(minutes=index * size), runs, runs > threshold)
        for index, runs in enumerate(heights) if runs
    ]
    path = " ".join(
        f"{'M' if index == 0 else 'L'}{MARGIN_LEFT + index * bar_width:.2f},{to_y(runs)}"
        f" L{MARGIN_LEFT + (index + 1) * bar_width:.2f},{to_y(runs)}"
        for index, runs in enumerate(compare)
    )
    peak = max(due.values(), default=0)
    peak_at = None if not peak else start + timedelta(
        minutes=min(minute for minute, runs in due.items() if runs == peak))
    return Chart(
        span, start, size, bars, path, threshold, to_y(threshold), scale_max,
        _ticks(start, minutes, (WIDTH - MARGIN_LEFT) / minutes), spread_minutes, compare_spread,
        peak, peak_at, max(other.values(), default=0),
        sum(1 for runs in due.values() if runs > threshold),
        sum(1 for runs in other.values() if runs > threshold),
    )


class ChartCache:
    """The last chart of each span, reused while its first minute and its alerts' schedules
    are the same (walking a week for 10,000 alerts takes a second or two)."""

    def __init__(self) -> None:
        self._charts: dict[str, tuple[tuple[Any, ...], Chart]] = {}
        self._lock = threading.Lock()

    def chart(
        self, alerts: list[tuple[uuid.UUID, AnyFrequency]], now: datetime, span: str,
        spread_minutes: int, threshold: int,
    ) -> Chart:
        start = now.astimezone(UTC).replace(second=0, microsecond=0)
        key = (start, spread_minutes, threshold,
               hash(tuple((alert_id, f.to_cron(), f.timezone) for alert_id, f in alerts)))
        with self._lock:
            known = self._charts.get(span)
        if known is not None and known[0] == key:
            return known[1]
        chart = build_chart(alerts, now, span, spread_minutes, threshold)
        with self._lock:
            self._charts[span] = (key, chart)
        return chart
