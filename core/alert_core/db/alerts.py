"""Reading alerts from the application's table."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Text, cast, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db.tables import alerts_table
from alert_core.safe_json import JsonLimitError, loads_bounded
from alert_core.settings import Settings

BATCH_SIZE = 5000
COLUMNS = ("id", "client_id", "name", "frequency", "is_active")
# The types we expect; another type is read all the same, value by value (see _row).
EXPECTED_TYPES = {"id": "uuid", "client_id": "uuid", "name": "text", "frequency": "jsonb",
                  "is_active": "boolean"}


# Stands in for an id that is not a UUID (a text id column): such a row is an invalid alert,
# shown under this stable id, and never gets a CronJob.
NOT_A_UUID_NAMESPACE = uuid.UUID("5b0c7c4e-3f3d-4a57-9d0e-6a1c0d7f4c21")
_TRUE = frozenset({"true", "t", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "f", "0", "no", "n", "off"})


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One alert as stored; ``frequency`` is the decoded JSON, validated later by the caller.

    ``problem`` says why the row cannot be read at all (an id that is not a UUID, JSON beyond
    the limits of :mod:`alert_core.safe_json`): the row is then an invalid alert.
    """

    id: uuid.UUID
    client_id: uuid.UUID | None
    name: str
    frequency: Any
    is_active: bool
    problem: str | None = None


def _select(settings: Settings) -> Select[Any]:
    # Every column as text: the driver decodes nothing (its JSON decoder recurses and raises on
    # a hostile row, stopping the whole read), and a table whose columns have other types than
    # ours (a text id) is read row by row all the same.
    table = alerts_table(settings.alerts_schema, settings.alerts_table)
    columns: list[Any] = [cast(table.c[name], Text) for name in COLUMNS]
    return select(*columns)


def _uuid(column: str, raw: str | None) -> tuple[uuid.UUID | None, str | None]:
    if raw is None:
        return None, None
    try:
        parsed = uuid.UUID(raw)
    except ValueError:
        return None, f"{column}: {raw[:40]!r} is not a UUID"
    # Canonical text only (what a uuid column gives): one alert is read back by this text.
    if str(parsed) != raw:
        return None, f"{column}: {raw[:40]!r} is not a UUID in canonical form (lower case, dashes)"
    return parsed, None


def _boolean(raw: str | None) -> tuple[bool, str | None]:
    word = (raw or "false").strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE, None
    return False, f"is_active: {word[:20]!r} is not a boolean"


def _row(values: Any) -> AlertRow:
    raw_id, raw_client, name, raw_frequency, raw_active = values
    alert_id, id_problem = _uuid("id", raw_id)
    client_id, client_problem = _uuid("client_id", raw_client)
    is_active, active_problem = _boolean(raw_active)
    frequency, frequency_problem = None, None
    if raw_frequency is not None:
        try:
            frequency = loads_bounded(raw_frequency)
        except JsonLimitError as error:
            frequency_problem = f"frequency: {error}"
    problem = id_problem or client_problem or active_problem or frequency_problem
    if alert_id is None:
        alert_id = uuid.uuid5(NOT_A_UUID_NAMESPACE, raw_id or "")
        problem = problem or "id: missing"
    return AlertRow(alert_id, client_id, name or "", frequency, is_active, problem)


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
    if await id_column_type(conn, settings) == "uuid":
        condition = table.c.id == alert_id  # the primary key's index
    else:
        condition = cast(table.c.id, Text) == str(alert_id)
    result = await conn.execute(_select(settings).where(condition))
    values = result.first()
    return None if values is None else _row(values)


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
    rows = [_row(values) for values in await conn.execute(_select(settings).where(condition))]
    return {row.id: row.name for row in rows}


async def column_types(conn: AsyncConnection, settings: Settings) -> dict[str, str]:
    """The SQL type of each column we read, as PostgreSQL names it (``format_type``)."""
    result = await conn.execute(
        text(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = to_regclass(:table) AND attnum > 0 AND NOT attisdropped"
        ),
        {"table": f'"{settings.alerts_schema}"."{settings.alerts_table}"'},
    )
    return {name: kind for name, kind in result.all() if name in COLUMNS}


async def id_column_type(conn: AsyncConnection, settings: Settings) -> str | None:
    return (await column_types(conn, settings)).get("id")


def unexpected_types(types: dict[str, str], settings: Settings) -> list[str]:
    """One line per column whose type is not the one we expect (text for a uuid id...)."""
    table = f"{settings.alerts_schema}.{settings.alerts_table}"
    close_enough = {"text": ("character varying", "character"), "jsonb": ("json", "text")}
    lines = []
    for column, expected in EXPECTED_TYPES.items():
        actual = types.get(column, "missing")
        if actual != expected and not actual.startswith(close_enough.get(expected, ())):
            lines.append(f"{table}.{column}: type {actual}, expected {expected}"
                         " (each value is checked on its own: one that does not fit makes its"
                         " row an invalid alert)")
    return lines
