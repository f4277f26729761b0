"""End to end: the mass-delete guard on each way a table can empty (the real operator, the
emulator over HTTP, a real PostgreSQL). One-by-one deletes: test_reconcile_e2e.py; every path
against fakes, with counts: test_reconciler_rules.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.operator.conftest import Database, Emulator, wait_for

DAILY = {"type": "daily", "time": "09:00", "timezone": "UTC"}
COUNT = 8  # mass_delete_min is 3 here


def _deletes(emulator: Emulator, since: int) -> list[tuple[str, str]]:
    return [write for write in emulator.writes(since) if write[0] == "DELETE"]


@pytest.mark.parametrize("how", ["truncate", "drop and re-create", "batches"])
def test_an_emptied_table_deletes_at_most_the_bound(
    emulator: Emulator, db: Database, operator_factory: Any, how: str
) -> None:
    alerts = [db.add_alert(f"a{i}", DAILY) for i in range(COUNT)]
    op = operator_factory(resync_interval_seconds=1)
    wait_for(lambda: len(emulator.cronjobs()) == COUNT, what=f"{COUNT} CronJobs")
    since = len(emulator.requests())
    if how == "truncate":
        db.execute("TRUNCATE app.alerts")
    elif how == "drop and re-create":
        db.execute("CREATE TABLE app.alerts_copy (LIKE app.alerts INCLUDING ALL)")
        db.execute("DROP TABLE app.alerts")
        wait_for(lambda: (op.state.last_sync_error or "").startswith("database:"),
                 what="a sync failing on the missing table")
        db.execute("ALTER TABLE app.alerts_copy RENAME TO alerts")
    else:  # two statements, the second before the deletion is judged over
        db.execute("DELETE FROM app.alerts WHERE id = ANY($1::uuid[])", alerts[:2])
        wait_for(lambda: len(_deletes(emulator, since)) == 2, what="the first batch")
        db.execute("DELETE FROM app.alerts")
    wait_for(lambda: op.state.mass_delete_blocked, what="mass-delete protection")
    assert len(_deletes(emulator, since)) <= 3
    assert f"of {COUNT} managed CronJobs" in (op.state.mass_delete_blocked or "")
    op.stop()
