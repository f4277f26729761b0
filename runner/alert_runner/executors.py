"""What executing an alert means: the executor contract, the built-in ``record``, and loading.

An executor is a callable taking one :class:`RunContext`; it may be ``async`` (awaited) or plain
(run in a worker thread, so that a signal still ends the run at once). It signals failure by
raising: :class:`PermanentError` for a failure that no retry can fix, anything else for a
retryable one.

Its effects are of one of two kinds (README, "Executor contract"). ``database`` (the default for
an ``async`` executor, and ``record``): its work goes through ``context.connection``, inside the
run's transaction, and commits together with the ``succeeded`` mark or not at all. ``external``
(``http``, a plain function, or any executor decorated with :func:`external_effects` or carrying
``alert_effects = "external"``): it is called with no transaction open, after the claim has been
committed with a lease, and its outcome is recorded afterwards; it may run more than once for a
Job (a retry after a crash), always with the same ``context.run_id`` as idempotency key.

``ALERT_EXECUTOR`` chooses it: ``record`` (default) or ``http`` (built in), the name of an
installed plugin (entry-point group ``alert_operator.executors``), or ``package.module:function``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

if TYPE_CHECKING:
    import asyncpg

    from alert_runner.config import RunnerSettings

ENTRY_POINT_GROUP = "alert_operator.executors"
Effects = Literal["database", "external"]
EFFECTS_ATTRIBUTE: Final = "alert_effects"
LEASE_ATTRIBUTE: Final = "alert_lease_seconds"
# How long an external call may take before another pod may take the run over.
DEFAULT_LEASE_SECONDS: Final = 300.0
# The http executor's lease: its timeout plus time to record the outcome.
HTTP_LEASE_MARGIN_SECONDS: Final = 30.0


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


E = TypeVar("E", bound=Callable[..., Any])


def external_effects(lease_seconds: float = DEFAULT_LEASE_SECONDS) -> Callable[[E], E]:
    """Declare an executor's effects to be outside the database: it is called with no
    transaction open, and another pod takes its run over only after ``lease_seconds`` (the
    longest a call may take). The same as setting ``alert_effects = "external"`` and
    ``alert_lease_seconds`` on the callable, for plug-ins that do not import the runner."""
    if not lease_seconds > 0:
        raise ValueError(f"lease_seconds: {lease_seconds!r} is not a positive number")

    def declare(executor: E) -> E:
        setattr(executor, EFFECTS_ATTRIBUTE, "external")
        setattr(executor, LEASE_ATTRIBUTE, float(lease_seconds))
        return executor

    return declare


def is_async(executor: Executor) -> bool:
    call = getattr(executor, "__call__", None)  # noqa: B004 (an object with an async __call__)
    return inspect.iscoroutinefunction(executor) or inspect.iscoroutinefunction(call)


def effects_of(executor: Executor) -> Effects:
    """What the executor declares; undeclared, a plain function is ``external``: it cannot use
    the run's (asyncio) connection from its worker thread."""
    declared = getattr(executor, EFFECTS_ATTRIBUTE, None)
    if declared in ("database", "external"):
        return declared  # type: ignore[no-any-return]
    return "database" if is_async(executor) else "external"


def lease_seconds(executor: Executor, settings: RunnerSettings) -> float | None:
    """The lease an external executor's claim carries; None (no lease) for database effects."""
    if effects_of(executor) == "database":
        return None
    if executor is _http:
        return settings.http_timeout_seconds + HTTP_LEASE_MARGIN_SECONDS
    declared = getattr(executor, LEASE_ATTRIBUTE, DEFAULT_LEASE_SECONDS)
    return float(declared)


@external_effects()
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
    declared = getattr(target, EFFECTS_ATTRIBUTE, "database")
    if declared not in ("database", "external"):
        raise ExecutorNotFoundError(
            f"ALERT_EXECUTOR: {spec!r} declares {EFFECTS_ATTRIBUTE} = {str(declared)[:40]!r}"
            " (expected 'database' or 'external')"
        )
    lease = getattr(target, LEASE_ATTRIBUTE, DEFAULT_LEASE_SECONDS)
    if isinstance(lease, bool) or not isinstance(lease, int | float) or not lease > 0:
        raise ExecutorNotFoundError(
            f"ALERT_EXECUTOR: {spec!r} declares {LEASE_ATTRIBUTE} = {str(lease)[:40]!r}"
            " (expected a positive number of seconds)"
        )
    return target
