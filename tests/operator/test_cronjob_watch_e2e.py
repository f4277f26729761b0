"""The real operator's own CronJob watch: hand edits and deletes repaired through it (the
periodic sync an hour away), a restart without an ADDED event per CronJob (the uids for
Events learnt from the full sync instead), an expired watch answered by a full sync, a closed
stream resumed."""

from __future__ import annotations

from typing import Any

import kmock

from alert_core.cronjob import cronjob_name
from tests.operator.conftest import EVENTS, Database, Emulator, wait_for

HOUR = 3600.0


def repaired(emulator: Emulator, name: str) -> None:
    """Delete the CronJob by hand, wait until it is back; then edit it, wait until repaired."""
    assert emulator.delete_cronjob(name) == 200
    wait_for(lambda: name in emulator.cronjobs(), timeout=10, what=f"{name} recreated")
    assert emulator.patch_cronjob(name, {"spec": {"concurrencyPolicy": "Allow"}}) == 200
    wait_for(lambda: emulator.cronjobs()[name]["spec"]["concurrencyPolicy"] == "Forbid",
             timeout=10, what=f"{name} repaired")


def test_a_restart_over_existing_cronjobs_handles_no_added_event(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    alerts = [db.add_alert(f"alert-{i}") for i in range(5)]
    first = operator_factory(resync_interval_seconds=HOUR)
    first.wait_synced()
    wait_for(lambda: len(emulator.cronjobs()) == 5)
    first.stop()
    added = emulator.sent("ADDED")  # the first run's five creates
    watches = len(emulator.cronjob_requests(kmock.action.WATCH))

    second = operator_factory(resync_interval_seconds=HOUR)
    second.wait_synced()
    wait_for(emulator.watching, what="the watch")
    repaired(emulator, cronjob_name(alerts[0]))
    assert emulator.sent("ADDED") == added + 1  # only the re-creation, none per CronJob
    after_restart = emulator.cronjob_requests(kmock.action.WATCH)[watches:]
    assert after_restart and all(params["resourceVersion"] not in ("", "0")
                                 for params in after_restart)
    assert second.state.full_syncs == 1  # repaired by the watch, not by a periodic sync
    second.stop()


def test_an_expired_watch_is_answered_by_a_full_sync_and_goes_on(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    alert = db.add_alert("a")
    operator = operator_factory(resync_interval_seconds=HOUR)
    operator.wait_synced()
    wait_for(emulator.watching, what="the watch")
    lists = len(emulator.cronjob_requests(kmock.action.LIST))
    emulator.expire_watches()
    operator.wait_synced(2)  # the re-list
    versions = [p for p in emulator.cronjob_requests(kmock.action.LIST)[lists:]
                if p.get("limit") == "1"]
    assert len(versions) == 1  # a fresh version, once
    repaired(emulator, cronjob_name(alert))
    assert operator.state.full_syncs == 2
    operator.stop()


def test_a_stream_the_server_ends_is_resumed_and_nothing_is_lost(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    alert = db.add_alert("a")
    name = cronjob_name(alert)
    operator = operator_factory(resync_interval_seconds=HOUR)
    operator.wait_synced()
    wait_for(lambda: name in emulator.cronjobs() and emulator.watching())
    last = emulator.cronjobs()[name]["metadata"]["resourceVersion"]
    emulator.fail_next("WATCH", 503)
    emulator.close_watches()
    assert emulator.delete_cronjob(name) == 200  # while the watch is down or resuming
    wait_for(lambda: name in emulator.cronjobs(), timeout=10, what="recreated")
    resumed = emulator.cronjob_requests(kmock.action.WATCH)[1:]
    assert resumed and all(params["resourceVersion"] == last for params in resumed)
    assert operator.state.full_syncs == 1
    operator.stop()


def test_after_a_restart_events_about_unchanged_cronjobs_carry_their_uid(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    alert = db.add_alert("a")
    name = cronjob_name(alert)
    first = operator_factory(resync_interval_seconds=HOUR)
    first.wait_synced()
    wait_for(lambda: name in emulator.cronjobs())
    first.stop()
    db.execute("UPDATE app.alerts SET frequency = '{\"type\": \"fortnightly\"}' WHERE id = $1",
               alert)
    second = operator_factory(resync_interval_seconds=HOUR)
    second.wait_synced()

    def invalid() -> list[dict[str, Any]]:
        return [e for e in emulator.objects(EVENTS).values() if e.get("reason") == "InvalidAlert"]

    event, = wait_for(invalid, what="the InvalidAlert Event")
    # kubectl describe matches Events by uid too: learnt from the sync's list, not an ADDED.
    assert event["involvedObject"]["name"] == name
    assert event["involvedObject"]["uid"] == emulator.cronjobs()[name]["metadata"]["uid"]
    second.stop()
