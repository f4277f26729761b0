"""Shared fixtures: one real PostgreSQL per test run, a clean database per test.

PostgreSQL: TEST_DATABASE_URL (or DATABASE_URL) when it reaches a server; otherwise a throwaway
server started from the local binaries. Neither available is a failure, with instructions.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from alert_core.db.migrate import migrate
from alert_core.settings import Settings
from devtools.demo import create_app_schema
from devtools.throwaway_pg import PostgresUnavailable, ThrowawayPostgres

APP_TEMPLATE = "alert_tmpl_app"
MIGRATED_TEMPLATE = "alert_tmpl_migrated"
_counter = itertools.count()


def _with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


async def _reachable(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def run_sql(url: str, *statements: str) -> None:
    """The statements in turn on one connection, outside a transaction (CREATE DATABASE needs
    that)."""
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _prepare_templates(server_url: str) -> None:
    await run_sql(
        server_url,
        f"DROP DATABASE IF EXISTS {MIGRATED_TEMPLATE}",
        f"DROP DATABASE IF EXISTS {APP_TEMPLATE}",
        f"CREATE DATABASE {APP_TEMPLATE}",
    )
    app_url = _with_database(server_url, APP_TEMPLATE)
    conn = await asyncpg.connect(app_url)
    try:
        await create_app_schema(conn)
    finally:
        await conn.close()
    await run_sql(server_url, f"CREATE DATABASE {MIGRATED_TEMPLATE} TEMPLATE {APP_TEMPLATE}")
    await migrate(Settings(database_url=_with_database(server_url, MIGRATED_TEMPLATE)))


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """The URL of a PostgreSQL server's maintenance database, for the whole run."""
    given = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if given:
        given = given.replace("postgresql+asyncpg://", "postgresql://")
        if not asyncio.run(_reachable(given)):
            pytest.fail("TEST_DATABASE_URL/DATABASE_URL is set but no server answers there")
        asyncio.run(_prepare_templates(given))
        yield given
        return
    directory = Path(tempfile.mkdtemp(prefix="alert-operator-pg-"))
    directory.chmod(0o755)
    server = ThrowawayPostgres(directory / "pg")
    try:
        url = server.start()
    except PostgresUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    try:
        asyncio.run(_prepare_templates(url))
        yield url
    finally:
        server.stop()


def _fresh_database(server_url: str, template: str) -> Iterator[str]:
    name = f"test_{os.getpid()}_{next(_counter)}"
    asyncio.run(run_sql(server_url, f"CREATE DATABASE {name} TEMPLATE {template}"))
    try:
        yield _with_database(server_url, name)
    finally:
        asyncio.run(run_sql(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def app_database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh database with the application's ``app.alerts`` table only (not migrated)."""
    yield from _fresh_database(pg_server_url, APP_TEMPLATE)


@pytest.fixture
def database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh database with ``app.alerts`` and our migrated objects (trigger included)."""
    yield from _fresh_database(pg_server_url, MIGRATED_TEMPLATE)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, namespace="alerts")
