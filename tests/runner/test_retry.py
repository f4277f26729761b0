"""A retry Job's pod (``--retry-of``) claims the failed run's own row, against the real
PostgreSQL: same run id (the idempotency key), Job name and scheduled time."""

from __future__ import annotations

import uuid

import asyncpg

from alert_core.db.engine import make_engine
from alert_core.db.retry import RetryTarget, claim_retry
from alert_core.exitcodes import PERMANENT_ERROR, RETRYABLE_FAILURE, SUCCESS
from alert_core.settings import Settings
from alert_runner.run import RunRequest, run_alert
from tests.runner.conftest import AlertFactory, SettingsFactory, instances, run_row
from tests.runner.test_run import SCHEDULED, scheduled_job


async def _reserve(database_url: str, run_id: uuid.UUID) -> RetryTarget:
    settings = Settings(database_url=database_url)
    engine = make_engine(settings, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await claim_retry(conn, settings, run_id)
    finally:
        await engine.dispose()


async def _rows(db: asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT count(*) FROM alert_operator.alert_runs"))


async def test_a_retry_runs_the_failed_run_again_under_its_own_id(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory,
    database_url: str,
) -> None:
    alert_id, client_id = await make_alert()
    job = scheduled_job(alert_id)
    settings = runner_settings(executor="tests.runner.plugins:flaky")
    assert await run_alert(RunRequest(alert_id, client_id, job), settings) == RETRYABLE_FAILURE
    failed = await run_row(db, job)
    target = await _reserve(database_url, failed["id"])

    retry = RunRequest(alert_id, client_id, target.retry_job_name, "retry-pod",
                       retry_of=job)
    assert await run_alert(retry, settings) == SUCCESS

    row = await run_row(db, job)
    assert (row["id"], row["status"], row["attempts"], row["error"]) == (
        failed["id"], "succeeded", 2, None)
    assert (row["trigger"], row["scheduled_for"], row["local_slot"]) == (
        "schedule", SCHEDULED, failed["local_slot"])
    assert row["pod_name"] == "retry-pod"
    assert await instances(db, failed["id"]) == 1  # the executor saw the same run id
    assert await _rows(db) == 1  # no row of the retry Job's own

    # The retry Job's pod started again after success (or the old Job's): nothing twice.
    assert await run_alert(retry, settings) == SUCCESS
    assert await run_alert(RunRequest(alert_id, client_id, job), settings) == SUCCESS
    assert await instances(db, failed["id"]) == 1


async def test_a_superseded_retry_job_neither_runs_nor_writes(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory,
    database_url: str,
) -> None:
    alert_id, client_id = await make_alert()
    job = scheduled_job(alert_id)
    settings = runner_settings(executor="tests.runner.plugins:always_fails")
    assert await run_alert(RunRequest(alert_id, client_id, job), settings) == RETRYABLE_FAILURE
    run_id = (await run_row(db, job))["id"]
    old = await _reserve(database_url, run_id)
    # The old retry Job never got a pod; after its deadline the run is retried again.
    await db.execute("UPDATE alert_operator.alert_runs SET retry_requested_at = now()"
                     " - interval '1 day' WHERE id = $1", run_id)
    new = await _reserve(database_url, run_id)

    late = RunRequest(alert_id, client_id, old.retry_job_name, retry_of=job)
    assert await run_alert(late, settings) == SUCCESS

    row = await run_row(db, job)
    assert (row["status"], row["attempts"], row["retry_job_name"]) == (
        "failed", 1, new.retry_job_name)
    current = RunRequest(alert_id, client_id, new.retry_job_name, retry_of=job)
    assert await run_alert(current, settings) == RETRYABLE_FAILURE
    assert (await run_row(db, job))["attempts"] == 2


async def test_a_retry_of_a_run_that_does_not_exist_is_permanent_and_writes_nothing(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory,
) -> None:
    alert_id, client_id = await make_alert()
    request = RunRequest(alert_id, client_id, f"alert-{alert_id}-retry-abcde",
                         retry_of=scheduled_job(alert_id))

    assert await run_alert(request, runner_settings()) == PERMANENT_ERROR
    assert await _rows(db) == 0
