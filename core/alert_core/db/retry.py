"""Retrying a failed run: the database half of ``alertctl retry`` (and of the web UI's button).

A retry re-runs a ``failed`` run as a manual Job that claims the *same* ``alert_runs`` row, so
the run keeps its id (the executors' idempotency key), its Job name, scheduled time and local
slot, and its outcome replaces the failure in the history. :func:`claim_retry` reserves the row
for one new retry Job in a single conditional UPDATE: of two retries at once exactly one wins,
and the runner lets only the pods of the Job named in ``retry_job_name`` claim the row as a
retry (alert_core.db.runs.claim_retry_run), so an older retry Job's late pod cannot run it too.

Retryable: ``failed`` and no retry pending. A retry is pending from :func:`claim_retry` until its
pod claims the row (the row's ``started_at`` passes ``retry_requested_at``), or until the Job's
deadline plus :data:`START_GRACE_SECONDS` has passed (a Job that never got a pod). Not
retryable: ``succeeded`` and ``skipped`` (final), ``running`` (a pod holds it). The caller
commits, then creates the Job; when that fails, :func:`release_retry` lets the run be retried.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db.tables import state_tables
from alert_core.jobname import cronjob_name, random_job_name
from alert_core.printable import visible
from alert_core.settings import Settings

# A retry Job with no pod after its activeDeadlineSeconds plus this is dead: retry again then.
START_GRACE_SECONDS = 60


class NotRetryableError(LookupError):
    """The run cannot be retried; ``str()`` is one line saying why."""


@dataclass(frozen=True, slots=True)
class RetryTarget:
    """A run reserved for one retry Job (``retry_job_name``), which the caller now creates."""

    run_id: uuid.UUID
    alert_id: uuid.UUID
    client_id: uuid.UUID | None
    job_name: str  # the run's own Job: the row's key, which the retry's pods claim
    trigger: str
    scheduled_for: datetime | None
    attempts: int
    error: str | None
    retry_job_name: str  # the manual Job to create from the alert's CronJob

    @property
    def cronjob(self) -> str:
        return cronjob_name(self.alert_id)


async def claim_retry(
    conn: AsyncConnection, settings: Settings, run_id: uuid.UUID
) -> RetryTarget:
    """Reserve the failed run ``run_id`` for a new retry Job; :class:`NotRetryableError` when it
    is not failed, or already being retried. Race-free: one conditional UPDATE."""
    runs = state_tables(settings.state_schema).runs
    current = await conn.execute(select(runs.c.alert_id).where(runs.c.id == run_id))
    alert_id = current.scalar()
    if alert_id is None:
        raise NotRetryableError(f"no run {run_id} in alert_runs")
    retry_job = random_job_name(cronjob_name(alert_id), "retry")
    pending_for = timedelta(seconds=settings.active_deadline_seconds + START_GRACE_SECONDS)
    statement = (
        update(runs)
        .where(
            runs.c.id == run_id,
            runs.c.status == "failed",
            or_(
                runs.c.retry_job_name.is_(None),
                runs.c.started_at >= runs.c.retry_requested_at,  # the retry's pod has run
                runs.c.retry_requested_at <= func.now() - pending_for,  # it never got a pod
            ),
        )
        .values(retry_job_name=retry_job, retry_requested_at=func.now())
        .returning(runs.c.id, runs.c.alert_id, runs.c.client_id, runs.c.job_name,
                   runs.c.trigger, runs.c.scheduled_for, runs.c.attempts, runs.c.error)
    )
    row = (await conn.execute(statement)).first()
    if row is None:
        raise NotRetryableError(await _why_not(conn, settings, run_id))
    return RetryTarget(
        run_id=row.id, alert_id=row.alert_id, client_id=row.client_id, job_name=row.job_name,
        trigger=row.trigger, scheduled_for=row.scheduled_for, attempts=row.attempts,
        error=row.error, retry_job_name=retry_job,
    )


async def _why_not(conn: AsyncConnection, settings: Settings, run_id: uuid.UUID) -> str:
    runs = state_tables(settings.state_schema).runs
    found = (await conn.execute(
        select(runs.c.status, runs.c.job_name, runs.c.retry_job_name, runs.c.error)
        .where(runs.c.id == run_id)
    )).first()
    if found is None:
        return f"no run {run_id} in alert_runs"
    status, job_name, retry_job, error = found
    what = f"run {run_id} (Job {job_name})"
    if status == "succeeded":
        return f"{what} succeeded: nothing to retry"
    if status == "skipped":
        reason = f" ({visible(error[:120])})" if error else ""
        return f"{what} was skipped{reason}: nothing to retry"
    if status == "running":
        return f"{what} is running: wait for its outcome"
    return f"{what} is already being retried by Job {retry_job}"


async def release_retry(conn: AsyncConnection, settings: Settings, target: RetryTarget) -> None:
    """Undo :func:`claim_retry` when its Job could not be created (only if still reserved for
    that Job), so the run can be retried again at once."""
    runs = state_tables(settings.state_schema).runs
    await conn.execute(
        update(runs)
        .where(runs.c.id == target.run_id, runs.c.retry_job_name == target.retry_job_name)
        .values(retry_job_name=None, retry_requested_at=None)
    )
