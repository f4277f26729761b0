"""``/status`` (JSON), ``/metrics`` (Prometheus) and ``/healthz``, plus the liveness rule.

``/status`` is the old scheduler's ``GET /scheduler/status`` grown up: the operator's own
health, and per alert what the last reconcile saw, when Kubernetes will next run it and how
its last run ended. Alerts come from the operator's memory (no Kubernetes call per request);
their last runs from ``alert_runs`` in one query for the page being answered (the one
definition of "last run", :func:`alert_core.db.history.last_runs`), so that the
answer stays cheap on a table of 100,000 alerts (pages: ``?limit=&offset=``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from alert_core.db.engine import LazyEngine
from alert_core.frequency import zone
from alert_core.schedule import CronSyntaxError
from alert_core.settings import Settings
from alert_operator.metrics import REGISTRY
from alert_operator.overdue import OVERDUE
from alert_operator.runs_due import RUNS_DUE, cached_schedule
from alert_operator.state import AlertState, OperatorState

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from alert_operator.ui.app import OperatorParts

log = logging.getLogger(__name__)

HOST = "0.0.0.0"  # noqa: S104 - a pod's port, reached through its Service or a port-forward
DEFAULT_LIMIT = 1000
MAX_LIMIT = 5000
LAST_RUNS_TIMEOUT_SECONDS = 5.0
# After start, a database found down by the first syncs is not yet a reason to be restarted.
STARTUP_GRACE_SECONDS = 60.0

Status = Literal["running", "degraded", "dry-run"]


# --- liveness ------------------------------------------------------------------------------

def liveness_problem(
    state: OperatorState, settings: Settings, now: datetime | None = None
) -> str | None:
    """Why the operator should be restarted, or None while it is alive and useful.

    - no full sync has completed for longer than ``max_sync_age_seconds`` (counted from the
      start while there has been none: that is the start-up grace);
    - the database is unreachable (as the last sync found it), after ``STARTUP_GRACE_SECONDS``.

    Mass-delete protection is no reason: a restart would not change it.
    """
    now = now or datetime.now(UTC)
    uptime = (now - state.started_at).total_seconds()
    limit = settings.max_sync_age_seconds
    if state.last_sync_at is None:
        if uptime > limit:
            return f"no full sync has completed in {uptime:.0f}s since start (limit {limit:.0f}s)"
    else:
        age = (now - state.last_sync_at).total_seconds()
        if age > limit:
            return f"last successful full sync {age:.0f}s ago (limit {limit:.0f}s)"
    tried = state.last_sync_at is not None or state.last_sync_error is not None
    if tried and not state.database_reachable and uptime > STARTUP_GRACE_SECONDS:
        return "database unreachable" + (
            f": {state.last_sync_error}" if state.last_sync_error else ""
        )
    return None


def health(state: OperatorState, settings: Settings, now: datetime | None = None) -> tuple[
    Status, list[str]
]:
    """The one-word status of ``/status`` and the problems behind a ``degraded``."""
    problems: list[str] = []
    if state.last_sync_at is None and state.last_sync_error is None:
        problems.append("starting: no full sync has completed yet")
    elif not state.database_reachable:
        problems.append("database unreachable")
    if state.last_sync_error:
        problems.append(f"last sync: {state.last_sync_error}")
    if state.mass_delete_blocked:
        problems.append(f"mass-delete protection: {state.mass_delete_blocked}")
    if state.runs_not_started:
        others = len(state.runs_not_started) - 1
        newest = next(reversed(state.runs_not_started.values()))
        problems.append(f"runs cannot start: {newest}"
                        + (f" (and {others} more CronJob(s) like it)" if others else ""))
    alive = liveness_problem(state, settings, now)
    if alive and not any(alive in problem for problem in problems):
        problems.append(alive)
    if problems:
        return "degraded", problems
    return ("dry-run" if state.dry_run or settings.dry_run else "running"), problems


# --- next run time -------------------------------------------------------------------------

def next_run_time(alert: AlertState, now: datetime) -> str | None:
    """When Kubernetes will next start this alert's Job (ISO 8601 with the zone's offset)."""
    if alert.suspended or alert.schedule is None or alert.cronjob == "invalid":
        return None
    try:
        following = cached_schedule(alert.schedule).next_after(now, zone(alert.timezone or "UTC"))
    except (CronSyntaxError, ValueError, KeyError, OSError):
        return None  # the state holds what was applied; an unreadable one has no next time
    return None if following is None else following.isoformat()


# --- /status -------------------------------------------------------------------------------

def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0][:200]}" if text else type(error).__name__


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _page(request: web.Request) -> tuple[int, int, bool]:
    def number(name: str, default: int, low: int, high: int) -> int:
        raw = request.query.get(name)
        if raw is None:
            return default
        if not raw.isdecimal() or not low <= int(raw) <= high:
            raise web.HTTPBadRequest(
                text=f'{{"error": "{name}: must be a whole number from {low} to {high}"}}',
                content_type="application/json",
            )
        return int(raw)

    limit = number("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = number("offset", 0, 0, 10**9)
    problems_only = request.query.get("problems", "").lower() in ("1", "true", "yes")
    return limit, offset, problems_only


def _snapshot(state: OperatorState) -> list[AlertState]:
    # The reconciler may run in another thread: retry a copy that raced with a change.
    for _ in range(5):
        try:
            return list(state.alerts.values())
        except RuntimeError:
            continue
    return []


class PortError(OSError):
    """A port we must serve on cannot be bound; the message names it."""


class StatusServer:
    """Serves ``/status``, ``/metrics`` and ``/healthz`` on ``settings.status_port``, and, when
    given a ``liveness_port``, ``/healthz`` alone there too.

    The liveness port replaces kopf's own endpoint: kopf retries a failing probe handler with
    its backoff before it answers, so a probe would time out instead of getting a 503. Both
    ports answer at once, from the same rule (:func:`liveness_problem`).
    """

    def __init__(
        self,
        settings: Settings,
        state: OperatorState,
        engine: Callable[[], AsyncEngine] | None,
        *,
        host: str = HOST,
        port: int | None = None,
        liveness_port: int | None = None,
        ui_parts: OperatorParts | None = None,
    ) -> None:
        self._settings = settings
        self._ui_parts = ui_parts
        self._state = state
        # Called at the first query (SQLAlchemy is not imported before); without one given, a
        # small one of our own when there is a database to query.
        self._own_engine = engine is None and bool(settings.database_url)
        self._engine = LazyEngine(settings, pool_size=2) if self._own_engine else engine
        self._host = host
        self._port = settings.status_port if port is None else port
        self._liveness_port = liveness_port
        self._runner: web.AppRunner | None = None
        self._liveness_runner: web.AppRunner | None = None
        RUNS_DUE.watch(lambda: _snapshot(state))  # the alerts this operator schedules
        if state.dry_run or settings.dry_run:
            OVERDUE.stop_watching()  # nothing is scheduled: nothing can be overdue
        else:  # a run may start this late and last this long
            OVERDUE.watch(lambda: _snapshot(state), timedelta(
                seconds=settings.starting_deadline_seconds + settings.active_deadline_seconds))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/status", self._status)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        if self._settings.ui_enabled:  # the web UI at /ui/ (alert_operator.ui)
            # Imported here: the UI's pages import this module (health, for the overview).
            from alert_operator.ui.server import mount, ui_application

            mount(app, ui_application(self._settings, self._state, self._engine_or_none,
                                      self._ui_parts))
        return app

    def _engine_or_none(self) -> AsyncEngine | None:
        return None if self._engine is None else self._engine()

    async def start(self) -> None:
        try:
            self._runner = await self._serve(self.app(), self._port)
            if self._liveness_port is not None:
                liveness = web.Application()
                liveness.router.add_get("/healthz", self._healthz)
                self._liveness_runner = await self._serve(liveness, self._liveness_port)
        except PortError:
            await self.stop()
            raise
        log.info("status: serving /status, /metrics and /healthz on port %d", self.port)
        if self._liveness_port is not None:
            log.info("status: serving the liveness probe's /healthz on port %d",
                     _bound_port(self._liveness_runner, self._liveness_port))

    async def _serve(self, app: web.Application, port: int) -> web.AppRunner:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, port).start()
        except OSError as error:
            await runner.cleanup()
            raise PortError(error.errno, f"port {port}: {error.strerror}") from error
        return runner

    @property
    def port(self) -> int:
        """The bound port (useful when started on port 0)."""
        return _bound_port(self._runner, self._port)

    @property
    def liveness_port(self) -> int | None:
        if self._liveness_port is None:
            return None
        return _bound_port(self._liveness_runner, self._liveness_port)

    async def stop(self) -> None:
        for runner in (self._runner, self._liveness_runner):
            if runner is not None:
                await runner.cleanup()
        self._runner = self._liveness_runner = None
        if self._own_engine and isinstance(self._engine, LazyEngine):
            await self._engine.dispose()

    async def _healthz(self, _request: web.Request) -> web.Response:
        # Answers at once: the rule reads the operator's state, never the database or the API.
        problem = liveness_problem(self._state, self._settings)
        if problem:
            return web.Response(status=503, text=problem + "\n")
        return web.Response(text="ok\n")

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(REGISTRY),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _status(self, request: web.Request) -> web.Response:
        limit, offset, problems_only = _page(request)
        state, now = self._state, datetime.now(UTC)
        everything = _snapshot(state)
        alerts = everything
        if problems_only:
            alerts = [a for a in everything if a.problem or a.cronjob != "in sync"]
        alerts.sort(key=lambda a: (a.name.casefold(), str(a.id)))
        page = alerts[offset : offset + limit]
        last_runs, runs_error = await self._last_runs([a.id for a in page])
        status, problems = health(state, self._settings, now)
        if runs_error:
            status = "degraded"
            problems.append(f"last runs: {runs_error}")
        body: dict[str, Any] = {
            "status": status,
            "problems": problems,
            "dry_run": state.dry_run or self._settings.dry_run,
            "namespace": self._settings.namespace,
            "job_count": state.managed_cronjobs,
            "alert_count": len(everything),
            "invalid_count": sum(1 for a in everything if a.cronjob == "invalid"),
            "last_sync_at": _iso(state.last_sync_at),
            "last_sync_error": state.last_sync_error,
            "database_reachable": state.database_reachable,
            "mass_delete_blocked": state.mass_delete_blocked,
            "started_at": _iso(state.started_at),
            "offset": offset,
            "limit": limit,
            "total": len(alerts),
            "alerts": [self._alert(a, now, last_runs.get(a.id)) for a in page],
        }
        return web.json_response(body)

    @staticmethod
    def _alert(
        alert: AlertState, now: datetime, last_run: dict[str, Any] | None
    ) -> dict[str, Any]:
        return {
            "id": str(alert.id),
            "name": alert.name,
            "schedule": alert.schedule,
            "timezone": alert.timezone,
            "suspended": alert.suspended,
            "cronjob": alert.cronjob,
            "problem": alert.problem,
            "next_run_time": next_run_time(alert, now),
            "last_run": last_run,
        }

    async def _last_runs(
        self, ids: list[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, dict[str, Any]], str | None]:
        """The latest run of each alert, in one query; an error leaves them out, said why."""
        if not ids:
            return {}, None
        if self._engine is None:
            return {}, "no database connection yet"
        # Imported at the first query, with the engine (SQLAlchemy): not on the start-up path.
        from sqlalchemy.exc import SQLAlchemyError

        from alert_core.db.history import last_runs

        # The one definition of "last run" (alert_core.db.history), as alertctl status has it.
        try:
            async with asyncio.timeout(LAST_RUNS_TIMEOUT_SECONDS):
                async with self._engine().connect() as conn:
                    runs = await last_runs(conn, self._settings, ids)
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            message = _one_line(error)
            log.warning("status: cannot read the last runs: %s", message)
            return {}, message
        return {
            alert_id: {
                "status": run.status,
                "trigger": run.trigger,
                "job_name": run.job_name,
                "scheduled_for": _iso(run.scheduled_for),
                "started_at": _iso(run.started_at),
                "finished_at": _iso(run.finished_at),
                "error": run.error,
            }
            for alert_id, run in runs.items()
        }, None


def _bound_port(runner: web.AppRunner | None, port: int) -> int:
    if runner is not None:
        for address in runner.addresses:
            if isinstance(address, tuple):
                return int(address[1])
    return port
