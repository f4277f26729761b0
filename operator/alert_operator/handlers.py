"""The operator's moving parts and the thin kopf handlers that drive them.

:class:`Runtime` owns the engine, the API client, the reconciler, the periodic full sync and
the change feed; it runs the same with kopf (``operate``) or without a cluster (dry-run quick
start). Its own watch of the CronJobs (:mod:`alert_operator.cronjob_watch`) feeds the
reconciler's queue. The kopf handlers only forward: login -> the API client, Job events -> the
run recorder and the watch on runs that cannot start, cleanup -> shutdown. The liveness probe
is answered by the status server (:mod:`alert_operator.status`), not by kopf.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import kopf

from alert_core.cronjob import MANAGED_BY, MANAGED_BY_LABEL
from alert_core.db.alert_rows import unexpected_types
from alert_core.db.engine import LazyEngine
from alert_core.settings import Settings
from alert_operator import status
from alert_operator.changefeed import ChangeFeed
from alert_operator.cronjob_watch import CronJobWatch
from alert_operator.events import EventRecorder
from alert_operator.jobs import JobOutcomeRecorder
from alert_operator.kube import HttpKubeApi, KubeApi, is_managed
from alert_operator.login import KubeLogin, LoginFailure
from alert_operator.reconciler import Reconciler
from alert_operator.source import PostgresAlertSource, SourceError
from alert_operator.state import OperatorState
from alert_operator.unstarted import UnstartedRuns

log = logging.getLogger(__name__)

RETRY_AFTER_ERROR_SECONDS = (2.0, 5.0, 10.0, 30.0, 60.0)
RETRY_LOGIN_SECONDS = 10.0
SHUTDOWN_GRACE_SECONDS = 20.0
COLUMN_CHECK_TIMEOUT_SECONDS = 10.0
WATCH_READY_TIMEOUT_SECONDS = 10.0  # the first sync waits this long for the watch's version
MANAGED_LABELS = {MANAGED_BY_LABEL: MANAGED_BY}


@dataclass
class Runtime:
    """Everything one operator process runs; kept in kopf's memo as ``memo.runtime``."""

    settings: Settings
    state: OperatorState
    api: KubeApi | None = None
    source: PostgresAlertSource | None = None
    reconciler: Reconciler | None = None
    events: EventRecorder | None = None
    jobs: JobOutcomeRecorder | None = None
    unstarted: UnstartedRuns | None = None
    watch: CronJobWatch | None = None
    status_server: status.StatusServer | None = None
    logged_in: asyncio.Event = field(default_factory=asyncio.Event)
    kube_login: KubeLogin = field(default_factory=KubeLogin)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # SQLAlchemy's, for the parts that write or query runs: made when one first needs it (the
    # alerts are read with asyncpg, by the source).
    engine: LazyEngine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = LazyEngine(self.settings)

    def start(self, api: KubeApi) -> None:
        """Build the parts around ``api`` and start the periodic sync and the change feed."""
        self.api = api
        self.events = EventRecorder(api, self.settings)
        self.source = PostgresAlertSource(self.settings)
        # The Event recorder learns each CronJob's uid from the full sync's list (kubectl
        # describe matches Events by uid too) and from the watch's events.
        self.reconciler = Reconciler(self.settings, self.source, api, self.state, self.events,
                                     seen=self.events.note_object)
        self.jobs = JobOutcomeRecorder(self.engine, self.settings, self.events)
        self.unstarted = UnstartedRuns(self.settings, self.state, self.events)
        feed = ChangeFeed(self.settings, self._on_change, self._on_reconnect)
        self.tasks = [
            asyncio.create_task(self._resync_loop(), name="alert-operator-resync"),
            asyncio.create_task(feed.run(), name="alert-operator-changefeed"),
            asyncio.create_task(self.reconciler.run_events(), name="alert-operator-events"),
            asyncio.create_task(self.unstarted.run(), name="alert-operator-unstarted-runs"),
        ]
        if isinstance(api, HttpKubeApi):  # a dry-run's shadow cluster changes only by our writes
            self.watch = CronJobWatch(api, self.settings.namespace, self.note_cronjob_event,
                                      self.reconciler.full_sync_wanted.set)
            self.tasks.append(asyncio.create_task(self.watch.run(),
                                                  name="alert-operator-cronjob-watch"))

    def note_cronjob_event(self, event_type: str, raw: Mapping[str, Any]) -> None:
        """A managed CronJob's watch event (the watch checked the label), reduced at once (no
        body is kept)."""
        if self.reconciler is None:
            return
        metadata = raw.get("metadata") or {}
        if self.events is not None and metadata.get("uid") and event_type != "DELETED":
            # kubectl describe matches Events by the object's uid too
            self.events.note_object(str(metadata.get("name")), str(metadata["uid"]))
        if self.unstarted is not None and event_type == "DELETED":
            self.unstarted.forget_cronjob(str(metadata.get("name")))
        self.reconciler.note_cronjob_event(event_type, raw)

    async def start_status(self) -> None:
        """/status, /metrics (and the web UI), querying runs through our engine."""
        self.status_server = status.StatusServer(self.settings, self.state, self.engine,
                                                 liveness_port=self.settings.liveness_port,
                                                 ui_parts=self)
        await self.status_server.start()

    async def _on_change(self, alert_id: uuid.UUID | None) -> None:
        assert self.reconciler is not None
        if alert_id is None:  # TRUNCATE or a request for everything
            self.reconciler.full_sync_wanted.set()
        else:
            await self.reconciler.sync_alert(alert_id)

    async def _on_reconnect(self) -> None:
        # Notifications may have been lost while the connection was down.
        assert self.reconciler is not None
        self.reconciler.full_sync_wanted.set()

    async def _check_columns(self) -> None:
        """One warning line per column of the alerts table whose type is not ours (a text id):
        such a table is read all the same, each value checked on its own."""
        assert self.source is not None
        try:
            async with asyncio.timeout(COLUMN_CHECK_TIMEOUT_SECONDS):
                types = await self.source.column_types()
        except (SourceError, TimeoutError):
            return  # the full sync reports the database
        for line in unexpected_types(types, self.settings):
            log.warning("alerts table: %s", line)

    async def _resync_loop(self) -> None:
        assert self.reconciler is not None
        await self._check_columns()
        reconciler, failures = self.reconciler, 0
        if self.watch is not None:  # a change before the watch's version is in the first sync
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.watch.ready.wait(), WATCH_READY_TIMEOUT_SECONDS)
        while True:
            reconciler.full_sync_wanted.clear()
            try:
                result = await reconciler.full_sync()
            except Exception:  # a bug must not stop the schedule keeper for good
                log.exception("full sync crashed")
                result = None
            if result is not None and result.ok:
                failures, wait = 0, self.settings.resync_interval_seconds
            else:
                wait = RETRY_AFTER_ERROR_SECONDS[min(failures, len(RETRY_AFTER_ERROR_SECONDS) - 1)]
                wait = min(wait, self.settings.resync_interval_seconds)
                failures += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reconciler.full_sync_wanted.wait(), timeout=wait)

    async def stop(self) -> None:
        """Start no new write, let the writes in flight finish (bounded: within kopf's exit
        timeout), stop listening and syncing, release everything."""
        if self.reconciler is not None:
            await self.reconciler.applier.drain(SHUTDOWN_GRACE_SECONDS)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.status_server is not None:
            await self.status_server.stop()
        if isinstance(self.api, HttpKubeApi):
            await self.api.close()
        if self.source is not None:
            await self.source.close()
        await self.engine.dispose()
        log.info("alert-operator stopped")


# --- kopf handlers ------------------------------------------------------------------------------

def _runtime(memo: Any) -> Runtime:
    runtime: Runtime = memo.runtime
    return runtime


async def on_startup(memo: Any, **_: Any) -> None:
    runtime = _runtime(memo)
    log.info("alert-operator starting in namespace %s%s", runtime.settings.namespace,
             " (dry-run: nothing will be written)" if runtime.settings.dry_run else "")


async def on_login(memo: Any, **_: Any) -> Any:
    """The kubernetes client's configuration loading (alert_operator.login), for kopf and for
    our API client; kopf calls it again when the credentials expire or get a 401. A failed
    login is reported in one line and retried (kopf retries a TemporaryError, no traceback)."""
    runtime = _runtime(memo)
    try:
        connection = await asyncio.to_thread(runtime.kube_login.login)
    except LoginFailure as error:
        raise kopf.TemporaryError(f"cannot log in: {error}", delay=RETRY_LOGIN_SECONDS) from None
    if runtime.api is None:
        runtime.start(HttpKubeApi(connection, relogin=runtime.kube_login.login,
                                  ui_actions=runtime.settings.ui_actions_enabled))
    elif isinstance(runtime.api, HttpKubeApi):  # a re-login: rotated token or certificate
        runtime.api.update_credentials(connection)
    runtime.logged_in.set()
    return connection


async def on_job_event(*, memo: Any, event: Any, **_: Any) -> None:
    runtime = _runtime(memo)
    raw = dict(event.get("object") or {})
    # DELETED too: a Job removed by its TTL carries its final conditions one last time.
    if runtime.jobs is None or not is_managed(raw):
        return
    if runtime.unstarted is not None:
        runtime.unstarted.note(event.get("type"), raw)
    await runtime.jobs.handle(raw)


async def on_cleanup(memo: Any, **_: Any) -> None:
    await _runtime(memo).stop()


def build_registry() -> kopf.OperatorRegistry:
    """Our handlers in a registry of their own (no import-time global state)."""
    registry = kopf.OperatorRegistry()
    kopf.on.startup(registry=registry)(on_startup)
    kopf.on.login(registry=registry)(on_login)
    kopf.on.cleanup(registry=registry)(on_cleanup)
    # on.event handlers add no finalizers and no annotations to the objects they watch. The
    # CronJobs have the operator's own watch (Runtime.watch).
    kopf.on.event("batch", "v1", "jobs", labels=MANAGED_LABELS, registry=registry)(on_job_event)
    return registry
