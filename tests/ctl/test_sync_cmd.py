"""alertctl sync: the operator's reconciler against the Kubernetes API emulator; pauses hold."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import jsonschema

from alert_core.cronjob import cronjob_name
from alert_core.settings import Settings
from alert_ctl.cluster import connect
from alert_ctl.schemas import SYNC
from alert_operator.reconciler import Reconciler
from alert_operator.source import PostgresAlertSource
from alert_operator.state import OperatorState
from tests.ctl.conftest import DEAD_DATABASE_URL, NAMESPACE, Database, Emulator, Result

BAD = {"type": "daily", "time": "25:00"}


def test_sync_creates_and_reports_per_alert(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    good, bad = db.add_alert("good"), db.add_alert("bad", BAD)
    result = alertctl("sync", "-o", "json", "-n", NAMESPACE, "--database-url", database_url)
    assert result.exit_code == 0, result.stderr
    document = result.json()
    jsonschema.validate(document, SYNC)
    assert document["ok"] is True and document["dry_run"] is False
    assert document["counts"] == {"create": 1, "update": 0, "recreate": 0, "suspend": 0,
                                  "delete": 0, "skipped_invalid": 1}
    assert document["actions"] == [{
        "cronjob": cronjob_name(good), "alert_id": str(good), "action": "create",
        "reason": "no CronJob yet", "result": "applied", "error": None}]
    assert document["invalid"][0]["alert_id"] == str(bad)
    assert "time" in document["invalid"][0]["problem"]
    assert set(emulator.cronjobs()) == {cronjob_name(good)}

    again = alertctl("sync", "-n", NAMESPACE, "--database-url", database_url)
    assert again.exit_code == 0
    assert "skipped-invalid" in again.stdout
    assert again.stdout.strip().endswith("(2 alerts, 1 managed CronJobs)")
    assert "skipped_invalid 1" in again.stdout and "create" not in again.stdout


def test_dry_run_writes_nothing(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    alert = db.add_alert("good")
    before = len(emulator.requests())
    result = alertctl("sync", "--dry-run", "-n", NAMESPACE, "--database-url", database_url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].split() == [
        cronjob_name(alert), "create", "planned", "no", "CronJob", "yet"]
    assert "dry run, would do: create 1" in result.stdout
    assert emulator.writes(before) == []
    assert emulator.cronjobs() == {}


def _suspended(emulator: Emulator, alert: uuid.UUID) -> bool:
    return bool(emulator.cronjobs()[cronjob_name(alert)]["spec"]["suspend"])


def test_pause_survives_resyncs_and_operator_restarts(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    paused, running = db.add_alert("paused"), db.add_alert("running")
    common = ("-n", NAMESPACE, "--database-url", database_url)
    assert alertctl("sync", *common).exit_code == 0
    assert not _suspended(emulator, paused)

    assert alertctl("pause", str(paused), "--reason", "test", *common).exit_code == 0
    first = alertctl("sync", "-o", "json", *common).json()
    assert [(a["action"], a["alert_id"]) for a in first["actions"]] == [("suspend", str(paused))]
    assert _suspended(emulator, paused) and not _suspended(emulator, running)

    # Fresh Reconciler instances (= operator restarts), each a full sync: the pause holds and
    # nothing is written at all.
    settings = Settings(database_url=database_url, namespace=NAMESPACE)

    async def restart_and_sync() -> dict[str, int]:
        source = PostgresAlertSource(settings)
        try:
            async with connect() as api:
                result = await Reconciler(settings, source, api, OperatorState()).full_sync()
        finally:
            await source.close()
        assert result.ok, result
        return result.actions

    for _ in range(2):
        before = len(emulator.requests())
        assert sum(asyncio.run(restart_and_sync()).values()) == 0
        assert emulator.writes(before) == []
        assert _suspended(emulator, paused) and not _suspended(emulator, running)

    # A CronJob un-suspended by hand is suspended again by the next sync.
    assert emulator.patch_cronjob(cronjob_name(paused), {"spec": {"suspend": False}}) == 200
    assert sum(asyncio.run(restart_and_sync()).values()) == 1
    assert _suspended(emulator, paused)

    # The global switch suspends all; lifting it brings back each alert's own state.
    assert alertctl("pause", "--all", *common).exit_code == 0
    assert alertctl("sync", *common).exit_code == 0
    assert _suspended(emulator, running)
    assert alertctl("resume", "--all", *common).exit_code == 0
    assert alertctl("sync", *common).exit_code == 0
    assert not _suspended(emulator, running) and _suspended(emulator, paused)
    assert alertctl("resume", str(paused), *common).exit_code == 0
    assert alertctl("sync", *common).exit_code == 0
    assert not _suspended(emulator, paused)


def test_sync_errors(
    alertctl: Callable[..., Result], db: Database, database_url: str, tmp_path: Path
) -> None:
    db.add_alert()
    no_cluster = alertctl("sync", "--database-url", database_url)
    assert no_cluster.exit_code == 1
    assert no_cluster.stderr.strip().startswith("error: no cluster: not in a pod")
    assert len(no_cluster.stderr.strip().splitlines()) == 1

    dead = tmp_path / "dead.json"
    dead.write_text(
        '{"current-context": "x", "contexts": [{"name": "x", "context": {"cluster": "x",'
        ' "user": "x"}}], "clusters": [{"name": "x", "cluster": {"server": "http://127.0.0.1:9"}}],'
        ' "users": [{"name": "x", "user": {}}]}'
    )
    unreachable = alertctl("sync", "--database-url", database_url, env={"KUBECONFIG": str(dead)})
    assert unreachable.exit_code == 1
    assert unreachable.stderr.startswith("error: cluster unreachable")
    assert len(unreachable.stderr.strip().splitlines()) == 1

    missing = alertctl("sync")
    assert missing.exit_code == 2 and "DATABASE_URL: not set" in missing.stderr


def test_sync_without_database_changes_nothing(
    alertctl: Callable[..., Result], emulator: Emulator, kubeconfig: Path
) -> None:
    before = len(emulator.requests())
    result = alertctl("sync", "-n", NAMESPACE, "--database-url", DEAD_DATABASE_URL)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: sync aborted, nothing changed: database")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "secret-password" not in result.stderr
    assert emulator.writes(before) == []


def test_mass_delete_is_held_back_unless_confirmed(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    common = ("-n", NAMESPACE, "--database-url", database_url)
    env = {"ALERT_MASS_DELETE_MIN": "1"}
    for index in range(3):
        db.add_alert(f"a{index}")
    assert alertctl("sync", *common, env=env).exit_code == 0
    db.execute("DELETE FROM app.alerts")
    held = alertctl("sync", "-o", "json", *common, env=env)
    assert held.exit_code == 1
    document = held.json()
    jsonschema.validate(document, SYNC)
    assert document["ok"] is False and "mass-delete protection" in document["blocked_deletes"]
    assert len(document["held_deletes"]) == 3 and len(emulator.cronjobs()) == 3

    confirmed = alertctl("sync", "--confirm-mass-delete", "-o", "json", *common, env=env)
    assert confirmed.exit_code == 0, confirmed.stderr
    assert confirmed.json()["counts"]["delete"] == 3
    assert emulator.cronjobs() == {}
