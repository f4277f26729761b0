"""Fixtures for the runner: alerts in app.alerts, settings, and reading alert_runs back."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import pytest

from alert_runner.config import RunnerSettings
from alert_runner.logs import LOGGER_NAME
from tests.runner import plugins

DAILY = {"type": "daily", "time": "09:00", "timezone": "Europe/Paris"}

AlertFactory = Callable[..., Awaitable[tuple[uuid.UUID, uuid.UUID]]]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
def make_alert(db: asyncpg.Connection) -> AlertFactory:
    async def make(
        frequency: dict[str, Any] | None = None, *, is_active: bool = True
    ) -> tuple[uuid.UUID, uuid.UUID]:
        client_id = uuid.uuid4()
        alert_id = await db.fetchval(
            "INSERT INTO app.alerts (client_id, name, frequency, is_active)"
            " VALUES ($1, 'Morning digest', $2::jsonb, $3) RETURNING id",
            client_id,
            json.dumps(frequency or DAILY),
            is_active,
        )
        return alert_id, client_id

    return make


SettingsFactory = Callable[..., RunnerSettings]


def settings_from_env(database_url: str, **overrides: object) -> RunnerSettings:
    """The runner's settings as the pod reads them: ``field=value`` becomes ``ALERT_FIELD``."""
    env = {"DATABASE_URL": database_url}
    env.update({f"ALERT_{name.upper()}": str(value) for name, value in overrides.items()})
    return RunnerSettings.from_env(env)


@pytest.fixture
def runner_settings(database_url: str) -> SettingsFactory:
    def build(**overrides: object) -> RunnerSettings:
        return settings_from_env(database_url, **overrides)

    return build


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    plugins.calls.clear()


@pytest.fixture(autouse=True)
def _restore_logger() -> Iterator[None]:
    """configure() detaches the runner's logger from the root; put it back for caplog."""
    yield
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


async def run_row(db: asyncpg.Connection, job_name: str) -> asyncpg.Record:
    row = await db.fetchrow("SELECT * FROM alert_operator.alert_runs WHERE job_name = $1", job_name)
    assert row is not None, f"no alert_runs row for {job_name}"
    return row


async def instances(db: asyncpg.Connection, run_id: uuid.UUID) -> int:
    count = await db.fetchval(
        "SELECT count(*) FROM alert_operator.alert_instances WHERE run_id = $1", run_id
    )
    return int(count)
