"""Writes counted at the test API server, not assumed: the real operator against a server that
drops empty values, fills defaults and canonicalises quantities (tests/apiserver)."""

from __future__ import annotations

import uuid
from typing import Any

from alert_core.cronjob import NAME_ANNOTATION, cronjob_name
from tests.operator.conftest import Database, Emulator, OperatorProcess, wait_for
from tests.operator.test_reconcile_e2e import DAILY, set_frequency

RESYNC = 1


def settle(emulator: Emulator, db: Database, operator_factory: Any,
           count: int = 4) -> tuple[OperatorProcess, list[uuid.UUID]]:
    alerts = [db.add_alert(f"a{i}", {**DAILY, "time": f"0{i}:15"}) for i in range(count)]
    db.add_alert("switched off", DAILY, active=False)
    op = operator_factory(resync_interval_seconds=RESYNC)
    op.wait_synced()
    wait_for(lambda: len(emulator.cronjobs()) == count, what=f"{count} CronJobs")
    return op, alerts


def versions(emulator: Emulator) -> dict[str, str]:
    return {name: obj["metadata"]["resourceVersion"] for name, obj in emulator.cronjobs().items()}


def full_syncs_later(op: OperatorProcess, count: int) -> None:
    op.wait_synced(op.state.full_syncs + count, timeout=30)


def test_three_full_syncs_of_settled_alerts_make_zero_writes(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    op, _ = settle(emulator, db, operator_factory)
    full_syncs_later(op, 1)  # the first sync's own watch events have been handled
    since, stored = len(emulator.requests()), versions(emulator)
    full_syncs_later(op, 3)
    assert emulator.writes(since) == []
    assert versions(emulator) == stored
    # Found in sync before: listed by metadata only, none read whole (snapshot._read_cluster).
    reads = [(path, metadata) for path, metadata in emulator.cronjob_reads(since)
             if path == emulator.cronjob_path()]
    assert len(reads) >= 3 and all(metadata for _, metadata in reads), reads
    assert [path for path, _ in emulator.cronjob_reads(since)
            if path.startswith(emulator.cronjob_path() + "/")] == []


def test_a_restart_makes_zero_writes(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    op, _ = settle(emulator, db, operator_factory)
    op.stop()
    since, stored = len(emulator.requests()), versions(emulator)
    restarted = operator_factory(resync_interval_seconds=RESYNC)
    restarted.wait_synced()
    full_syncs_later(restarted, 2)
    assert emulator.writes(since) == []
    assert versions(emulator) == stored


def test_one_change_makes_exactly_the_writes_its_action_needs(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    op, alerts = settle(emulator, db, operator_factory)
    full_syncs_later(op, 1)
    name = cronjob_name(alerts[0])

    since = len(emulator.requests())
    db.execute("UPDATE app.alerts SET name = 'renamed' WHERE id = $1", alerts[0])
    wait_for(lambda: emulator.cronjobs()[name]["metadata"]["annotations"][NAME_ANNOTATION]
             == "renamed", what="the rename applied")
    full_syncs_later(op, 2)
    assert emulator.writes(since) == [("PATCH", emulator.cronjob_path(name))]

    since = len(emulator.requests())
    set_frequency(db, alerts[1], {**DAILY, "time": "11:45"})
    wait_for(lambda: emulator.cronjobs().get(cronjob_name(alerts[1]), {})
             .get("spec", {}).get("schedule") == "45 11 * * *", what="the schedule changed")
    full_syncs_later(op, 2)
    path = emulator.cronjob_path(cronjob_name(alerts[1]))
    assert emulator.writes(since) == [("DELETE", path), ("POST", emulator.cronjob_path())]


def job_spec(emulator: Emulator, name: str) -> dict[str, Any]:
    return dict(emulator.cronjobs()[name]["spec"]["jobTemplate"]["spec"])


def test_a_managed_field_removed_or_changed_by_hand_is_repaired(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    op, alerts = settle(emulator, db, operator_factory, count=1)
    name = cronjob_name(alerts[0])
    wanted = job_spec(emulator, name)

    # Removed: the pod failure policy (null in a merge patch deletes it).
    assert emulator.patch_cronjob(name, {"spec": {"jobTemplate": {"spec": {
        "podFailurePolicy": None}}}}) == 200
    assert "podFailurePolicy" not in job_spec(emulator, name)
    wait_for(lambda: job_spec(emulator, name) == wanted, what="podFailurePolicy restored")

    # Changed: a resource limit (compared by amount, not ignored) and the root filesystem.
    container = wanted["template"]["spec"]["containers"][0]
    edited = {**container, "resources": {**container["resources"], "limits": {"cpu": "4"}},
              "securityContext": {**container["securityContext"],
                                  "readOnlyRootFilesystem": False}}
    assert emulator.patch_cronjob(name, {"spec": {"jobTemplate": {"spec": {"template": {
        "spec": {"containers": [edited]}}}}}}) == 200
    assert job_spec(emulator, name) != wanted
    wait_for(lambda: job_spec(emulator, name) == wanted, what="container restored")

    since = len(emulator.requests())
    full_syncs_later(op, 2)
    assert emulator.writes(since) == []
