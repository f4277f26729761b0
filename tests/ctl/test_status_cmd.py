"""alertctl status: database columns always, cluster columns from the emulator when reachable."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from alert_core.alert import validate_alert
from alert_core.cronjob import cronjob_name, desired_cronjob
from alert_core.db.alerts import AlertRow
from alert_core.settings import Settings
from alert_core.spread import spread_offset
from alert_ctl.schemas import STATUS
from alert_ctl.status_cmd import Snapshot, alert_document
from tests.ctl.conftest import DEAD_DATABASE_URL, NAMESPACE, Database, Emulator, Result, add_run

PARIS_9AM = {"type": "daily", "time": "09:00", "timezone": "Europe/Paris"}
BAD = {"type": "daily", "time": "25:00"}


def by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {alert["name"]: alert for alert in document["alerts"]}


def test_status_with_cluster(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    synced = db.add_alert("synced", PARIS_9AM)
    drifted = db.add_alert("drifted")
    missing = db.add_alert("missing")
    paused = db.add_alert("paused")
    inactive = db.add_alert("inactive", active=False)
    db.add_alert("invalid", BAD)
    common = ("-n", NAMESPACE, "--database-url", database_url)
    assert alertctl("sync", *common).exit_code == 0
    assert emulator.delete_cronjob(cronjob_name(missing)) == 200
    assert emulator.patch_cronjob(cronjob_name(drifted), {"spec": {"suspend": True}}) == 200
    assert alertctl("pause", str(paused), "--reason", "noisy", "--by", "carol",
                    *common).exit_code == 0
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    add_run(db, synced, "job-1", scheduled_for=start, started_at=start,
            finished_at=start + timedelta(seconds=4), status="failed", error="boom")

    result = alertctl("status", "-o", "json", *common)
    assert result.exit_code == 0, result.stderr
    document = result.json()
    jsonschema.validate(document, STATUS)
    assert document["cluster"] == {"reachable": True, "error": None}
    assert document["namespace"] == NAMESPACE
    alerts = by_name(document)
    assert {name: alert["cronjob"]["state"] for name, alert in alerts.items()} == {
        "synced": "in sync", "drifted": "drifted", "missing": "missing",
        "paused": "drifted",  # paused after the sync: the next sync suspends it
        "inactive": "missing", "invalid": "invalid",
    }
    assert alerts["inactive"]["cronjob"]["reason"] == "none needed while inactive"
    assert alerts["invalid"]["cronjob"]["reason"] == alerts["invalid"]["problem"]
    assert "time" in alerts["invalid"]["problem"] and alerts["invalid"]["schedule"] is None
    assert alerts["missing"]["cronjob"]["exists"] is False
    assert alerts["drifted"]["cronjob"]["suspended"] is True

    first = alerts["synced"]
    assert first["schedule"] == {"cron": "0 9 * * *", "timezone": "Europe/Paris",
                                 "description": "At 09:00"}
    assert first["state"] == "active"
    next_run = datetime.fromisoformat(first["next_run"])
    assert next_run.utcoffset() in (timedelta(hours=1), timedelta(hours=2))  # Paris time
    assert (next_run.hour, next_run.minute) == (9, 0)
    assert next_run > datetime.now(UTC)
    assert first["last_run"] == {
        "job_name": "job-1", "trigger": "schedule", "scheduled_for": start.isoformat(),
        "status": "failed", "started_at": start.isoformat(),
        "finished_at": (start + timedelta(seconds=4)).isoformat(), "duration_seconds": 4.0,
        "error": "boom",
    }
    assert alerts["paused"]["state"] == "paused" and alerts["paused"]["next_run"] is None
    assert alerts["paused"]["pause"]["paused_by"] == "carol"
    assert alerts["paused"]["pause"]["reason"] == "noisy"
    assert alerts["inactive"]["state"] == "suspended" and alerts["inactive"]["next_run"] is None
    assert alerts["paused"]["id"] == str(paused) and alerts["inactive"]["id"] == str(inactive)

    # After a sync everything (but the invalid alert) is in sync.
    assert alertctl("sync", *common).exit_code == 0
    after = by_name(alertctl("status", "-o", "json", *common).json())
    assert {a["cronjob"]["state"] for n, a in after.items()
            if n not in ("invalid", "inactive")} == {"in sync"}

    as_yaml = yaml.safe_load(alertctl("status", "-o", "yaml", *common).stdout)
    jsonschema.validate(as_yaml, STATUS)


def test_status_filters_and_orphans(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    common = ("-n", NAMESPACE, "--database-url", database_url)
    keep, gone = db.add_alert("keep"), db.add_alert("gone")
    assert alertctl("sync", *common).exit_code == 0
    db.execute("DELETE FROM app.alerts WHERE id = $1", gone)
    document = alertctl("status", "-o", "json", *common).json()
    assert document["orphans"] == [cronjob_name(gone)]

    only = alertctl("status", "--alert", str(keep), "-o", "json", *common).json()
    assert [a["id"] for a in only["alerts"]] == [str(keep)] and only["orphans"] == []
    client = db.execute("SELECT client_id FROM app.alerts WHERE id = $1", keep)[0]["client_id"]
    by_client = alertctl("status", "--client", str(client), "-o", "json", *common).json()
    assert [a["id"] for a in by_client["alerts"]] == [str(keep)]
    nobody = alertctl("status", "--client", str(uuid.uuid4()), "-o", "json", *common).json()
    assert nobody["alerts"] == []


def test_status_table_in_a_pipe(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    alert = db.add_alert("digest", PARIS_9AM)
    common = ("-n", NAMESPACE, "--database-url", database_url)
    assert alertctl("sync", *common).exit_code == 0
    result = alertctl("status", *common)
    assert result.exit_code == 0
    header, row = result.stdout.splitlines()
    assert header.split()[:3] == ["NAME", "ID", "SCHEDULE"]
    assert row.split()[1] == str(alert)[:8]  # a short id; -o wide shows it whole
    assert "0 9 * * * Europe/Paris (At 09:00)" in row
    assert row.rstrip().endswith("in sync") and "never" in row
    assert "\x1b[" not in result.stdout and result.stderr == ""


def test_status_without_cluster_shows_database_columns(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    db.add_alert("digest", PARIS_9AM)
    db.add_alert("invalid", BAD)
    result = alertctl("status", "-o", "json", "--database-url", database_url)
    assert result.exit_code == 0
    document = result.json()
    jsonschema.validate(document, STATUS)
    assert document["cluster"]["reachable"] is False
    assert document["cluster"]["error"].startswith("no cluster")
    alerts = by_name(document)
    assert alerts["digest"]["cronjob"] == {"name": cronjob_name(alerts["digest"]["id"]),
                                           "state": None, "reason": None, "exists": None,
                                           "suspended": None}
    assert alerts["digest"]["next_run"] is not None
    assert alerts["invalid"]["cronjob"]["state"] == "invalid"  # known from the database alone
    assert "cluster columns missing" in result.stderr

    table = alertctl("status", "--database-url", database_url)
    assert table.exit_code == 0
    assert "note: cluster columns missing (CRONJOB shows '?'): no cluster" in table.stderr
    assert "digest" in table.stdout


def test_status_global_pause(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    db.add_alert("digest")
    assert alertctl("pause", "--all", "--by", "dave", "--reason", "freeze",
                    "--database-url", database_url).exit_code == 0
    document = alertctl("status", "-o", "json", "--database-url", database_url).json()
    assert document["global_pause"]["paused_by"] == "dave"
    assert document["global_pause"]["global"] is True
    assert by_name(document)["digest"]["state"] == "paused"
    assert by_name(document)["digest"]["pause"]["global"] is True
    table = alertctl("status", "--database-url", database_url)
    assert "ALL alerts are paused (by dave, freeze)" in table.stderr


def test_status_errors(alertctl: Callable[..., Result], database_url: str) -> None:
    unknown = uuid.uuid4()
    result = alertctl("status", "--alert", str(unknown), "--database-url", database_url)
    assert (result.exit_code, result.stderr.strip()) == (1, f"error: unknown alert: {unknown}")
    malformed = alertctl("status", "--client", "xyz", "--database-url", database_url)
    assert (malformed.exit_code, malformed.stderr.strip()) == (
        2, "error: client id 'xyz': not a UUID")
    wrong_alert = alertctl("status", "--alert", "nope", "--database-url", database_url)
    assert wrong_alert.stderr.strip() == "error: alert id 'nope': not a UUID or a prefix of one"
    dead = alertctl("status", "--database-url", DEAD_DATABASE_URL)
    assert dead.exit_code == 1 and dead.stderr.startswith("error: database unreachable")
    assert "secret-password" not in dead.stderr
    assert alertctl("status").exit_code == 2
    bad_output = alertctl("status", "-o", "xml", "--database-url", database_url)
    assert bad_output.exit_code == 2



def test_status_shows_the_spread_schedule_the_cronjob_really_has() -> None:
    spread = Settings(schedule_spread_minutes=30)
    # An id whose offset in the 30-minute window is not 0, so the two schedules differ.
    alert_id = next(candidate for candidate in (uuid.uuid4() for _ in range(100))
                    if spread_offset(candidate, 0, 30) != 0)
    row = AlertRow(alert_id, uuid.uuid4(), "spread",
                   {"type": "daily", "time": "09:00", "timezone": "UTC"}, True)
    document = alert_document(row, Snapshot([row], {}, {}), datetime(2026, 1, 1, tzinfo=UTC),
                              spread.schedule_spread_minutes)
    expected = desired_cronjob(validate_alert(row), spread)["spec"]["schedule"]
    assert expected != "0 9 * * *"
    assert document["schedule"]["cron"] == expected
    assert document["next_run"] == f"2026-01-01T09:{expected.split()[0]:0>2}:00+00:00"


def test_a_multi_host_url_connects_to_the_first_host_that_answers(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    db.add_alert("digest", PARIS_9AM)
    user_at, _, rest = database_url.partition("@")
    # Port 9 refuses at once; asyncpg, like libpq, then tries the next host of the list.
    both = f"{user_at}@127.0.0.1:9,{rest}"
    result = alertctl("status", "-o", "json", "--database-url", both)
    assert result.exit_code == 0, result.stderr
    assert [alert["name"] for alert in result.json()["alerts"]] == ["digest"]
