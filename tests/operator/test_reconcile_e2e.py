"""End to end: the real operator (kopf's event loop and our handlers) against the Kubernetes
emulator over HTTP and a real PostgreSQL with the change-feed trigger."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from alert_core.cronjob import (
    ALERT_ID_LABEL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    NAME_ANNOTATION,
    cronjob_name,
)
from tests.operator.conftest import NAMESPACE, Database, Emulator, wait_for

DAILY = {"type": "daily", "time": "09:00", "timezone": "UTC"}


def set_frequency(db: Database, alert_id: uuid.UUID, frequency: Any) -> None:
    db.execute("UPDATE app.alerts SET frequency = $2::jsonb WHERE id = $1",
               alert_id, json.dumps(frequency))


def spec_of(emulator: Emulator, alert_id: uuid.UUID) -> dict[str, Any] | None:
    cronjob = emulator.cronjobs().get(cronjob_name(alert_id))
    return None if cronjob is None else dict(cronjob["spec"])


def test_create_and_update_schedule_timezone_name(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    alert = db.add_alert("digest", DAILY)
    operator_factory().wait_synced()
    name = cronjob_name(alert)
    spec = wait_for(lambda: spec_of(emulator, alert), what="CronJob created")
    assert (spec["schedule"], spec["timeZone"], spec["suspend"]) == ("0 9 * * *", "UTC", False)

    since = len(emulator.requests())
    set_frequency(db, alert, {**DAILY, "time": "08:30"})
    wait_for(lambda: (spec_of(emulator, alert) or {}).get("schedule") == "30 8 * * *",
             what="schedule changed")
    # A schedule change recreates (delete with Orphan, then create): see planner.RECREATE_WHY.
    writes = emulator.run(lambda: [
        (str(r.method.value).upper(), r.data) for r in list(emulator.handler)[since:]
        if str(r.method.value).upper() in {"DELETE", "POST", "PATCH"}
        and "/events" not in r.url.path
    ])
    assert [method for method, _ in writes][:2] == ["DELETE", "POST"]
    assert writes[0][1]["propagationPolicy"] == "Orphan"

    set_frequency(db, alert, {**DAILY, "time": "08:30", "timezone": "Asia/Tokyo"})
    wait_for(lambda: (spec_of(emulator, alert) or {}).get("timeZone") == "Asia/Tokyo",
             what="timezone changed")

    db.execute("UPDATE app.alerts SET name = 'renamed' WHERE id = $1", alert)
    wait_for(lambda: emulator.cronjobs()[name]["metadata"]["annotations"][NAME_ANNOTATION]
             == "renamed", what="name annotation updated")


def test_deactivate_suspends_reactivate_resumes_delete_removes(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    alert = db.add_alert("a", DAILY)
    other = db.add_alert("b", DAILY)
    operator_factory().wait_synced()
    wait_for(lambda: spec_of(emulator, alert), what="created")
    db.execute("UPDATE app.alerts SET is_active = false WHERE id = $1", alert)
    wait_for(lambda: (spec_of(emulator, alert) or {}).get("suspend") is True, what="suspended")
    db.execute("UPDATE app.alerts SET is_active = true WHERE id = $1", alert)
    wait_for(lambda: (spec_of(emulator, alert) or {}).get("suspend") is False, what="resumed")
    db.execute("DELETE FROM app.alerts WHERE id = $1", alert)
    wait_for(lambda: cronjob_name(alert) not in emulator.cronjobs(), what="deleted")
    assert cronjob_name(other) in emulator.cronjobs()


def _managed_cronjob(name: str, alert_id: uuid.UUID) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {
            MANAGED_BY_LABEL: MANAGED_BY, ALERT_ID_LABEL: str(alert_id)}},
        "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {}}},
    }


def test_orphans_deleted_foreign_untouched_hand_changes_repaired(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    keep = [db.add_alert(f"k{i}", DAILY) for i in range(3)]
    orphan = uuid.uuid4()
    assert emulator.create_cronjob(_managed_cronjob(cronjob_name(orphan), orphan)) == 200
    foreign = {"apiVersion": "batch/v1", "kind": "CronJob",
               "metadata": {"name": "someone-elses", "namespace": NAMESPACE},
               "spec": {"schedule": "* * * * *"}}
    assert emulator.create_cronjob(foreign) == 200
    foreign_stored = emulator.cronjobs()["someone-elses"]  # defaulted, with its resourceVersion
    operator_factory().wait_synced()
    wait_for(lambda: cronjob_name(orphan) not in emulator.cronjobs(), what="orphan deleted")
    assert emulator.cronjobs()["someone-elses"] == foreign_stored
    assert all(cronjob_name(a) in emulator.cronjobs() for a in keep)

    name = cronjob_name(keep[0])
    assert emulator.delete_cronjob(name) == 200
    wait_for(lambda: name in emulator.cronjobs(), what="hand-deleted CronJob restored")

    assert emulator.patch_cronjob(name, {"spec": {"schedule": "1 1 * * *", "suspend": True}}) == 200
    wait_for(lambda: (spec_of(emulator, keep[0]) or {}).get("schedule") == "0 9 * * *"
             and spec_of(emulator, keep[0])["suspend"] is False,  # type: ignore[index]
             what="hand-edited CronJob repaired")
    assert emulator.cronjobs()["someone-elses"] == foreign_stored
    assert not [w for w in emulator.writes() if "someone-elses" in w[1]]


def test_invalid_frequency_leaves_its_cronjob_and_others_go_on(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    bad = db.add_alert("bad", DAILY)
    op = operator_factory()
    op.wait_synced()
    before = wait_for(lambda: emulator.cronjobs().get(cronjob_name(bad)), what="created")
    set_frequency(db, bad, {"type": "daily", "time": "25:00"})
    good = db.add_alert("good", {"type": "hourly", "time": "00:15"})
    wait_for(lambda: spec_of(emulator, good), what="other alert created")
    wait_for(lambda: op.state.alerts.get(bad) and op.state.alerts[bad].cronjob == "invalid",
             what="invalid alert reported in the state")
    assert "time" in (op.state.alerts[bad].problem or "")
    assert emulator.cronjobs()[cronjob_name(bad)] == before


def test_api_errors_are_retried(emulator: Emulator, db: Database, operator_factory: Any) -> None:
    first = db.add_alert("first", DAILY)
    emulator.fail_next("post", 500)
    operator_factory().wait_synced()
    wait_for(lambda: spec_of(emulator, first), what="created despite a 500")
    emulator.fail_next("patch", 409, 500)
    db.execute("UPDATE app.alerts SET name = 'second name' WHERE id = $1", first)
    # Answered 409, 500, then 200: the third attempt is the one that succeeds.
    wait_for(lambda: len([w for w in emulator.writes() if w[0] == "PATCH"]) >= 3,
             what="the patch retried after 409 and 500")
    assert emulator.cronjobs()[cronjob_name(first)]["metadata"]["annotations"][
        NAME_ANNOTATION] == "second name"


def test_mass_delete_protection(emulator: Emulator, db: Database, operator_factory: Any) -> None:
    alerts = [db.add_alert(f"a{i}", DAILY) for i in range(8)]  # mass_delete_min is 3 here
    op = operator_factory(resync_interval_seconds=1)
    wait_for(lambda: len(emulator.cronjobs()) == 8, what="8 CronJobs")
    # Rows deleted one by one (a notification each): the first few go, then the bound holds
    # them for a full sync, which sees the whole picture and blocks.
    db.execute("DELETE FROM app.alerts")
    wait_for(lambda: op.state.mass_delete_blocked, what="mass-delete protection")
    deleted = [a for a in alerts if cronjob_name(a) not in emulator.cronjobs()]
    assert len(deleted) <= 4  # up to max_delete_fraction (50%) of 8 may go one by one
    op.stop()

    # A restart (or a wrong DATABASE_URL, or a truncated table) changes nothing.
    since = len(emulator.requests())
    restarted = operator_factory(resync_interval_seconds=1)
    restarted.wait_synced()
    assert restarted.state.mass_delete_blocked
    assert not [w for w in emulator.writes(since) if w[0] == "DELETE"]
    assert len(emulator.cronjobs()) == 8 - len(deleted)

    restarted.stop()
    confirmed = operator_factory(confirm_mass_delete=True)
    confirmed.wait_synced()
    wait_for(lambda: not emulator.cronjobs(), what="confirmed deletes")


def test_restart_with_nothing_to_do_makes_zero_writes(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    for i in range(4):
        db.add_alert(f"a{i}", {**DAILY, "time": f"0{i}:00"})
    db.add_alert("paused one", DAILY, active=False)
    first = operator_factory()
    first.wait_synced()
    wait_for(lambda: len(emulator.cronjobs()) == 4, what="4 CronJobs")
    first.stop()
    since = len(emulator.requests())
    second = operator_factory()
    second.wait_synced()
    # Let the watch's replay of every object (ADDED) reach the handlers.
    wait_for(lambda: any("watch=" in p or "/cronjobs" in p for _, p in emulator.requests()[since:]),
             what="the restarted operator's watch")
    time.sleep(1.0)
    assert emulator.writes(since) == []


def test_dry_run_writes_nothing(emulator: Emulator, db: Database, operator_factory: Any) -> None:
    db.add_alert("a", DAILY)
    orphan = uuid.uuid4()
    assert emulator.create_cronjob(_managed_cronjob(cronjob_name(orphan), orphan)) == 200
    since = len(emulator.requests())
    op = operator_factory(dry_run=True)
    op.wait_synced()
    db.add_alert("b", DAILY)
    wait_for(lambda: len(op.state.alerts) >= 2, what="second alert seen")
    assert emulator.writes(since) == []
    assert cronjob_name(orphan) in emulator.cronjobs()
