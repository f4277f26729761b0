"""The timeline's counts against the reference cron walk, across daylight-saving changes; the
fire times' DST marks; the catalog's search and pages; hidden credentials (pure: no I/O)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from alert_core.fire_times import explain_fire_times
from alert_core.frequency import parse_frequency, zone
from alert_core.schedule import parse_cron
from alert_operator.ui.catalog import PAGE_SIZE, AlertView, ListQuery, NextRuns, paginate, select
from alert_operator.ui.queries import hide_secrets
from alert_operator.ui.timeline import build_chart, due_per_minute
from alert_operator.ui.views import _dst_marks

SCHEDULES = Counter({
    ("30 2 * * *", "Europe/Berlin"): 4,  # in the skipped hour in March, the repeated one in Oct
    ("*/20 * * * *", "America/New_York"): 1,
    ("0 9 * * 1-5", "UTC"): 7,
    ("15 1 29,30 3,10 *", "Europe/London"): 2,
    ("0 0 1 * *", "Asia/Tokyo"): 1,
})


def _reference(start: datetime, minutes: int) -> Counter[int]:
    due: Counter[int] = Counter()
    end = start + timedelta(minutes=minutes)
    for (expression, zone_name), alerts in SCHEDULES.items():
        moment = start - timedelta(seconds=1)
        while True:
            following = parse_cron(expression).next_after(moment, zone(zone_name))
            if following is None or following >= end:
                break
            due[int((following - start).total_seconds() // 60)] += alerts
            moment = following
    return due


@pytest.mark.parametrize("start", [
    datetime(2026, 3, 27, 0, 0, tzinfo=UTC),  # Europe's spring change (and New York's is past)
    datetime(2026, 10, 23, 0, 0, tzinfo=UTC),  # Europe's autumn change: a repeated hour
    datetime(2026, 10, 30, 12, 0, tzinfo=UTC),  # New York's autumn change, Tokyo's 1st
])
def test_minute_walk_counts_what_the_cron_walk_fires(start: datetime) -> None:
    week = 7 * 24 * 60
    assert due_per_minute(SCHEDULES, start, week) == _reference(start, week)


def test_chart_marks_minutes_over_the_threshold_and_compares_the_spread() -> None:
    daily = parse_frequency({"type": "daily", "time": "09:00", "timezone": "UTC"})
    alerts = [(uuid.UUID(int=n), daily) for n in range(30)]
    now = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    chart = build_chart(alerts, now, "day", 0, 10)
    [bar] = chart.bars
    assert (bar.at, bar.runs, bar.pileup) == (datetime(2026, 6, 1, 9, 0, tzinfo=UTC), 30, True)
    assert chart.pileup_minutes == 1 and chart.compare_spread_minutes == 10
    assert chart.compare_peak < 30
    spread = build_chart(alerts, now, "day", 10, 10)
    assert spread.peak == chart.compare_peak and spread.compare_peak == 30


def test_dst_marks_name_the_offset_change_and_the_repeated_hour() -> None:
    hourly = parse_frequency({"type": "cron", "expression": "30 * * * *",
                              "timezone": "Europe/Berlin"})
    times = explain_fire_times(hourly, datetime(2026, 10, 24, 23, 0, tzinfo=UTC), 4)
    marks = _dst_marks(times)
    assert marks[0] is None and marks[3] is None
    assert marks[1] is not None and marks[1].startswith("02:30 happens twice")
    assert marks[1].endswith("the first run")
    assert marks[2] is not None and "a second run" in marks[2]
    assert marks[2].endswith("offset changes UTC+02:00 → UTC+01:00")


def test_dst_marks_list_a_skipped_run() -> None:
    daily = parse_frequency({"type": "daily", "time": "02:30", "timezone": "Europe/Berlin"})
    times = explain_fire_times(daily, datetime(2027, 3, 27, 0, 0, tzinfo=UTC), 2)
    assert [item.kind for item in times] == ["scheduled", "skipped", "scheduled"]
    marks = _dst_marks(times)
    assert marks[0] is None
    assert marks[1] is not None and "does not exist that day" in marks[1]
    assert marks[2] == "offset changes UTC+01:00 → UTC+02:00"


def _view(name: str, client: uuid.UUID) -> AlertView:
    return AlertView(uuid.uuid4(), name, client, "active", None, None, None, "0 9 * * *", "UTC",
                     None, "in sync")


def test_search_by_name_id_and_client_and_pages() -> None:
    client = uuid.uuid4()
    views = [_view(f"Report {n:04d}", client if n % 2 else uuid.uuid4()) for n in range(10_000)]
    now, cache = datetime(2026, 6, 1, tzinfo=UTC), NextRuns()
    assert len(select(views, ListQuery(text="report 00"), None, now, cache)) == 100
    found = select(views, ListQuery(text=str(views[7].id)[:8].upper()), None, now, cache)
    assert found[0] is views[7]
    assert len(select(views, ListQuery(text=str(client)), None, now, cache)) == 5_000
    page = paginate(select(views, ListQuery(), None, now, cache), 200)
    assert (page.number, page.pages, page.total) == (200, 200, 10_000)
    assert page.items[-1].name == "Report 9999" and len(page.items) == PAGE_SIZE
    assert paginate([], 3).items == [] and paginate([], 3).pages == 1


def test_literal_credentials_in_a_cronjob_are_hidden() -> None:
    cronjob = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{
        "name": "runner", "env": [
            {"name": "ALERT_HTTP_URL", "value": "https://bot:hunter2@hooks.example/x"},
            {"name": "API_TOKEN", "value": "abc"},
            {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "db", "key": "url"}}},
            {"name": "TZ", "value": "UTC"},
        ]}]}}}}}}
    hide_secrets(cronjob)
    env = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [variable.get("value") for variable in env] == [
        "https://(hidden)@hooks.example/x", "(hidden)", None, "UTC"]
