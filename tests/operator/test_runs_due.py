"""alert_operator_runs_due: runs due per 10-minute slot of the next six hours."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from alert_operator.runs_due import (
    HORIZON_MINUTES,
    SLOT_MINUTES,
    FireTimes,
    RunsDueCollector,
    runs_due,
)
from alert_operator.state import AlertState, CronJobState

NOW = datetime(2024, 5, 1, 8, 55, tzinfo=UTC)


def alert(schedule: str | None, timezone: str | None = "UTC", *, suspended: bool = False,
          cronjob: CronJobState = "in sync") -> AlertState:
    return AlertState(uuid.uuid4(), "a", schedule, timezone, suspended, cronjob)


def test_counts_each_run_in_its_slot() -> None:
    alerts = [
        *(alert("0 9 * * *") for _ in range(3)),  # 09:00 UTC: slot 0, three alerts
        alert("*/5 * * * *"),  # 09:00, 09:05, ... 14:50: 71 runs before 14:55
        alert("0 9 * * *", "Europe/Paris"),  # 07:00 UTC: tomorrow, beyond the horizon
        alert("0 9 * * *", suspended=True),
        alert(None, None, cronjob="invalid"),
        alert("not a cron"),
        alert("0 9 * * *", "Mars/Olympus_Mons"),
    ]
    slots = runs_due(alerts, NOW)
    assert len(slots) == HORIZON_MINUTES // SLOT_MINUTES == 36
    assert slots[0] == 3 + 1
    assert slots[1:] == [2] * 35  # two five-minute runs in every other 10-minute slot
    assert sum(slots) == 3 + 71


def test_collector_exposes_every_slot() -> None:
    collector = RunsDueCollector()
    [empty] = collector.collect()
    assert {s.value for s in empty.samples} == {0}
    collector.watch(lambda: [alert("* * * * *")])
    collector.slots(wait=True)  # computed in a thread: a scrape never waits for it
    [family] = collector.collect()
    by_slot = {s.labels["minutes_ahead"]: s.value for s in family.samples}
    assert list(by_slot) == [str(minutes) for minutes in range(0, 360, 10)]
    assert by_slot["10"] == 10  # every minute: ten runs in a full slot
    # Every minute boundary strictly after now and before the horizon's end.
    assert sum(by_slot.values()) in (HORIZON_MINUTES - 1, HORIZON_MINUTES)


def test_fire_times_moving_forward_match_a_fresh_computation() -> None:
    alerts = [alert("*/7 * * * *"), alert("0 9 * * *"), alert("30 2 * * 1", "Asia/Tokyo"),
              alert("15 10 * * *", "America/New_York")]
    kept = FireTimes()
    for minutes in (0, 3, 61, 200, 361, 1500):
        now = NOW + timedelta(minutes=minutes, seconds=17)
        assert runs_due(alerts, now, kept) == runs_due(alerts, now), minutes
    # Going back in time (a clock set back) is computed afresh, not from the later window.
    assert runs_due(alerts, NOW, kept) == runs_due(alerts, NOW)
