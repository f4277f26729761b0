"""What the pages read: the database (alerts, pauses, runs) and the cluster (the CronJob, its
Events), each with a time limit and a one-line reason when it cannot be read."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar, runtime_checkable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from alert_core.db.alerts import AlertRow, get_alert, load_alerts
from alert_core.db.history import RunRecord, alert_history, last_runs
from alert_core.db.pauses import PauseRecord, load_pause_records
from alert_core.settings import Settings
from alert_operator.kube import ApiError
from alert_operator.state import OperatorState
from alert_operator.ui.catalog import (
    AlertView,
    NextRuns,
    ViewCache,
    build_views,
    fill_next_runs,
)

READ_TIMEOUT_SECONDS = 10.0
HISTORY_LIMIT = 50
EVENTS_LIMIT = 20
T = TypeVar("T")


class ReadError(RuntimeError):
    """The database or the cluster could not be read; the message is one line, no secrets."""


@runtime_checkable
class ClusterReader(Protocol):
    """The calls of :class:`alert_operator.kube.HttpKubeApi` the pages use."""

    async def get_cronjob(self, namespace: str, name: str) -> dict[str, Any] | None: ...

    async def list_events(self, namespace: str, object_name: str) -> list[dict[str, Any]]: ...


def one_line(error: BaseException) -> str:
    # SQLAlchemy's messages may carry the statement but never the URL; the first line is enough.
    text = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def in_connection(
    engine: AsyncEngine | None, work: Callable[[AsyncConnection], Awaitable[T]]
) -> T:
    if engine is None:
        raise ReadError("no database connection yet")
    try:
        async with asyncio.timeout(READ_TIMEOUT_SECONDS), engine.connect() as conn:
            return await work(conn)
    except (SQLAlchemyError, OSError, TimeoutError) as error:
        raise ReadError(f"database: {one_line(error)}") from None


async def read_views(
    engine: AsyncEngine | None, settings: Settings, state: OperatorState,
    cache: ViewCache | None = None,
) -> list[AlertView]:
    """Every alert as a view; validating 10,000 takes a second of CPU, so in a thread (the
    operator's event loop goes on meanwhile)."""

    async def work(conn: AsyncConnection) -> tuple[list[AlertRow], dict[uuid.UUID, PauseRecord]]:
        return await load_alerts(conn, settings), await load_pause_records(conn, settings)

    rows, pauses = await in_connection(engine, work)
    return await asyncio.to_thread(build_views, rows, pauses, state,
                                   settings.schedule_spread_minutes, cache)


async def read_one_view(
    engine: AsyncEngine | None, settings: Settings, state: OperatorState, alert_id: uuid.UUID,
    now: datetime,
) -> AlertView | None:
    async def work(conn: AsyncConnection) -> AlertView | None:
        row = await get_alert(conn, settings, alert_id)
        if row is None:
            return None
        pauses = await load_pause_records(conn, settings)
        [view] = build_views([row], pauses, state, settings.schedule_spread_minutes)
        fill_next_runs([view], now, NextRuns())
        return view

    return await in_connection(engine, work)


async def read_last_runs(
    engine: AsyncEngine | None, settings: Settings, ids: list[uuid.UUID] | None
) -> dict[uuid.UUID, RunRecord]:
    """The last run of the given alerts (None: of all)."""
    if ids is not None and not ids:
        return {}

    async def work(conn: AsyncConnection) -> dict[uuid.UUID, RunRecord]:
        return await last_runs(conn, settings, ids)

    return await in_connection(engine, work)


async def read_history(
    engine: AsyncEngine | None, settings: Settings, alert_id: uuid.UUID
) -> list[RunRecord]:
    async def work(conn: AsyncConnection) -> list[RunRecord]:
        return await alert_history(conn, settings, alert_id, HISTORY_LIMIT)

    return await in_connection(engine, work)


@dataclass(frozen=True)
class ClusterView:
    """The CronJob as the cluster has it and its recent Events, or why they are missing."""

    cronjob: dict[str, Any] | None
    events: list[dict[str, Any]]
    error: str | None


_USERINFO = re.compile(r"(://)[^/@\s]+@")
_SECRET_NAME = re.compile(r"TOKEN|PASSWORD|SECRET|KEY|DSN|DATABASE_URL", re.IGNORECASE)


def hide_secrets(cronjob: dict[str, Any]) -> None:
    """Mask what the CronJob's pods get as literal values and could be a credential: a value
    whose name says so, and the user:password of any URL. (Ours come from Secrets; a hand-made
    ``extraEnv`` or an executor URL may not.)"""
    pod = ((((cronjob.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {})
           .get("template") or {}).get("spec") or {}
    for container in [*(pod.get("containers") or []), *(pod.get("initContainers") or [])]:
        for variable in container.get("env") or []:
            value = variable.get("value")
            if not isinstance(value, str):
                continue
            if _SECRET_NAME.search(str(variable.get("name", ""))):
                variable["value"] = "(hidden)"
            else:
                variable["value"] = _USERINFO.sub(r"\1(hidden)@", value)


def _event_time(event: dict[str, Any]) -> str:
    return str(event.get("lastTimestamp") or event.get("eventTime")
               or (event.get("metadata") or {}).get("creationTimestamp") or "")


async def read_cluster(api: object, settings: Settings, name: str) -> ClusterView:
    if not isinstance(api, ClusterReader):
        return ClusterView(None, [], "not connected to the cluster (yet)")
    try:
        async with asyncio.timeout(READ_TIMEOUT_SECONDS):
            cronjob = await api.get_cronjob(settings.namespace, name)
            events = await api.list_events(settings.namespace, name)
    except (ApiError, TimeoutError) as error:
        return ClusterView(None, [], f"cluster: {one_line(error)}")
    if cronjob is not None:
        (cronjob.get("metadata") or {}).pop("managedFields", None)
        hide_secrets(cronjob)
    events.sort(key=_event_time, reverse=True)
    return ClusterView(cronjob, events[:EVENTS_LIMIT], None)
