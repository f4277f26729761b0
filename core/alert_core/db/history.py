"""``alert_runs`` on the operator/alertctl side: an alert's history, last runs, one run by Job
name, and the failures the Job watcher records.

The one home of these queries (SQLAlchemy Core), and the one definition of an alert's "last
run" (:func:`last_runs`: the run of the latest :attr:`RunRecord.moment`), used by
``alertctl status``, ``/status`` and ``alertctl history`` alike. The runner writes its own rows
in plain asyncpg (alert_core.db.runs: it must start fast).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db.runs import FINAL_STATUSES, SYSTEM_USER_ID
from alert_core.db.tables import state_tables
from alert_core.settings import Settings

MAX_HISTORY = 10_000
FINISHED_STATUSES = frozenset({"succeeded", "failed", "skipped"})


@dataclass(frozen=True)
class RunRecord:
    """One row of ``alert_runs`` as alertctl shows it."""

    alert_id: uuid.UUID
    job_name: str
    trigger: str
    scheduled_for: datetime | None
    status: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    created_at: datetime | None
    run_id: uuid.UUID | None = None
    retry_job_name: str | None = None  # the latest `alertctl retry` of the run, if any

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def moment(self) -> datetime | None:
        """When the run happened, for ordering: scheduled time, else start, else row creation."""
        return self.scheduled_for or self.started_at or self.created_at


def _select(settings: Settings) -> Select[Any]:
    table = state_tables(settings.state_schema).runs
    return select(
        table.c.alert_id,
        table.c.job_name,
        table.c.trigger,
        table.c.scheduled_for,
        table.c.status,
        table.c.attempts,
        table.c.started_at,
        table.c.finished_at,
        table.c.error,
        table.c.created_at,
        table.c.id,
        table.c.retry_job_name,
    )


def _record(row: Any) -> RunRecord:
    return RunRecord(*row)


def _order_key(settings: Settings):  # type: ignore[no-untyped-def]
    table = state_tables(settings.state_schema).runs
    # Manual runs have no scheduled time: they sort by when they started.
    return func.coalesce(table.c.scheduled_for, table.c.started_at, table.c.created_at)


async def alert_history(
    conn: AsyncConnection, settings: Settings, alert_id: uuid.UUID, limit: int
) -> list[RunRecord]:
    """The alert's newest ``limit`` runs, newest first."""
    table = state_tables(settings.state_schema).runs
    statement = (
        _select(settings)
        .where(table.c.alert_id == alert_id)
        .order_by(_order_key(settings).desc().nulls_last(), table.c.created_at.desc())
        .limit(max(1, min(limit, MAX_HISTORY)))
    )
    return [_record(row) for row in await conn.execute(statement)]


async def failed_runs(
    conn: AsyncConnection, settings: Settings, *, since: datetime | None = None,
    client_id: uuid.UUID | None = None, alert_id: uuid.UUID | None = None,
    limit: int = MAX_HISTORY,
) -> list[RunRecord]:
    """The failed runs of every alert (or of one client, one alert), newest first: the
    dead-letter queue that ``alertctl retry`` works off. ``since``: runs whose moment is at or
    after it."""
    table = state_tables(settings.state_schema).runs
    moment = _order_key(settings)
    statement = _select(settings).where(table.c.status == "failed")
    if since is not None:
        statement = statement.where(moment >= since)
    if client_id is not None:
        statement = statement.where(table.c.client_id == client_id)
    if alert_id is not None:
        statement = statement.where(table.c.alert_id == alert_id)
    statement = statement.order_by(moment.desc(), table.c.created_at.desc()).limit(
        max(1, min(limit, MAX_HISTORY)))
    return [_record(row) for row in await conn.execute(statement)]


async def last_runs(
    conn: AsyncConnection, settings: Settings, alert_ids: Iterable[uuid.UUID] | None = None
) -> dict[uuid.UUID, RunRecord]:
    """The newest run of each alert (of the given alerts, or of all)."""
    table = state_tables(settings.state_schema).runs
    # row_number() rather than DISTINCT ON: the latter's SQLAlchemy spelling differs by version.
    newest = func.row_number().over(
        partition_by=table.c.alert_id,
        order_by=(_order_key(settings).desc().nulls_last(), table.c.created_at.desc()),
    )
    inner = _select(settings).add_columns(newest.label("newest"))
    if alert_ids is not None:
        inner = inner.where(table.c.alert_id.in_(list(alert_ids)))
    ranked = inner.subquery()
    statement = select(*[ranked.c[column.name] for column in _select(settings).selected_columns])
    statement = statement.where(ranked.c.newest == 1)
    records = [_record(row) for row in await conn.execute(statement)]
    return {record.alert_id: record for record in records}


async def run_by_job_name(
    conn: AsyncConnection, settings: Settings, job_name: str
) -> RunRecord | None:
    table = state_tables(settings.state_schema).runs
    row = (await conn.execute(_select(settings).where(table.c.job_name == job_name))).first()
    return None if row is None else _record(row)


async def has_runs(conn: AsyncConnection, settings: Settings, alert_id: uuid.UUID) -> bool:
    table = state_tables(settings.state_schema).runs
    found = await conn.execute(select(table.c.id).where(table.c.alert_id == alert_id).limit(1))
    return found.first() is not None


@dataclass(frozen=True)
class JobFailure:
    """A managed Job that ended Failed, as the Job watcher saw it."""

    alert_id: uuid.UUID
    client_id: uuid.UUID | None
    job_name: str
    scheduled_for: datetime | None  # None: a manual run
    attempts: int
    started_at: datetime | None
    finished_at: datetime
    error: str


async def record_job_failure(
    conn: AsyncConnection, settings: Settings, failure: JobFailure, now: datetime
) -> tuple[str, bool]:
    """Upsert the failed run; its status afterwards and whether the runner had a row. A final
    row (succeeded, skipped) is never changed; a failed one keeps the runner's own error."""
    runs = state_tables(settings.state_schema).runs
    statement = insert(runs).values(
        id=uuid.uuid4(),
        alert_id=failure.alert_id,
        client_id=failure.client_id,
        job_name=failure.job_name,
        trigger="schedule" if failure.scheduled_for else "manual",
        scheduled_for=failure.scheduled_for,
        status="failed",
        attempts=failure.attempts,
        started_at=failure.started_at,
        finished_at=failure.finished_at,
        error=failure.error,
        triggered_by=SYSTEM_USER_ID if failure.scheduled_for else None,
        created_at=now,
    )
    excluded = statement.excluded
    upsert = statement.on_conflict_do_update(
        index_elements=[runs.c.job_name],
        set_={
            "status": "failed",
            # The runner's own error (a webhook's answer...) says more than "BackoffLimit".
            "error": case(
                ((runs.c.status == "failed") & runs.c.error.isnot(None), runs.c.error),
                else_=excluded.error,
            ),
            "finished_at": case(
                ((runs.c.status == "failed") & runs.c.finished_at.isnot(None),
                 runs.c.finished_at),
                else_=excluded.finished_at,
            ),
            "attempts": case(
                (runs.c.attempts > excluded.attempts, runs.c.attempts),
                else_=excluded.attempts,
            ),
        },
        where=runs.c.status.notin_(FINAL_STATUSES),
    ).returning(runs.c.status, literal_column("(xmax = 0)").label("inserted"))
    row = (await conn.execute(upsert)).first()
    if row is not None:
        return str(row.status), not bool(row.inserted)
    final = await conn.scalar(select(runs.c.status).where(runs.c.job_name == failure.job_name))
    return str(final), True
