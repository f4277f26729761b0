"""How alertctl's commands reach the database: ids from the command line, one connection, and
one-line errors (exit 2 for bad input, 1 for a database that fails or an unknown alert)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db.engine import make_engine
from alert_core.db.tables import alerts_table
from alert_core.settings import Settings
from alert_ctl.alert_ids import AlertIdError
from alert_ctl.common import EXIT_FAILURE, EXIT_USAGE, describe_database_error, fail, run_async

T = TypeVar("T")


class UnknownAlertsError(LookupError):
    """Alert ids that are in neither the alerts table nor our own tables."""

    def __init__(self, ids: list[uuid.UUID]) -> None:
        super().__init__(", ".join(map(str, ids)))
        self.ids = ids


def parse_alert_id(text: str, what: str = "alert id") -> uuid.UUID:
    """``text`` as a UUID, else exit 2 with one line naming ``what`` it was meant to be."""
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        fail(f"{what} {text[:80]!r}: not a UUID", EXIT_USAGE)


def require_database(settings: Settings) -> None:
    if not settings.database_url:
        fail("DATABASE_URL: not set (give --database-url or set DATABASE_URL)", EXIT_USAGE)


async def existing_alert_ids(
    conn: AsyncConnection, settings: Settings, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    table = alerts_table(settings.alerts_schema, settings.alerts_table)
    wanted = list(ids)
    if not wanted:
        return set()
    result = await conn.execute(select(table.c.id).where(table.c.id.in_(wanted)))
    return set(result.scalars())


def with_connection(
    settings: Settings,
    work: Callable[[AsyncConnection], Awaitable[T]],
    *,
    write: bool = False,
) -> T:
    """Run ``work`` on one connection (in a transaction when ``write``); errors become one line."""
    require_database(settings)

    async def run() -> T:
        engine = make_engine(settings, pool_size=1)
        try:
            if write:
                async with engine.begin() as conn:
                    return await work(conn)
            async with engine.connect() as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    try:
        return run_async(run)
    except UnknownAlertsError as error:
        noun = "alert" if len(error.ids) == 1 else "alerts"
        fail(f"unknown {noun}: {error}", EXIT_FAILURE)
    except AlertIdError as error:
        fail(str(error), EXIT_FAILURE)
    except (OSError, SQLAlchemyError) as error:
        message = describe_database_error(error)
        if "does not exist" in message and "relation" in message:
            message += " (run `alertctl migrate` first)"
        fail(message, EXIT_FAILURE)
