"""Pauses (``alertctl pause``): a paused alert's CronJob is suspended.

One row per paused alert in ``alert_pauses``; the row with :data:`GLOBAL_PAUSE_ID` is the global
stop switch. The table's trigger sends a NOTIFY, so a running operator re-plans at once; the
rows themselves make a pause survive re-syncs and operator restarts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db.pause_set import GLOBAL_PAUSE_UUID, Pauses
from alert_core.db.tables import state_tables
from alert_core.settings import Settings

# Kept importable from here, where they were defined before alert_core.db.pause_set.
__all__ = ["GLOBAL_PAUSE_UUID", "MAX_BY_LENGTH", "MAX_REASON_LENGTH", "PauseRecord", "Pauses",
           "load_pause_records", "load_pauses", "pause", "resume"]

MAX_REASON_LENGTH = 1000
MAX_BY_LENGTH = 200


@dataclass(frozen=True)
class PauseRecord:
    """One pause: who set it, when, and why (``alert_id`` = GLOBAL_PAUSE_UUID for all)."""

    alert_id: uuid.UUID
    paused_by: str
    paused_at: datetime | None
    reason: str | None

    @property
    def is_global(self) -> bool:
        return self.alert_id == GLOBAL_PAUSE_UUID


async def load_pauses(conn: AsyncConnection, settings: Settings) -> Pauses:
    table = state_tables(settings.state_schema).pauses
    return Pauses.of((await conn.execute(select(table.c.alert_id))).scalars())


async def load_pause_records(
    conn: AsyncConnection, settings: Settings
) -> dict[uuid.UUID, PauseRecord]:
    """Every pause with its details, keyed by alert id (the global one included)."""
    table = state_tables(settings.state_schema).pauses
    result = await conn.execute(
        select(table.c.alert_id, table.c.paused_by, table.c.paused_at, table.c.reason)
    )
    return {row.alert_id: PauseRecord(*row) for row in result}


async def pause(
    conn: AsyncConnection,
    settings: Settings,
    alert_ids: Iterable[uuid.UUID],
    *,
    paused_by: str,
    reason: str | None,
) -> None:
    """Pause the given alerts (GLOBAL_PAUSE_UUID = all); pausing again records the new who/why."""
    rows = [
        {
            "alert_id": alert_id,
            "paused_by": paused_by[:MAX_BY_LENGTH],
            "reason": None if reason is None else reason[:MAX_REASON_LENGTH],
        }
        for alert_id in dict.fromkeys(alert_ids)
    ]
    if not rows:
        return
    table = state_tables(settings.state_schema).pauses
    statement = insert(table).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.alert_id],
        set_={
            "paused_by": statement.excluded.paused_by,
            "reason": statement.excluded.reason,
            "paused_at": func.now(),
        },
    )
    await conn.execute(statement)


async def resume(
    conn: AsyncConnection, settings: Settings, alert_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Lift the given pauses (GLOBAL_PAUSE_UUID = the global switch); return those that existed."""
    ids = list(dict.fromkeys(alert_ids))
    if not ids:
        return set()
    table = state_tables(settings.state_schema).pauses
    result = await conn.execute(
        delete(table).where(table.c.alert_id.in_(ids)).returning(table.c.alert_id)
    )
    return set(result.scalars())
