"""Engines and connections, created from the settings."""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from alert_core.settings import Settings

CONNECT_TIMEOUT_SECONDS = 10
STATEMENT_TIMEOUT_MS = 30_000


def make_engine(settings: Settings, *, pool_size: int = 5) -> AsyncEngine:
    """An async engine whose connections time out instead of hanging a sync.

    asyncpg itself parses DATABASE_URL (``async_creator``), so libpq-style parameters that the
    old application's URL may carry, such as ``?sslmode=require``, keep working; SQLAlchemy's
    URL parser would pass them to asyncpg as unknown keyword arguments.
    """
    dsn = settings.asyncpg_dsn

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(
            dsn,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={
                "application_name": "alert-operator",
                "statement_timeout": str(STATEMENT_TIMEOUT_MS),
            },
        )

    return create_async_engine(
        "postgresql+asyncpg://",
        async_creator=connect,
        pool_size=pool_size,
        pool_pre_ping=True,
    )
