"""Where the alerts come from: a small interface and its PostgreSQL implementations.

The reconciler sees only :class:`AlertSource` (tests give it an in-memory one); any failure to
read is one :class:`SourceError` with a one-line message, raised before anything is planned.
The operator reads with asyncpg (:class:`PostgresAlertSource`: no SQLAlchemy on its start-up
path); alertctl's SQLAlchemy reads (alert_core.db.alerts) decode the rows with the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Protocol

import asyncpg

from alert_core.db.alert_rows import AlertRow
from alert_core.db.direct_reads import (
    Connection,
    read_alert,
    read_alerts,
    read_column_types,
    read_pauses,
)
from alert_core.db.engine import connect_options
from alert_core.db.pause_set import Pauses
from alert_core.settings import Settings

DB_TIMEOUT_SECONDS = 60.0
DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)
MAX_ERROR_LINE = 300
POOL_SIZE = 5


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


class PostgresAlertSource:
    """Reads on connections of its own asyncpg pool, made at the first read; :meth:`close`."""

    def __init__(self, settings: Settings, *, pool_size: int = POOL_SIZE) -> None:
        self.settings = settings
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    async def read_all(self) -> tuple[list[AlertRow], Pauses]:
        async with self._connection() as conn:
            rows = await read_alerts(conn, self.settings)
            return rows, await read_pauses(conn, self.settings)

    async def read_one(self, alert_id: uuid.UUID) -> tuple[AlertRow | None, Pauses]:
        async with self._connection() as conn:
            row = await read_alert(conn, self.settings, alert_id)
            return row, await read_pauses(conn, self.settings)

    async def column_types(self) -> dict[str, str]:
        """The SQL type of each alerts column we read (alert_core.db.alert_rows checks them)."""
        async with self._connection() as conn:
            return await read_column_types(conn, self.settings)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        try:
            async with asyncio.timeout(DB_TIMEOUT_SECONDS):
                if self._pool is None:
                    # min_size 0: no connection is opened before the first read needs one.
                    self._pool = await asyncpg.create_pool(
                        self.settings.asyncpg_dsn, min_size=0, max_size=self._pool_size,
                        **connect_options())
                async with self._pool.acquire() as conn:
                    yield conn
        except DB_ERRORS as error:
            raise _source_error(error) from error

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


def _source_error(error: BaseException) -> SourceError:
    first_line = (str(error).splitlines() or [""])[0][:MAX_ERROR_LINE]
    return SourceError(type(error).__name__, first_line)
