"""End to end: the real operator (kopf) against the emulator and a real PostgreSQL."""

from __future__ import annotations

from alert_core.cronjob import HASH_ANNOTATION, cronjob_name
from tests.operator.conftest import Database, Emulator, wait_for


def test_create_then_update_schedule(emulator: Emulator, db: Database, operator_factory) -> None:
    first = db.add_alert("first", {"type": "daily", "time": "09:00", "timezone": "UTC"})
    op = operator_factory()
    op.wait_synced()
    name = cronjob_name(first)
    cronjob = wait_for(lambda: emulator.cronjobs().get(name), what="created")
    assert cronjob["spec"]["schedule"] == "0 9 * * *"
    db.execute("UPDATE app.alerts SET frequency = '{\"type\": \"daily\", \"time\": \"08:30\"}'"
               " WHERE id = $1", first)
    wait_for(lambda: emulator.cronjobs()[name]["spec"]["schedule"] == "30 8 * * *",
             what="schedule updated")
    assert HASH_ANNOTATION in emulator.cronjobs()[name]["metadata"]["annotations"]
