"""Reading alerts from the application's table."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db.tables import alerts_table
from alert_core.settings import Settings

BATCH_SIZE = 5000


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One alert as stored; ``frequency`` is the raw JSON, validated later by the caller."""

    id: uuid.UUID
    client_id: uuid.UUID | None
    name: str
    frequency: Any
    is_active: bool


def _select(settings: Settings) -> Select[Any]:
    table = alerts_table(settings.alerts_schema, settings.alerts_table)
    return select(
        table.c.id, table.c.client_id, table.c.name, table.c.frequency, table.c.is_active
    )


def _row(values: Any) -> AlertRow:
    alert_id, client_id, name, frequency, is_active = values
    return AlertRow(alert_id, client_id, name or "", frequency, bool(is_active))


async def iter_alerts(conn: AsyncConnection, settings: Settings) -> AsyncIterator[list[AlertRow]]:
    """All alerts, in batches, from a server-side cursor (never the whole table as objects)."""
    statement = _select(settings).execution_options(yield_per=BATCH_SIZE)
    result = await conn.stream(statement)
    async for partition in result.partitions(BATCH_SIZE):
        yield [_row(values) for values in partition]


async def load_alerts(conn: AsyncConnection, settings: Settings) -> list[AlertRow]:
    """All alerts as light rows (a few hundred bytes each: 100,000 fit in tens of MB)."""
    rows: list[AlertRow] = []
    async for batch in iter_alerts(conn, settings):
        rows.extend(batch)
    return rows


async def get_alert(
    conn: AsyncConnection, settings: Settings, alert_id: uuid.UUID
) -> AlertRow | None:
    table = alerts_table(settings.alerts_schema, settings.alerts_table)
    result = await conn.execute(_select(settings).where(table.c.id == alert_id))
    values = result.first()
    return None if values is None else _row(values)
