"""Helpers shared by the change-feed, Job-outcome, Event and status tests."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import asyncpg
import pytest

T = TypeVar("T")

DAILY = {"type": "daily", "time": "09:00", "timezone": "Europe/Paris"}


async def eventually(
    condition: Callable[[], T], *, within: float = 10.0, what: str = "a condition"
) -> T:
    """Poll (without blocking the event loop) until ``condition()`` is truthy; fail after
    ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.02)


async def insert_alert(
    conn: asyncpg.Connection,
    name: str,
    frequency: dict[str, Any] | None = None,
    *,
    client_id: uuid.UUID | None = None,
    is_active: bool = True,
) -> uuid.UUID:
    alert_id: uuid.UUID = await conn.fetchval(
        "INSERT INTO app.alerts (client_id, name, frequency, is_active)"
        " VALUES ($1, $2, $3::jsonb, $4) RETURNING id",
        client_id or uuid.uuid4(), name, json.dumps(frequency or DAILY), is_active,
    )
    return alert_id


class FakeEventsApi:
    """The one Kubernetes call the EventRecorder makes (the API boundary), recorded."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.created: list[tuple[str, dict[str, Any]]] = []

    async def create_event(self, namespace: str, body: dict[str, Any]) -> None:
        if self.fail:
            raise RuntimeError("500 Internal Server Error")
        self.created.append((namespace, body))
