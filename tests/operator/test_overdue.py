"""alert_operator_alert_overdue_seconds: alerts whose scheduled runs stopped happening."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alert_operator.overdue import NAME, OverdueCollector, overdue
from alert_operator.state import AlertState

HOURLY = AlertState(uuid.uuid4(), "hourly", "0 * * * *", "UTC", False, "in sync")
GRACE = timedelta(minutes=15)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, 1, hour, minute, tzinfo=UTC)


def test_two_missed_runs_make_an_alert_overdue() -> None:
    since = {HOURLY.id: at(10, 30)}
    assert overdue([HOURLY], since, GRACE, at(11, 20)) == {}  # 11:00 missed: one run only
    assert overdue([HOURLY], since, GRACE, at(12, 10)) == {}  # 12:00 may still be running
    # 11:00 and 12:00 missed: overdue since 11:00 plus the grace.
    assert overdue([HOURLY], since, GRACE, at(12, 20)) == {HOURLY.id: 65 * 60.0}
    assert overdue([HOURLY], {}, GRACE, at(12, 20)) == {}  # not judged without a start
    broken = replace(HOURLY, schedule="not a cron")
    assert overdue([broken], since, GRACE, at(23)) == {}


def test_collector_follows_good_runs_and_schedule_changes() -> None:
    now = [at(8)]
    alerts = [HOURLY, replace(HOURLY, id=uuid.uuid4(), suspended=True)]
    collector = OverdueCollector(clock=lambda: now[0], max_age_seconds=0)

    def shown() -> dict[str, float]:
        collector.overdue_alerts(wait=True)  # computed in a thread: a scrape never waits
        [family] = collector.collect()
        assert family.name == NAME
        return {sample.labels["alert_id"]: sample.value for sample in family.samples}

    assert shown() == {}  # not watching: nothing is scheduled (dry-run)
    collector.watch(lambda: alerts, GRACE)
    assert shown() == {}  # first seen at 08:00
    now[0] = at(10, 10)
    collector.ran(HOURLY.id, at(10, 5))
    collector.ran(HOURLY.id, at(9, 5))  # an older run reported later changes nothing
    assert shown() == {}  # 09:00 and 10:00 missed since 08:00, but 10:05 was a good run
    now[0] = at(12, 20)
    assert shown() == {str(HOURLY.id): 65 * 60.0}  # 11:00 and 12:00 missed since 10:05
    alerts[0] = replace(HOURLY, schedule="30 * * * *")  # a new schedule starts afresh
    assert shown() == {}
    now[0] = at(14, 50)
    assert shown() == {str(HOURLY.id): (14 * 60 + 50 - (12 * 60 + 30) - 15) * 60.0}
    collector.stop_watching()
    assert shown() == {}
