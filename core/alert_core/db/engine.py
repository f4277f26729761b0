"""Engines and connections, created from the settings."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from alert_core.settings import Settings

CONNECT_TIMEOUT_SECONDS = 10
STATEMENT_TIMEOUT_MS = 30_000


def make_engine(settings: Settings, *, pool_size: int = 5) -> AsyncEngine:
    """An async engine whose connections time out instead of hanging a sync."""
    return create_async_engine(
        settings.sqlalchemy_url,
        pool_size=pool_size,
        pool_pre_ping=True,
        connect_args={
            "timeout": CONNECT_TIMEOUT_SECONDS,
            "server_settings": {
                "application_name": "alert-operator",
                "statement_timeout": str(STATEMENT_TIMEOUT_MS),
            },
        },
    )
