"""What executing an alert means: the executor contract, the built-in ``record``, and loading.

An executor is a callable taking one :class:`RunContext`; it may be ``async`` (awaited) or plain.
It signals failure by raising: :class:`PermanentError` for a failure that no retry can fix,
anything else for a retryable one. Its database work goes through ``context.connection``, which
is inside the run's transaction: it commits together with the ``succeeded`` mark, or not at all.

``ALERT_EXECUTOR`` chooses it: ``record`` (default) or ``http`` (built in), the name of an
installed plugin (entry-point group ``alert_operator.executors``), or ``package.module:function``.
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncpg

    from alert_runner.config import RunnerSettings

ENTRY_POINT_GROUP = "alert_operator.executors"


class PermanentError(Exception):
    """A failure that would happen again on every retry (bad configuration, bad data)."""


class ExecutorNotFoundError(PermanentError):
    """``ALERT_EXECUTOR`` names nothing that can be imported and called."""


@dataclass(frozen=True, slots=True)
class AlertInfo:
    """The alert's row as the runner read it (``frequency`` is the raw JSON object)."""

    id: uuid.UUID
    client_id: uuid.UUID
    name: str
    frequency: Any
    is_active: bool


@dataclass(frozen=True, slots=True)
class RunContext:
    """Everything an executor gets: the alert, the run, and a connection in the run's
    transaction (asyncpg: ``await context.connection.execute(...)``)."""

    alert: AlertInfo
    run_id: uuid.UUID
    job_name: str
    trigger: str  # "schedule" or "manual"
    scheduled_for: datetime | None  # None for a manual run
    attempt: int  # 1 for the first pod of the Job, 2 for its first retry, ...
    triggered_by: uuid.UUID | None  # the system user for scheduled runs
    connection: asyncpg.Connection
    settings: RunnerSettings  # the runner's own settings (alert_runner.config), not Settings

    def describe(self) -> dict[str, Any]:
        """The alert and the run as JSON-ready data (what ``http`` posts)."""
        return {
            "alert": {
                "id": str(self.alert.id),
                "client_id": str(self.alert.client_id),
                "name": self.alert.name,
                "frequency": self.alert.frequency,
                "is_active": self.alert.is_active,
            },
            "run": {
                "id": str(self.run_id),
                "job_name": self.job_name,
                "trigger": self.trigger,
                "scheduled_for": _iso(self.scheduled_for),
                "attempt": self.attempt,
                "triggered_by": None if self.triggered_by is None else str(self.triggered_by),
            },
        }


Executor = Callable[[RunContext], Awaitable[None] | None]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


async def record(context: RunContext) -> None:
    """The default: one ``alert_instances`` row saying the alert fired, linked to the run."""
    schema = context.settings.state_schema
    payload = {"name": context.alert.name, "job_name": context.job_name,
               "trigger": context.trigger, "attempt": context.attempt}
    # The schema is a validated SQL identifier (RunnerSettings); every value is a bind parameter.
    await context.connection.execute(
        f'INSERT INTO "{schema}".alert_instances'  # noqa: S608
        " (alert_id, client_id, run_id, scheduled_for, triggered_by, payload)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
        context.alert.id,
        context.alert.client_id,
        context.run_id,
        context.scheduled_for,
        context.triggered_by,
        json.dumps(payload),
    )


async def _http(context: RunContext) -> None:
    # Imported on use: aiohttp costs start-up time that `record` runs should not pay.
    from alert_runner.http_executor import post_run

    await post_run(context)


BUILT_IN: dict[str, Executor] = {"record": record, "http": _http}


def _from_dotted_path(spec: str) -> object:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ExecutorNotFoundError(f"ALERT_EXECUTOR: {spec!r} is not package.module:function")
    try:
        target: object = importlib.import_module(module_name)
    except Exception as error:  # any import-time failure of the plugin is a configuration error
        raise ExecutorNotFoundError(
            f"ALERT_EXECUTOR: cannot import {module_name!r} ({type(error).__name__}: {error})"
        ) from None
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ExecutorNotFoundError(f"ALERT_EXECUTOR: {module_name!r} has no {attribute!r}")
        target = getattr(target, part)
    return target


def _from_entry_point(name: str) -> object:
    from importlib.metadata import entry_points

    found = entry_points(group=ENTRY_POINT_GROUP, name=name)
    if not found:
        raise ExecutorNotFoundError(
            f"ALERT_EXECUTOR: {name!r} is not a built-in executor (record, http), an installed"
            f" plugin ({ENTRY_POINT_GROUP}) or package.module:function"
        )
    entry = next(iter(found))
    try:
        return entry.load()
    except Exception as error:
        raise ExecutorNotFoundError(
            f"ALERT_EXECUTOR: plugin {name!r} failed to load ({type(error).__name__}: {error})"
        ) from None


def load_executor(spec: str) -> Executor:
    """The executor named by ``spec``; raises :class:`ExecutorNotFoundError` (a permanent error)."""
    spec = spec.strip()
    if spec in BUILT_IN:
        return BUILT_IN[spec]
    target = _from_dotted_path(spec) if ":" in spec else _from_entry_point(spec)
    if not callable(target):
        raise ExecutorNotFoundError(f"ALERT_EXECUTOR: {spec!r} is not callable")
    return target
