"""End to end: the real operator's JSON log lines carry the alert's keys (README, "Logs")."""

from __future__ import annotations

import uuid
from typing import Any

from alert_core.cronjob import cronjob_name
from tests.operator.conftest import Database, Emulator, wait_for
from tests.operator.log_capture import Lines

DAILY = {"type": "daily", "time": "09:00", "timezone": "UTC"}


def client_of(db: Database, alert_id: uuid.UUID) -> str:
    [row] = db.execute("SELECT client_id FROM app.alerts WHERE id = $1", alert_id)
    return str(row["client_id"])


def test_lines_of_create_update_delete_and_invalid_carry_the_alert_keys(
    emulator: Emulator, db: Database, operator_factory: Any, json_lines: Lines
) -> None:
    alert = db.add_alert("digest", DAILY)
    broken = db.add_alert("broken", {"type": "daily", "time": "25:00"})
    client, broken_client = client_of(db, alert), client_of(db, broken)
    operator_factory().wait_synced()

    [created] = wait_for(lambda: json_lines.about(alert, action="create"), what="create line")
    assert (created["client_id"], created["cronjob"]) == (client, cronjob_name(alert))
    assert created["reason"] and created["level"] == "info"
    [full_sync] = [line for line in json_lines.all() if line["message"].startswith("full sync:")]
    assert created["sync_id"] == full_sync["sync_id"]  # the sync that did it

    [invalid] = json_lines.about(broken)
    assert (invalid["client_id"], invalid["cronjob"], invalid["level"]) == (
        broken_client, cronjob_name(broken), "warning")
    assert invalid["reason"].startswith("time:")

    db.execute("UPDATE app.alerts SET name = 'renamed' WHERE id = $1", alert)
    [updated] = wait_for(lambda: json_lines.about(alert, action="update"), what="update line")
    assert (updated["client_id"], updated["cronjob"]) == (client, cronjob_name(alert))
    assert updated["sync_id"] not in (None, created["sync_id"])  # a one-alert sync of its own

    db.execute("DELETE FROM app.alerts WHERE id = $1", alert)
    wait_for(lambda: cronjob_name(alert) not in emulator.cronjobs(), what="deleted")
    [deleted] = wait_for(lambda: json_lines.about(alert, action="delete"), what="delete line")
    # The row is gone, so the client id is not known: the key is there, null.
    assert "client_id" in deleted and deleted["client_id"] is None
    assert deleted["cronjob"] == cronjob_name(alert) and deleted["reason"]
    assert deleted["sync_id"] not in (created["sync_id"], updated["sync_id"])
