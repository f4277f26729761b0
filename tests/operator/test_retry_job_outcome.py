"""The Job watcher records a retry Job's outcome on the run it retried (real PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from alert_core.db.engine import make_engine
from alert_core.settings import Settings
from alert_operator.jobs import JobOutcomeRecorder
from alert_operator.retry_job import RETRY_OF_ANNOTATION
from tests.operator.test_jobs import CRONJOB, SCHEDULED_JOB, add_run, job, runs

RETRY_JOB = f"{CRONJOB}-retry-abcde"


def retry_job() -> dict[str, Any]:
    body = job(RETRY_JOB, reason="DeadlineExceeded", message="Job was active longer than allowed")
    body["metadata"]["annotations"] = {RETRY_OF_ANNOTATION: SCHEDULED_JOB}
    return body


@asynccontextmanager
async def reserved_run(database_url: str, retry_job_name: str) -> AsyncIterator[asyncpg.Connection]:
    """A run left ``running`` (its pod was killed), reserved for ``retry_job_name``."""
    conn = await asyncpg.connect(database_url)
    try:
        await add_run(conn, "running", attempts=2)
        await conn.execute("UPDATE alert_operator.alert_runs SET retry_job_name = $1,"
                           " retry_requested_at = now()", retry_job_name)
        yield conn
    finally:
        await conn.close()


async def _handle(settings: Settings, body: dict[str, Any]) -> None:
    engine = make_engine(settings)
    try:
        await JobOutcomeRecorder(lambda: engine, settings, None).handle(body)
    finally:
        await engine.dispose()


async def test_a_failed_retry_job_fails_the_retried_run_not_a_row_of_its_own(
    settings: Settings, database_url: str
) -> None:
    async with reserved_run(database_url, RETRY_JOB) as db:
        await _handle(settings, retry_job())

        [row] = await runs(db)
    assert (row["job_name"], row["status"]) == (SCHEDULED_JOB, "failed")
    assert row["error"] == "DeadlineExceeded: Job was active longer than allowed"


async def test_a_superseded_retry_job_records_nothing(
    settings: Settings, database_url: str
) -> None:
    async with reserved_run(database_url, f"{CRONJOB}-retry-newer") as db:
        before = await runs(db)

        await _handle(settings, retry_job())

        assert await runs(db) == before
