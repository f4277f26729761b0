"""Where the alerts come from: a small interface and its PostgreSQL implementation.

The reconciler sees only :class:`AlertSource` (tests give it an in-memory one); any failure to
read is one :class:`SourceError` with a one-line message, raised before anything is planned.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Protocol

import asyncpg
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from alert_core.db.alerts import AlertRow, get_alert, load_alerts
from alert_core.db.pauses import Pauses, load_pauses
from alert_core.settings import Settings

DB_TIMEOUT_SECONDS = 60.0
DB_ERRORS = (SQLAlchemyError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)
MAX_ERROR_LINE = 300


class SourceError(Exception):
    """The alerts could not be read: ``str()`` is one line, ``kind`` the error's class name."""

    def __init__(self, kind: str, line: str) -> None:
        super().__init__(f"{kind}: {line}" if line else kind)
        self.kind = kind


class AlertSource(Protocol):
    async def read_all(self) -> tuple[list[AlertRow], Pauses]:
        """Every alert row and the pauses, read together."""
        ...

    async def read_one(self, alert_id: uuid.UUID) -> tuple[AlertRow | None, Pauses]:
        """One alert row (None: no such row) and the pauses."""
        ...


class DatabaseAlertSource:
    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    async def read_all(self) -> tuple[list[AlertRow], Pauses]:
        try:
            async with asyncio.timeout(DB_TIMEOUT_SECONDS), self.engine.connect() as conn:
                rows = await load_alerts(conn, self.settings)
                return rows, await load_pauses(conn, self.settings)
        except DB_ERRORS as error:
            raise _source_error(error) from error

    async def read_one(self, alert_id: uuid.UUID) -> tuple[AlertRow | None, Pauses]:
        try:
            async with asyncio.timeout(DB_TIMEOUT_SECONDS), self.engine.connect() as conn:
                row = await get_alert(conn, self.settings, alert_id)
                return row, await load_pauses(conn, self.settings)
        except DB_ERRORS as error:
            raise _source_error(error) from error


def _source_error(error: BaseException) -> SourceError:
    first_line = (str(error).splitlines() or [""])[0][:MAX_ERROR_LINE]
    return SourceError(type(error).__name__, first_line)
