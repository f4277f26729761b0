"""Claiming and finishing runs in ``alert_runs`` (plain asyncpg: the runner must start fast).

One row per Job, keyed by the Job's name (unique per scheduled time, shared by all the pods and
retries of that Job). Statuses: ``running`` (claimed; a pod that died hard may leave it so),
``succeeded``, ``failed`` (``error`` says why; a retry may still succeed), ``skipped`` (``error``
says why: alert gone, inactive, local slot already run). ``attempts`` counts the pods that
claimed the run. ``succeeded`` and ``skipped`` are final: nothing here ever changes them.

Effectively once: the runner claims the row (committed, so ``running`` is visible). For an
executor whose effects are in the database it then, in a second transaction, locks the row
(``FOR UPDATE``), re-checks it, runs the executor and marks it ``succeeded``, so the effects and
the mark commit together and a second pod of the same Job waits for the lock and then finds the
run done; such a claim has no lease (``lease_expires_at`` NULL): the row lock is the guard, and
a pod killed mid-run leaves no lock behind. For an executor whose effects are outside the
database no transaction is held during the call: the claim carries a lease, and another pod
takes a ``running`` row over only once that lease has expired (its holder was killed).

A retry (``alertctl retry``, alert_core.db.retry) is a manual Job whose pods claim the retried
run's row instead of one of their own (:func:`claim_retry_run`): same run id, Job name and
scheduled time, and only while the row is reserved for that retry Job.

No SQLAlchemy here on purpose: importing it doubles the runner's start-up time and memory.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import asyncpg

# Same value as alert_core.db.tables.SYSTEM_USER_ID (kept here to avoid importing SQLAlchemy).
SYSTEM_USER_ID: Final = uuid.UUID("00000000-0000-0000-0000-000000000000")
FINAL_STATUSES: Final = ("succeeded", "skipped")
MAX_ERROR_LENGTH: Final = 2000


@dataclass(frozen=True, slots=True)
class RunKey:
    """What identifies a run and is known before it is claimed."""

    job_name: str
    alert_id: uuid.UUID
    client_id: uuid.UUID | None
    trigger: str  # "schedule" or "manual"
    scheduled_for: datetime | None
    local_slot: str | None
    pod_name: str | None
    triggered_by: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Claim:
    """The run's row after claiming: ``claimed`` False means it was already final."""

    run_id: uuid.UUID
    status: str
    attempt: int
    claimed: bool
    lease_expires_at: datetime | None = None  # of the holder, when the run is not claimed
    retry_job_name: str | None = None  # the row's latest retry Job (claim_retry_run)


def local_slot(scheduled_for: datetime, timezone: str) -> str:
    """The wall-clock minute of a scheduled time in the alert's zone, e.g.
    ``2024-11-03T01:30 America/New_York``: equal for both runs of a repeated (fall-back) hour."""
    local = scheduled_for.astimezone(ZoneInfo(timezone))
    return f"{local:%Y-%m-%dT%H:%M} {timezone}"


def _sql(template: str, schema: str) -> str:
    """A statement for the state schema; ``schema`` is a validated SQL identifier (Settings),
    and every value is a bind parameter."""
    return template.replace("@runs", f'"{schema}".alert_runs')


def storable(text: str) -> str:
    """``text`` as PostgreSQL can store it: NUL and other control characters and lone
    surrogates (undecodable bytes) written as escapes (``\\x00``, ``\\udcff``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def clip_error(message: str) -> str:
    message = storable(message)
    return message if len(message) <= MAX_ERROR_LENGTH else message[: MAX_ERROR_LENGTH - 1] + "…"


_CREATE = """INSERT INTO @runs
 (job_name, alert_id, client_id, trigger, scheduled_for, local_slot, pod_name, triggered_by,
  status, attempts)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', 0) ON CONFLICT (job_name) DO NOTHING"""
# A running row is taken over unless its holder's lease is still valid.
_TAKE_OVER_WHERE = """UPDATE @runs SET status = 'running', attempts = attempts + 1,
 started_at = now(), finished_at = NULL, error = NULL, pod_name = $2,
 client_id = coalesce(client_id, $3), lease_expires_at = now() + make_interval(secs => $4)
 WHERE job_name = $1 AND status NOT IN ('succeeded', 'skipped')
 AND (status <> 'running' OR lease_expires_at IS NULL OR lease_expires_at <= now())"""
_RETURNING = " RETURNING id, status, attempts"
_TAKE_OVER = _TAKE_OVER_WHERE + _RETURNING
# A retry's pod: only the latest retry Job of this alert's run (alert_core.db.retry).
_TAKE_OVER_RETRY = _TAKE_OVER_WHERE + " AND retry_job_name = $5 AND alert_id = $6" + _RETURNING
_BY_JOB = """SELECT id, status, attempts, lease_expires_at, retry_job_name, alert_id
 FROM @runs WHERE job_name = $1"""
_LOCK = "SELECT status FROM @runs WHERE id = $1 FOR UPDATE"
_SLOT_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
_SLOT_SUCCESS = """SELECT job_name FROM @runs WHERE alert_id = $1 AND local_slot = $2
 AND status = 'succeeded' AND job_name <> $3 LIMIT 1"""
_SUCCEEDED = """UPDATE @runs SET status = 'succeeded', finished_at = now(), error = NULL
 WHERE id = $1"""
# A final row (succeeded, skipped) is never changed: a late failure report must not undo it.
_FINISH = """UPDATE @runs SET status = $2, finished_at = now(), error = $3
 WHERE id = $1 AND status NOT IN ('succeeded', 'skipped')"""
_RECORD = """INSERT INTO @runs AS r
 (job_name, alert_id, client_id, trigger, scheduled_for, local_slot, pod_name, triggered_by,
  status, attempts, started_at, finished_at, error)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, now(), now(), $10)
 ON CONFLICT (job_name) DO UPDATE SET status = excluded.status, attempts = r.attempts + 1,
 finished_at = now(), error = excluded.error, pod_name = excluded.pod_name
 WHERE r.status NOT IN ('succeeded', 'skipped') RETURNING id"""


def _key_args(key: RunKey) -> tuple[object, ...]:
    return (
        key.job_name,
        key.alert_id,
        key.client_id,
        key.trigger,
        key.scheduled_for,
        key.local_slot,
        key.pod_name,
        key.triggered_by,
    )


async def claim_run(
    conn: asyncpg.Connection, schema: str, key: RunKey, lease_seconds: float | None = None
) -> Claim:
    """Create or take over the Job's run: ``running``, ``attempts + 1``, a lease of
    ``lease_seconds`` (None: no lease); or report it final, or held by a valid lease.

    Waits while another pod of the same Job holds the row (it is executing); when that pod
    commits ``succeeded``, this returns the final row unclaimed.
    """
    async with conn.transaction():
        await conn.execute(_sql(_CREATE, schema), *_key_args(key))
        row = await conn.fetchrow(
            _sql(_TAKE_OVER, schema), key.job_name, key.pod_name, key.client_id, lease_seconds
        )
        if row is not None:
            return Claim(row["id"], row["status"], row["attempts"], claimed=True)
        other = await conn.fetchrow(_sql(_BY_JOB, schema), key.job_name)
    assert other is not None  # inserted or present above, and we never delete rows
    return _unclaimed(other)


def _unclaimed(row: asyncpg.Record) -> Claim:
    return Claim(row["id"], row["status"], row["attempts"], claimed=False,
                 lease_expires_at=row["lease_expires_at"], retry_job_name=row["retry_job_name"])


async def claim_retry_run(
    conn: asyncpg.Connection, schema: str, key: RunKey, retry_job_name: str,
    lease_seconds: float | None = None,
) -> Claim | None:
    """A retry Job's pod claims the retried run's existing row (``key.job_name``), as
    :func:`claim_run` takes one over, if the row is reserved for ``retry_job_name``; None when
    there is no such run of this alert. Unclaimed, ``retry_job_name`` of the Claim says whether
    a newer retry has superseded this one."""
    row = await conn.fetchrow(
        _sql(_TAKE_OVER_RETRY, schema), key.job_name, key.pod_name, key.client_id,
        lease_seconds, retry_job_name, key.alert_id,
    )
    if row is not None:
        return Claim(row["id"], row["status"], row["attempts"], claimed=True)
    other = await conn.fetchrow(_sql(_BY_JOB, schema), key.job_name)
    if other is None or other["alert_id"] != key.alert_id:
        return None
    return _unclaimed(other)


async def lock_run(conn: asyncpg.Connection, schema: str, run_id: uuid.UUID) -> str:
    """Lock the run's row until the current transaction ends; its status now."""
    return str(await conn.fetchval(_sql(_LOCK, schema), run_id))


async def slot_taken_by(
    conn: asyncpg.Connection, schema: str, alert_id: uuid.UUID, slot: str, job_name: str
) -> str | None:
    """The other Job that already succeeded in this local slot, if any.

    Takes a transaction-scoped advisory lock on (alert, slot) first, so that two Jobs of one
    slot running at once are serialised and the second sees the first's success.
    """
    await conn.execute(_SLOT_LOCK, f"{alert_id}/{slot}")
    found = await conn.fetchval(_sql(_SLOT_SUCCESS, schema), alert_id, slot, job_name)
    return None if found is None else str(found)


async def mark_succeeded(conn: asyncpg.Connection, schema: str, run_id: uuid.UUID) -> None:
    await conn.execute(_sql(_SUCCEEDED, schema), run_id)


async def mark_skipped(
    conn: asyncpg.Connection, schema: str, run_id: uuid.UUID, reason: str
) -> None:
    await conn.execute(_sql(_FINISH, schema), run_id, "skipped", clip_error(reason))


async def mark_failed(
    conn: asyncpg.Connection, schema: str, run_id: uuid.UUID, error: str
) -> None:
    """Record a failure, unless another pod of the Job has finished the run meanwhile."""
    await conn.execute(_sql(_FINISH, schema), run_id, "failed", clip_error(error))


async def record_outcome(
    conn: asyncpg.Connection, schema: str, key: RunKey, status: str, reason: str
) -> uuid.UUID:
    """Record ``skipped`` or ``failed`` for a run that was never claimed (alert gone, inactive,
    client mismatch, executor not importable); a final row is left as it is."""
    if status not in ("skipped", "failed"):
        raise ValueError(f"status: {status!r} is not skipped or failed")
    run_id = await conn.fetchval(
        _sql(_RECORD, schema), *_key_args(key), status, clip_error(reason)
    )
    if run_id is None:
        run_id = await conn.fetchval(_sql(_BY_JOB, schema), key.job_name)
    return uuid.UUID(str(run_id))
