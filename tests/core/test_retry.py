"""Reserving a failed run for a retry Job (alert_core.db.retry) on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from alert_core.db.engine import make_engine
from alert_core.db.retry import NotRetryableError, RetryTarget, claim_retry, release_retry
from alert_core.jobname import job_name_for
from alert_core.settings import Settings

SCHEDULED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


async def _insert_run(url: str, status: str, *, error: str | None = None) -> tuple[uuid.UUID, str]:
    alert_id = uuid.uuid4()
    job = job_name_for(f"alert-{alert_id}", SCHEDULED)
    conn = await asyncpg.connect(url)
    try:
        run_id = await conn.fetchval(
            "INSERT INTO alert_operator.alert_runs (job_name, alert_id, client_id, trigger,"
            " scheduled_for, status, attempts, started_at, finished_at, error)"
            " VALUES ($1, $2, $3, 'schedule', $4, $5, 1, now(), now(), $6) RETURNING id",
            job, alert_id, uuid.uuid4(), SCHEDULED, status, error,
        )
    finally:
        await conn.close()
    return run_id, job


async def _claim(settings: Settings, run_id: uuid.UUID) -> RetryTarget:
    engine = make_engine(settings, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await claim_retry(conn, settings, run_id)
    finally:
        await engine.dispose()


async def _sql(url: str, statement: str, *args: object) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement, *args)
    finally:
        await conn.close()


async def test_a_failed_run_is_reserved_for_one_retry_job_keeping_its_key(
    settings: Settings, database_url: str
) -> None:
    run_id, job = await _insert_run(database_url, "failed", error="boom")

    target = await _claim(settings, run_id)

    assert (target.run_id, target.job_name, target.scheduled_for) == (run_id, job, SCHEDULED)
    assert (target.trigger, target.attempts, target.error) == ("schedule", 1, "boom")
    assert re.fullmatch(rf"{target.cronjob}-retry-[a-z0-9]{{5}}", target.retry_job_name)
    assert len(target.retry_job_name) <= 63
    with pytest.raises(NotRetryableError, match=rf"already being retried by Job "
                                                rf"{target.retry_job_name}$"):
        await _claim(settings, run_id)


async def test_concurrent_retries_of_one_run_reserve_it_once(
    settings: Settings, database_url: str
) -> None:
    run_id, _ = await _insert_run(database_url, "failed")

    outcomes = await asyncio.gather(*(_claim(settings, run_id) for _ in range(8)),
                                    return_exceptions=True)

    won = [o for o in outcomes if isinstance(o, RetryTarget)]
    refused = [o for o in outcomes if isinstance(o, NotRetryableError)]
    assert (len(won), len(refused)) == (1, 7)


@pytest.mark.parametrize(
    ("status", "error", "why"),
    [
        ("succeeded", None, "succeeded: nothing to retry"),
        ("skipped", "alert inactive", r"was skipped \(alert inactive\): nothing to retry"),
        ("running", None, "is running: wait for its outcome"),
    ],
)
async def test_a_run_that_is_not_failed_is_not_retryable(
    settings: Settings, database_url: str, status: str, error: str | None, why: str
) -> None:
    run_id, job = await _insert_run(database_url, status, error=error)

    with pytest.raises(NotRetryableError, match=rf"^run {run_id} \(Job {job}\) {why}$"):
        await _claim(settings, run_id)


async def test_an_unknown_run_is_one_line(settings: Settings) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotRetryableError, match=rf"^no run {missing} in alert_runs$"):
        await _claim(settings, missing)


async def test_released_after_a_failed_job_create_the_run_is_retryable_again(
    settings: Settings, database_url: str
) -> None:
    run_id, _ = await _insert_run(database_url, "failed")
    first = await _claim(settings, run_id)
    engine = make_engine(settings, pool_size=1)
    try:
        async with engine.begin() as conn:
            await release_retry(conn, settings, first)
    finally:
        await engine.dispose()

    second = await _claim(settings, run_id)

    assert second.retry_job_name != first.retry_job_name


async def test_a_retry_whose_pod_ran_or_that_never_started_can_be_retried(
    settings: Settings, database_url: str
) -> None:
    run_id, _ = await _insert_run(database_url, "failed")
    await _claim(settings, run_id)
    # The retry's pod claimed the row (started_at moves on) and failed again.
    await _sql(database_url, "UPDATE alert_operator.alert_runs SET started_at = now()"
               " + interval '1 second' WHERE id = $1", run_id)
    again = await _claim(settings, run_id)
    # This one never got a pod: once its Job's deadline has passed, it is no longer pending.
    await _sql(database_url, "UPDATE alert_operator.alert_runs SET retry_requested_at ="
               " now() - make_interval(secs => $2) WHERE id = $1", run_id,
               float(settings.active_deadline_seconds + 61))

    last = await _claim(settings, run_id)

    assert len({again.retry_job_name, last.retry_job_name}) == 2
