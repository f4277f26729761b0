"""One run of one alert: load it, claim the Job's run, execute, record the outcome.

Returns the exit code (see :mod:`alert_core.exitcodes`): 0 succeeded or skipped, 1 retryable
failure (the Job retries), 3 permanent error (the CronJob's podFailurePolicy fails the Job).
Cancelling the task (SIGTERM: deadline, eviction) records ``failed`` with reason ``interrupted``.
An executor with database effects runs inside the run's transaction; one with external effects
runs with no transaction open, between the committed claim (with a lease) and the outcome
write, which is retried while the database is away (README, "Executor contract").
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from alert_core.db import runs
from alert_core.exitcodes import PERMANENT_ERROR, RETRYABLE_FAILURE, SUCCESS
from alert_core.jobname import cronjob_name, scheduled_time_from_job_name
from alert_core.safe_json import JsonLimitError, loads_bounded
from alert_core.validation import FrequencyError
from alert_runner.calling import call_executor
from alert_runner.config import RunnerSettings
from alert_runner.executors import (
    AlertInfo,
    Executor,
    ExecutorNotFoundError,
    PermanentError,
    RunContext,
    effects_of,
    lease_seconds,
    load_executor,
)
from alert_runner.logs import get_logger
from alert_runner.redact import Redactor
from alert_runner.slot import slot_timezone

CONNECT_TIMEOUT_SECONDS = 10
RECORD_TIMEOUT_SECONDS = 5
# Between tries to record an outcome while the database is away: doubling up to the cap.
FIRST_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
DATABASE_GONE = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


@dataclass(frozen=True, slots=True)
class RunRequest:
    alert_id: uuid.UUID
    client_id: uuid.UUID
    job_name: str
    pod_name: str | None = None
    retry_of: str | None = None  # a retry Job's: the Job name of the failed run it re-runs


@dataclass(slots=True)
class Outcome:
    code: int
    # succeeded | failed | skipped | already-succeeded | already-skipped | already-running
    # | superseded (a newer retry of the run)
    outcome: str
    reason: str | None = None


async def _fetch_alert(
    conn: asyncpg.Connection, settings: RunnerSettings, alert_id: uuid.UUID
) -> AlertInfo | None:
    # Schema and table are validated SQL identifiers (RunnerSettings); the id is a bind
    # parameter.
    row = await conn.fetchrow(
        "SELECT id, client_id, name, frequency, is_active"  # noqa: S608
        f' FROM "{settings.alerts_schema}"."{settings.alerts_table}" WHERE id = $1',
        alert_id,
    )
    if row is None:
        return None
    frequency = row["frequency"]
    if isinstance(frequency, str):  # json/jsonb arrive as text from asyncpg
        with contextlib.suppress(JsonLimitError):  # not JSON: slot_timezone reports it later
            frequency = loads_bounded(frequency)
    return AlertInfo(row["id"], row["client_id"], row["name"] or "", frequency,
                     bool(row["is_active"]))


def _slot(alert: AlertInfo, scheduled_for: datetime | None) -> str | None:
    """The local slot for daily/weekly/monthly runs; None for hourly, cron and manual runs."""
    if scheduled_for is None:
        return None
    try:
        timezone = slot_timezone(alert.frequency)
    except FrequencyError as error:
        # The operator keeps the old CronJob of an alert whose frequency became invalid; its
        # runs go on, without the slot check they cannot have.
        get_logger().warning("frequency not understood, no local-slot check: %s", error)
        return None
    return None if timezone is None else runs.local_slot(scheduled_for, timezone)


class Runner:
    """The steps of one run, sharing the connection, the settings and the log fields."""

    def __init__(
        self, request: RunRequest, settings: RunnerSettings, conn: asyncpg.Connection
    ) -> None:
        self.request = request
        self.settings = settings
        self.conn = conn
        self.schema = settings.state_schema
        self.redact = Redactor(settings)
        self.run_id: uuid.UUID | None = None
        self.fields: dict[str, Any] = {}
        # Until when an outcome may be retried while the database is away: the Job's deadline,
        # counted from now (the Job started earlier, so the pod is gone by then anyway).
        self.deadline = time.monotonic() + settings.active_deadline_seconds
        # An external call returned normally: an interruption now must record the success.
        self.called_out = False

    def _key(self, alert: AlertInfo | None) -> runs.RunKey:
        # A retry's key is the retried run's Job: its row, its scheduled time, its slot.
        job_name = self.request.retry_of or self.request.job_name
        cronjob = cronjob_name(self.request.alert_id)
        scheduled_for = scheduled_time_from_job_name(job_name, cronjob)
        trigger = "manual" if scheduled_for is None else "schedule"
        self.fields["trigger"] = trigger
        return runs.RunKey(
            job_name=job_name,
            alert_id=self.request.alert_id,
            client_id=alert.client_id if alert is not None else self.request.client_id,
            trigger=trigger,
            scheduled_for=scheduled_for,
            local_slot=None if alert is None else _slot(alert, scheduled_for),
            pod_name=self.request.pod_name,
            # As in the old scheduler, scheduled runs are triggered by the system user; who
            # created a manual Job is not known here.
            triggered_by=runs.SYSTEM_USER_ID if scheduled_for is not None else None,
        )

    async def _finish_unclaimed(self, key: runs.RunKey, outcome: Outcome) -> Outcome:
        status = "skipped" if outcome.code == SUCCESS else "failed"
        self.run_id = await runs.record_outcome(
            self.conn, self.schema, key, status, outcome.reason or status
        )
        return outcome

    async def run(self, executor: Executor | ExecutorNotFoundError) -> Outcome:
        alert = await _fetch_alert(self.conn, self.settings, self.request.alert_id)
        key = self._key(alert)
        if alert is None:
            return await self._finish_unclaimed(key, Outcome(SUCCESS, "skipped", "alert not found"))
        if alert.client_id != self.request.client_id:
            reason = f"client id mismatch: the alert belongs to client {alert.client_id}"
            return await self._finish_unclaimed(key, Outcome(PERMANENT_ERROR, "failed", reason))
        if not alert.is_active:
            return await self._finish_unclaimed(key, Outcome(SUCCESS, "skipped", "alert inactive"))
        if isinstance(executor, ExecutorNotFoundError):
            outcome = Outcome(PERMANENT_ERROR, "failed", self.redact(executor))
            return await self._finish_unclaimed(key, outcome)

        claim = await self._claim(key, lease_seconds(executor, self.settings))
        if isinstance(claim, Outcome):
            return claim
        if not claim.claimed and claim.status == "running":
            until = claim.lease_expires_at
            reason = "another pod holds the run" + (f" until {until.isoformat()}" if until else "")
            return Outcome(RETRYABLE_FAILURE, "already-running", reason)
        if not claim.claimed:
            return Outcome(SUCCESS, f"already-{claim.status}", "the Job's run is already final")
        self.fields["attempt"] = claim.attempt
        get_logger().info("run started", extra=self.log_fields())
        context = RunContext(
            alert=alert, run_id=claim.run_id, job_name=key.job_name, trigger=key.trigger,
            scheduled_for=key.scheduled_for, attempt=claim.attempt,
            triggered_by=key.triggered_by, connection=self.conn, settings=self.settings,
        )
        if effects_of(executor) == "external":
            return await self._call_out(key, executor, context)
        try:
            return await self._execute_in_transaction(key, executor, context)
        except DATABASE_GONE:
            raise  # the connection is gone: nothing to record with; the caller reports it
        except Exception as error:
            outcome = self._failure(error)
            await runs.mark_failed(self.conn, self.schema, claim.run_id, outcome.reason or "")
            return outcome

    async def _claim(self, key: runs.RunKey, lease: float | None) -> runs.Claim | Outcome:
        """The run's claim; for a retry, the outcome instead when it must not run here."""
        if self.request.retry_of is None:
            claim = await runs.claim_run(self.conn, self.schema, key, lease)
            self.run_id = claim.run_id
            return claim
        retry = await runs.claim_retry_run(self.conn, self.schema, key, self.request.job_name,
                                           lease)
        if retry is None:
            reason = f"no run of Job {key.job_name} for this alert to retry"
            return Outcome(PERMANENT_ERROR, "failed", reason)
        self.run_id = retry.run_id
        if (not retry.claimed and retry.status not in runs.FINAL_STATUSES
                and retry.retry_job_name != self.request.job_name):
            # Nothing recorded: the row belongs to the newer retry now.
            return Outcome(SUCCESS, "superseded",
                           f"the run is retried by Job {retry.retry_job_name} now")
        return retry

    def _failure(self, error: Exception) -> Outcome:
        code = PERMANENT_ERROR if isinstance(error, PermanentError) else RETRYABLE_FAILURE
        return Outcome(code, "failed", self.redact(error))

    async def _recheck(self, key: runs.RunKey) -> Outcome | None:
        """Inside a transaction: the outcome if the run must not execute (done, slot taken)."""
        assert self.run_id is not None
        # Another pod of this Job may have finished between our claim and this lock.
        status = await runs.lock_run(self.conn, self.schema, self.run_id)
        if status in runs.FINAL_STATUSES:
            return Outcome(SUCCESS, f"already-{status}", "another pod finished the run")
        if key.local_slot is not None:
            other = await runs.slot_taken_by(
                self.conn, self.schema, key.alert_id, key.local_slot, key.job_name
            )
            if other is not None:
                reason = f"local slot {key.local_slot} already ran in Job {other}"
                await runs.mark_skipped(self.conn, self.schema, self.run_id, reason)
                return Outcome(SUCCESS, "skipped", reason)
        return None

    async def _execute_in_transaction(
        self, key: runs.RunKey, executor: Executor, context: RunContext
    ) -> Outcome:
        """Database effects: the executor's work and the succeeded mark commit together."""
        async with self.conn.transaction():
            stop = await self._recheck(key)
            if stop is not None:
                return stop
            await call_executor(executor, context)
            await runs.mark_succeeded(self.conn, self.schema, context.run_id)
        return Outcome(SUCCESS, "succeeded")

    async def _call_out(self, key: runs.RunKey, executor: Executor, context: RunContext) -> Outcome:
        """External effects: no transaction while the executor runs; the outcome is recorded
        afterwards, retried while the database is away, until the Job's deadline."""
        async with self.conn.transaction():
            stop = await self._recheck(key)
        if stop is not None:
            return stop
        try:
            await call_executor(executor, context)
        except Exception as error:
            outcome = self._failure(error)
            reason = outcome.reason or ""
            await self.write(lambda conn: runs.mark_failed(conn, self.schema, context.run_id,
                                                           reason), self.deadline)
            return outcome
        self.called_out = True
        await self.write(lambda conn: runs.mark_succeeded(conn, self.schema, context.run_id),
                         self.deadline)
        return Outcome(SUCCESS, "succeeded")

    async def write(
        self, statement: Callable[[asyncpg.Connection], Awaitable[None]], deadline: float
    ) -> None:
        """Run one autocommitted statement, reconnecting with backoff while the database is
        away, until ``deadline`` (monotonic); then the last error is raised."""
        backoff = FIRST_BACKOFF_SECONDS
        while True:
            try:
                async with asyncio.timeout(RECORD_TIMEOUT_SECONDS):
                    if self.conn.is_closed():
                        self.conn = await connect(self.settings)
                    await statement(self.conn)
                return
            except DATABASE_GONE as error:
                if not self.conn.is_closed():
                    self.conn.terminate()
                if time.monotonic() + backoff >= deadline:
                    raise
                get_logger().warning("database unavailable, recording again in %.1f s: %s",
                                     backoff, self.redact(error), extra=self.log_fields())
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def log_fields(self) -> dict[str, Any]:
        retry = {} if self.request.retry_of is None else {"retry_of": self.request.retry_of}
        return {
            "alert_id": str(self.request.alert_id),
            "client_id": str(self.request.client_id),
            "job_name": self.request.job_name,
            "run_id": None if self.run_id is None else str(self.run_id),
            **retry,
            **self.fields,
        }

    async def record_interruption(self, outcome: Outcome) -> Outcome:
        """After a cancellation or an unexpected error: mark the claimed run ``failed``, or
        ``succeeded`` if an external call had already returned (its effect is done); on a
        fresh connection if need be, bounded: the pod may be killed soon."""
        if self.run_id is None:
            return outcome
        run_id, reason = self.run_id, outcome.reason or "interrupted"
        done = Outcome(SUCCESS, "succeeded")
        try:
            await self.write(
                (lambda conn: runs.mark_succeeded(conn, self.schema, run_id)) if self.called_out
                else (lambda conn: runs.mark_failed(conn, self.schema, run_id, reason)),
                time.monotonic() + RECORD_TIMEOUT_SECONDS,
            )
        except DATABASE_GONE:
            get_logger().error("could not record the outcome", extra=self.log_fields())
            return outcome
        return done if self.called_out else outcome


async def connect(settings: RunnerSettings) -> asyncpg.Connection:
    return await asyncpg.connect(
        settings.asyncpg_dsn,
        timeout=CONNECT_TIMEOUT_SECONDS,
        server_settings={"application_name": "alert-runner"},
    )


def _resolve_executor(spec: str) -> Executor | ExecutorNotFoundError:
    try:
        return load_executor(spec)
    except ExecutorNotFoundError as error:
        return error  # recorded against the run once the database is reachable


class Interrupt:
    """Set by the signal handler before it cancels the run, so that a cancellation that
    surfaces as another error (a query cut short) is still recorded as an interruption."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def trigger(self, reason: str, task: asyncio.Task[Any]) -> None:
        if self.reason is None:
            self.reason = reason
            task.cancel(reason)


async def run_alert(
    request: RunRequest, settings: RunnerSettings, interrupt: Interrupt | None = None
) -> int:
    """Run the alert once and log one outcome line; the process's exit code."""
    started = time.monotonic()
    interrupt = interrupt or Interrupt()
    executor = _resolve_executor(settings.executor)
    redact = Redactor(settings)
    runner: Runner | None = None
    try:
        runner = Runner(request, settings, await connect(settings))
        outcome = await runner.run(executor)
    except asyncpg.ClientConfigurationError as error:  # e.g. sslmode=bogus: no retry mends it
        outcome = Outcome(PERMANENT_ERROR, "failed", f"DATABASE_URL: {redact(error)}")
    except asyncio.CancelledError as error:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()  # handled here: the process exits normally after recording
        cause = interrupt.reason or (error.args[0] if error.args and error.args[0] else None)
        outcome = _interrupted(cause or "cancelled")
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
        if interrupt.reason is not None:
            outcome = _interrupted(interrupt.reason)
        else:
            outcome = Outcome(RETRYABLE_FAILURE, "failed", f"database: {redact(error)}")
    except Exception as error:  # a bug or bad data outside the executor: still one line, a row
        outcome = Outcome(RETRYABLE_FAILURE, "failed", f"internal error: {redact(error)}")
    if runner is not None:
        if outcome.reason and outcome.reason.startswith(("interrupted", "internal error",
                                                         "database")):
            outcome = await runner.record_interruption(outcome)
        await _close(runner.conn)
    _log_outcome(runner, request, outcome, time.monotonic() - started)
    return outcome.code


def _interrupted(cause: str) -> Outcome:
    return Outcome(RETRYABLE_FAILURE, "failed", f"interrupted ({cause})")


def _log_outcome(
    runner: Runner | None, request: RunRequest, outcome: Outcome, duration: float
) -> None:
    fields: dict[str, Any] = runner.log_fields() if runner is not None else {
        "alert_id": str(request.alert_id),
        "client_id": str(request.client_id),
        "job_name": request.job_name,
        "run_id": None,
    }
    fields.update(outcome=outcome.outcome, exit_code=outcome.code,
                  duration_seconds=round(duration, 3))
    if outcome.reason:
        fields["reason"] = outcome.reason
    log = get_logger()
    (log.info if outcome.code == SUCCESS else log.error)("run finished", extra=fields)


async def _close(conn: asyncpg.Connection) -> None:
    try:
        async with asyncio.timeout(RECORD_TIMEOUT_SECONDS):
            await conn.close()
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        conn.terminate()
