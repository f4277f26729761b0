"""Engines and connections, created from the settings.

SQLAlchemy is imported by :func:`make_engine` itself, not by this module: the operator reads
its alerts with asyncpg (:func:`connect_options`, one definition of how we connect) and makes
its engine only when a part that needs one is first used (:class:`LazyEngine`), which keeps
SQLAlchemy's few hundred milliseconds of imports off its start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import asyncpg

from alert_core.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

CONNECT_TIMEOUT_SECONDS = 10
STATEMENT_TIMEOUT_MS = 30_000


def connect_options() -> dict[str, Any]:
    """asyncpg's keyword arguments for every connection: a bounded connect, a bounded
    statement, and our name in ``pg_stat_activity``."""
    return {
        "timeout": CONNECT_TIMEOUT_SECONDS,
        "server_settings": {
            "application_name": "alert-operator",
            "statement_timeout": str(STATEMENT_TIMEOUT_MS),
        },
    }


def make_engine(settings: Settings, *, pool_size: int = 5) -> AsyncEngine:
    """An async engine whose connections time out instead of hanging a sync.

    asyncpg itself parses DATABASE_URL (``async_creator``), so libpq-style parameters that the
    old application's URL may carry, such as ``?sslmode=require``, keep working; SQLAlchemy's
    URL parser would pass them to asyncpg as unknown keyword arguments.
    """
    # Here, not at the top: see the module's docstring.
    from sqlalchemy.ext.asyncio import create_async_engine

    dsn = settings.asyncpg_dsn

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(dsn, **connect_options())

    return create_async_engine(
        "postgresql+asyncpg://",
        async_creator=connect,
        pool_size=pool_size,
        pool_pre_ping=True,
    )


class LazyEngine:
    """An engine made at the first call (see the module's docstring); :meth:`dispose` it."""

    def __init__(self, settings: Settings, *, pool_size: int = 5) -> None:
        self._settings = settings
        self._pool_size = pool_size
        self._engine: AsyncEngine | None = None

    def __call__(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = make_engine(self._settings, pool_size=self._pool_size)
        return self._engine

    async def dispose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
