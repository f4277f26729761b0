"""Reading alerts from the application's table through SQLAlchemy (alertctl, the web UI); the
operator's own reads are alert_core.db.direct_reads, the rows' decoding alert_core.db.alert_rows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from sqlalchemy import Select, Text, cast, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db.alert_rows import (
    BATCH_SIZE,
    COLUMNS,
    AlertRow,
    column_types_sql,
    decode_row,
    our_column_types,
    quoted_table,
    unexpected_types,
)
from alert_core.db.tables import alerts_table
from alert_core.settings import Settings

# Kept importable from here, where they were defined before alert_core.db.alert_rows.
__all__ = ["BATCH_SIZE", "AlertRow", "alert_names", "column_types", "get_alert", "id_column_type",
           "iter_alerts", "load_alerts", "unexpected_types"]


def _select(settings: Settings) -> Select[Any]:
    # Every column as text, decoded by decode_row (alert_core.db.alert_rows says why).
    table = alerts_table(settings.alerts_schema, settings.alerts_table)
    columns: list[Any] = [cast(table.c[name], Text) for name in COLUMNS]
    return select(*columns)


async def iter_alerts(conn: AsyncConnection, settings: Settings) -> AsyncIterator[list[AlertRow]]:
    """All alerts, in batches, from a server-side cursor (never the whole table as objects)."""
    statement = _select(settings).execution_options(yield_per=BATCH_SIZE)
    result = await conn.stream(statement)
    async for partition in result.partitions(BATCH_SIZE):
        yield [decode_row(values) for values in partition]


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
    if await id_column_type(conn, settings) == "uuid":
        condition = table.c.id == alert_id  # the primary key's index
    else:
        condition = cast(table.c.id, Text) == str(alert_id)
    result = await conn.execute(_select(settings).where(condition))
    values = result.first()
    return None if values is None else decode_row(values)


async def alert_names(
    conn: AsyncConnection, settings: Settings, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The names of those of ``ids`` that are alerts (one query)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    table = alerts_table(settings.alerts_schema, settings.alerts_table)
    if await id_column_type(conn, settings) == "uuid":
        condition = table.c.id.in_(wanted)
    else:
        condition = cast(table.c.id, Text).in_([str(alert_id) for alert_id in wanted])
    rows = [decode_row(values) for values in await conn.execute(_select(settings).where(condition))]
    return {row.id: row.name for row in rows}


async def column_types(conn: AsyncConnection, settings: Settings) -> dict[str, str]:
    """The SQL type of each column we read, as PostgreSQL names it (``format_type``)."""
    result = await conn.execute(text(column_types_sql(":table")),
                                {"table": quoted_table(settings)})
    return our_column_types(result.all())


async def id_column_type(conn: AsyncConnection, settings: Settings) -> str | None:
    return (await column_types(conn, settings)).get("id")
