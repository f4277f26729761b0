"""One definition of "last run": /status, alertctl status and history name the same run.

The newest run is the one of the latest moment (scheduled time, else start, else row creation),
not the row inserted last: a manual run started before a scheduled one may be recorded after it
(the Job watcher writes rows of Jobs that failed before their runner could).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from alert_core.db.engine import make_engine
from alert_core.db.history import alert_history, last_runs
from alert_core.settings import Settings
from alert_operator.state import AlertState, OperatorState
from alert_operator.status import StatusServer

INSERT = (
    "INSERT INTO alert_operator.alert_runs (alert_id, job_name, trigger, scheduled_for, status,"
    " attempts, started_at, created_at) VALUES ($1, $2, $3, $4, 'succeeded', 1, $5, $6)"
)


async def test_status_and_alertctl_agree_on_the_last_run(
    settings: Settings, database_url: str
) -> None:
    alert = AlertState(uuid.uuid4(), "a", "0 9 * * *", "UTC", False, "in sync")
    day = datetime(2026, 1, 1, tzinfo=UTC)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(INSERT, alert.id, "alert-a-scheduled", "schedule", day + timedelta(1),
                           day + timedelta(1), day)
        # Recorded later, but it ran earlier: not the last run.
        await conn.execute(INSERT, alert.id, "alert-a-manual", "manual", None,
                           day + timedelta(hours=12), day + timedelta(2))
    finally:
        await conn.close()

    engine = make_engine(settings)
    client: TestClient[Any, Any] = TestClient(TestServer(StatusServer(
        settings, OperatorState(alerts={alert.id: alert}), lambda: engine).app()))
    await client.start_server()
    try:
        body = await (await client.get("/status")).json()
        async with engine.connect() as db:
            for_alertctl_status = await last_runs(db, settings, [alert.id])
            for_history = await alert_history(db, settings, alert.id, limit=1)
    finally:
        await client.close()
        await engine.dispose()
    [entry] = body["alerts"]
    assert entry["last_run"]["job_name"] == "alert-a-scheduled"
    assert for_alertctl_status[alert.id].job_name == "alert-a-scheduled"
    assert [run.job_name for run in for_history] == ["alert-a-scheduled"]
