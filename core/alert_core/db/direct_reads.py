"""The operator's reads of the alerts and the pauses, on a bare asyncpg connection.

The same queries as alert_core.db.alerts and alert_core.db.pauses (every alert column as text,
decoded by alert_core.db.alert_rows), without SQLAlchemy: the operator's first full sync reads
through these, and SQLAlchemy is imported only when a part that needs it is first used.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from alert_core.db.alert_rows import (
    BATCH_SIZE,
    COLUMNS,
    AlertRow,
    column_types_sql,
    decode_row,
    our_column_types,
    quoted_table,
)
from alert_core.db.names import PAUSES_TABLE
from alert_core.db.pause_set import Pauses
from alert_core.settings import Settings

# A connection of its own, or one of a pool (asyncpg's classes are generic to the type checker
# only).
Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"


# Schema and table names are validated SQL identifiers (Settings); values are bind parameters.
def _select(settings: Settings) -> str:
    columns = ", ".join(f"CAST({name} AS TEXT)" for name in COLUMNS)
    return f"SELECT {columns} FROM {quoted_table(settings)}"  # noqa: S608


async def read_alerts(conn: Connection, settings: Settings) -> list[AlertRow]:
    """All alerts, fetched from a server-side cursor in batches of :data:`BATCH_SIZE`."""
    rows: list[AlertRow] = []
    async with conn.transaction():  # a cursor lives in a transaction
        cursor = await conn.cursor(_select(settings))
        while batch := await cursor.fetch(BATCH_SIZE):
            rows.extend(decode_row(values) for values in batch)
    return rows


async def read_alert(
    conn: Connection, settings: Settings, alert_id: uuid.UUID
) -> AlertRow | None:
    """One alert (None: no such row), by the primary key's index when the id is a uuid."""
    if (await read_column_types(conn, settings)).get("id") == "uuid":
        values = await conn.fetchrow(f"{_select(settings)} WHERE id = $1", alert_id)
    else:
        values = await conn.fetchrow(f"{_select(settings)} WHERE CAST(id AS TEXT) = $1",
                                     str(alert_id))
    return None if values is None else decode_row(values)


async def read_pauses(conn: Connection, settings: Settings) -> Pauses:
    table = f'"{settings.state_schema}"."{PAUSES_TABLE}"'
    ids = await conn.fetch(f"SELECT CAST(alert_id AS TEXT) FROM {table}")  # noqa: S608
    return Pauses.of(uuid.UUID(text) for text, in ids)


async def read_column_types(conn: Connection, settings: Settings) -> dict[str, str]:
    """The SQL type of each column we read, as PostgreSQL names it (``format_type``)."""
    pairs = await conn.fetch(column_types_sql("$1"), quoted_table(settings))
    return our_column_types(pairs)
