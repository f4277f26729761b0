"""Reconcile: read the table and the cluster, plan, apply, and keep the operator's state current.

``full_sync`` recomputes everything (at start, every resync interval, after the change feed
reconnects); ``sync_alert`` does one alert (a notification, a CronJob deleted or edited by
hand). Without kopf: ``alertctl sync`` uses the same class with any :class:`KubeApi`.

Ordering: a full sync runs alone (it plans from one snapshot, and a one-alert sync applied in
the middle would be undone by that stale plan); one-alert syncs run concurrently with each
other but never twice at once for the same alert.

Memory (10,000 CronJobs): a full sync reads the alerts first, then reduces each page of live
CronJobs to small summaries and digests before the next page; watch events are reduced to
(alert id, digest) when they arrive and handled after any running full sync, so no body is kept
by us or, waiting on us, by kopf.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from alert_core.cronjob import cronjob_name
from alert_core.db.alerts import get_alert, load_alerts
from alert_core.db.pauses import load_pauses
from alert_core.settings import Settings
from alert_operator import metrics
from alert_operator.applier import Applier, ApplyResult, EventSink
from alert_operator.kube import ApiError, KubeApi, is_managed
from alert_operator.planner import Existing, Plan, Summarizer, alert_id_of, digest, plan
from alert_operator.state import OperatorState

log = logging.getLogger(__name__)

DB_TIMEOUT_SECONDS = 60.0
LOCK_STRIPES = 256
MIN_DELETE_WINDOW_SECONDS = 60.0
DB_ERRORS = (SQLAlchemyError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


@dataclass
class SyncResult:
    ok: bool
    error: str | None = None
    actions: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    invalid: int = 0
    blocked_deletes: str | None = None


class _Gate:
    """Many shared holders (one-alert syncs) or one exclusive holder (a full sync)."""

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._shared = 0
        self._exclusive = False

    @contextlib.asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        async with self._cond:
            await self._cond.wait_for(lambda: not self._exclusive)
            self._shared += 1
        try:
            yield
        finally:
            async with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._cond:
            await self._cond.wait_for(lambda: not self._exclusive)
            self._exclusive = True  # new shared holders wait from now on
            await self._cond.wait_for(lambda: self._shared == 0)
        try:
            yield
        finally:
            async with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class Reconciler:
    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        api: KubeApi,
        state: OperatorState,
        events: EventSink | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.api = api
        self.state = state
        self.events = events
        self.applier = Applier(settings, api, events)
        self._gate = _Gate()
        self._locks = [asyncio.Lock() for _ in range(LOCK_STRIPES)]
        self._seen: dict[uuid.UUID, str] = {}  # alert id -> digest of its CronJob when in sync
        # CronJob name -> (alert id, digest; None when deleted): watch events not handled yet
        self._events: dict[str, tuple[uuid.UUID, str | None]] = {}
        self._events_waiting = asyncio.Event()
        self._recent_deletes: deque[float] = deque()
        self._rows = 0
        self.full_sync_wanted = asyncio.Event()  # set when a one-alert sync defers to a full one

    def _lock(self, alert_id: uuid.UUID) -> asyncio.Lock:
        return self._locks[alert_id.int % LOCK_STRIPES]

    # --- full sync -------------------------------------------------------------------------
    async def full_sync(self) -> SyncResult:
        async with self._gate.exclusive():
            started = time.monotonic()
            result = await self._full_sync()
            metrics.SYNC_DURATION.observe(time.monotonic() - started)
            outcome = "error" if not result.ok else ("blocked" if result.blocked_deletes else "ok")
            metrics.SYNCS.labels(scope="full", result=outcome).inc()
            return result

    async def _read_table(self) -> tuple[list[Any], Any] | str:
        """(rows, pauses), or the error as one line: the sync stops before any write."""
        try:
            async with asyncio.timeout(DB_TIMEOUT_SECONDS), self.engine.connect() as conn:
                rows = await load_alerts(conn, self.settings)
                pauses = await load_pauses(conn, self.settings)
        except DB_ERRORS as error:
            self.state.database_reachable = False
            first_line = (str(error).splitlines() or [""])[0][:300]
            return f"database: {type(error).__name__}: {first_line}"
        self.state.database_reachable = True
        return rows, pauses

    async def _full_sync(self) -> SyncResult:
        table = await self._read_table()  # the alerts first: each live page is compared as it comes
        if isinstance(table, str):
            return self._failed(table)
        rows, pauses = table
        del table
        cluster = await self._read_cluster(Summarizer(rows, pauses, self.settings))
        if isinstance(cluster, str):
            return self._failed(cluster)
        existing, digests = cluster
        self._prune_recent_deletes()
        the_plan = plan(rows, existing, pauses, self.settings,
                        recently_deleted=len(self._recent_deletes))
        self._rows = len(rows)
        del rows, existing  # the plan has what it needs; free them before the writes
        await self._report(the_plan)
        touched = {action.alert_id for action in the_plan.actions}
        self._seen = {alert_id: value for alert_id, value in digests.items()
                      if alert_id not in touched}
        del digests
        applied = await self._apply_locked(the_plan)
        self._seen.update(applied.stored)  # so the watch events of our own writes cost nothing
        self._update_state(the_plan, applied)
        return SyncResult(
            ok=applied.ok,
            error=None if applied.ok else f"{len(applied.failed)} action(s) failed",
            actions={kind: the_plan.count(kind) for kind in
                     ("create", "update", "recreate", "suspend", "delete")},
            failed=applied.failed,
            invalid=len(the_plan.invalid),
            blocked_deletes=the_plan.blocked_deletes,
        )

    async def _read_cluster(
        self, summarize: Summarizer
    ) -> tuple[list[Existing], dict[uuid.UUID, str]] | str:
        """The managed CronJobs, each page reduced to summaries (and the digest of each one named
        after its alert) before the next page is read; or the error as one line."""
        existing: list[Existing] = []
        digests: dict[uuid.UUID, str] = {}
        try:
            async for page in self.api.managed_cronjob_pages(self.settings.namespace):
                for body in page:
                    item = summarize(body)
                    existing.append(item)
                    if item.alert_id is not None and item.name == cronjob_name(item.alert_id):
                        digests[item.alert_id] = digest(body)
                del page  # not kept while the next page is read
        except ApiError as error:
            return f"kubernetes: {error}"
        return existing, digests

    def _failed(self, error: str) -> SyncResult:
        log.error("full sync aborted before any write: %s", error)
        self.state.last_sync_error = error
        return SyncResult(ok=False, error=error)

    async def _apply_locked(self, the_plan: Plan) -> ApplyResult:
        """``max_concurrency`` workers taking the actions in order (not one task per action: a
        cold sync of 10,000 would hold 10,000 tasks)."""
        result = ApplyResult()
        todo = iter(the_plan.actions)

        async def worker() -> None:
            for action in todo:  # shared: each action is taken by one worker
                if action.alert_id is None:
                    await self.applier.apply_one(action, result)
                    continue
                async with self._lock(action.alert_id):
                    await self.applier.apply_one(action, result)

        workers = min(len(the_plan.actions), self.settings.max_concurrency)
        await asyncio.gather(*(worker() for _ in range(workers)))
        return result

    async def _report(self, the_plan: Plan) -> None:
        for invalid in the_plan.invalid:
            log.warning("alert %s (%s) cannot be scheduled: %s; its CronJob is left as it is",
                        invalid.alert_id, invalid.name[:80], invalid.problem)
            if invalid.cronjob and self.events is not None:
                await self.events.record(invalid.cronjob, invalid.alert_id, "Warning",
                                         "InvalidAlert", invalid.problem)
        for name in the_plan.unknown:
            log.warning("managed CronJob %s has no usable alert-id label: left untouched", name)
        if the_plan.blocked_deletes:
            log.error(the_plan.blocked_deletes)
            if self.events is not None:
                for action in the_plan.held_deletes[:5]:
                    await self.events.record(action.name, action.alert_id, "Warning",
                                             "MassDeleteBlocked", the_plan.blocked_deletes)

    def _update_state(self, the_plan: Plan, applied: ApplyResult) -> None:
        state = self.state
        state.alerts = {alert.id: alert for alert in the_plan.alerts}
        for action in [] if self.settings.dry_run else applied.applied:
            if action.alert_id in state.alerts and action.kind != "delete":
                state.alerts[action.alert_id].cronjob = "in sync"
            elif action.kind == "delete" and action.alert_id in state.alerts:
                del state.alerts[action.alert_id]
        for action in the_plan.actions:
            if action.name in applied.failed and action.alert_id in state.alerts:
                state.alerts[action.alert_id].problem = applied.failed[action.name]
        deleted = sum(1 for action in applied.applied if action.kind == "delete")
        created = sum(1 for action in applied.applied if action.kind == "create")
        state.managed_cronjobs = the_plan.managed + (0 if state.dry_run else created - deleted)
        state.mass_delete_blocked = the_plan.blocked_deletes
        state.last_sync_error = None if applied.ok else f"{len(applied.failed)} action(s) failed"
        state.last_sync_at = datetime.now(UTC)
        state.full_syncs += 1
        metrics.MANAGED_CRONJOBS.set(state.managed_cronjobs)
        metrics.INVALID_ALERTS.set(len(the_plan.invalid))
        metrics.MASS_DELETE_BLOCKED.set(1 if the_plan.blocked_deletes else 0)
        metrics.LAST_SYNC_TIMESTAMP.set(time.time())
        log.info(
            "full sync: %d alerts, %d managed CronJobs, %d actions (%s), %d invalid%s",
            self._rows, the_plan.managed, len(the_plan.actions),
            ", ".join(f"{k} {the_plan.count(k)}" for k in
                      ("create", "update", "recreate", "suspend", "delete") if the_plan.count(k))
            or "none", len(the_plan.invalid),
            "; DELETES BLOCKED" if the_plan.blocked_deletes else "",
        )

    # --- one alert -------------------------------------------------------------------------
    async def sync_alert(self, alert_id: uuid.UUID) -> SyncResult:
        async with self._gate.shared(), self._lock(alert_id):
            result = await self._sync_alert(alert_id)
        metrics.SYNCS.labels(scope="alert", result="ok" if result.ok else "error").inc()
        return result

    async def _sync_alert(self, alert_id: uuid.UUID) -> SyncResult:
        try:
            async with asyncio.timeout(DB_TIMEOUT_SECONDS), self.engine.connect() as conn:
                row = await get_alert(conn, self.settings, alert_id)
                pauses = await load_pauses(conn, self.settings)
        except DB_ERRORS as error:
            self.state.database_reachable = False
            log.error("sync of alert %s aborted: database: %s", alert_id, type(error).__name__)
            return SyncResult(ok=False, error=f"database: {type(error).__name__}")
        self.state.database_reachable = True  # as a full sync's read does: it answered
        name = cronjob_name(alert_id)
        try:
            live = await self.api.get_cronjob(self.settings.namespace, name)
        except ApiError as error:
            return SyncResult(ok=False, error=f"kubernetes: {error}")
        if live is not None and not is_managed(live):
            log.warning("CronJob %s exists without our label: not touched", name)
            return SyncResult(ok=False, error=f"{name} exists and is not ours")
        summarize = Summarizer([row] if row else [], pauses, self.settings)
        existing = [] if live is None else [summarize(live)]
        the_plan = plan([row] if row else [], existing, pauses, self.settings, scope={alert_id})
        if any(a.kind == "delete" for a in the_plan.actions) and not self._delete_allowed():
            self.full_sync_wanted.set()
            return SyncResult(ok=True, blocked_deletes="many one-alert deletes: full sync")
        await self._report(the_plan)
        if not the_plan.actions and live is not None:
            self._seen[alert_id] = digest(live)
        else:
            self._seen.pop(alert_id, None)
        applied = ApplyResult()
        for action in the_plan.actions:
            await self.applier.apply_one(action, applied)
        self._seen.update(applied.stored)
        for alert in the_plan.alerts:
            if alert.id == alert_id and alert.cronjob != "orphan":
                if applied.applied and not self.settings.dry_run:
                    alert.cronjob = "in sync"
                alert.problem = applied.failed.get(name, alert.problem)
                self.state.alerts[alert_id] = alert
        if any(a.kind == "delete" for a in applied.applied) and not self.settings.dry_run:
            self.state.alerts.pop(alert_id, None)
        return SyncResult(ok=applied.ok, failed=applied.failed,
                          actions={a.kind: 1 for a in the_plan.actions})

    def _delete_allowed(self) -> bool:
        """Deletes one alert at a time count too: a DELETE of many rows arrives as many
        notifications, and must not get around mass-delete protection. Past the bound within one
        resync interval, deletes wait for a full sync, which judges them all together."""
        if self.settings.confirm_mass_delete:
            return True
        now = self._prune_recent_deletes()
        bound = max(self.settings.mass_delete_min,
                    self.settings.max_delete_fraction * self.state.managed_cronjobs)
        if len(self._recent_deletes) + 1 > bound:
            log.warning("many alerts deleted one by one: deferring their deletes to a full sync")
            return False
        self._recent_deletes.append(now)
        return True

    def _prune_recent_deletes(self) -> float:
        """Forget one-alert deletes older than a resync interval; return the time now."""
        now = time.monotonic()
        window = max(self.settings.resync_interval_seconds, MIN_DELETE_WINDOW_SECONDS)
        while self._recent_deletes and now - self._recent_deletes[0] > window:
            self._recent_deletes.popleft()
        return now

    # --- watch events ----------------------------------------------------------------------
    def note_cronjob_event(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        """A managed CronJob changed: reduce the event now, reconcile later (:meth:`run_events`).

        Returns at once, so kopf drops the body: holding 10,000 bodies in handlers waiting for a
        full sync was most of the operator's peak memory. Only the alert id and the digest are
        queued; a later event for the same CronJob replaces one not handled yet.
        """
        if not is_managed(body):
            return
        alert_id = alert_id_of(body)
        if alert_id is None:
            return
        name = str((body.get("metadata") or {}).get("name") or "")
        self._events[name] = (alert_id, None if event_type == "DELETED" else digest(body))
        self._events_waiting.set()

    async def run_events(self) -> None:
        """Forever: handle the queued watch events (the operator runs this as a task)."""
        while True:
            await self._events_waiting.wait()
            await self.handle_events()

    async def handle_events(self) -> None:
        """Reconcile each alert whose CronJob is no longer as the last sync saw it in sync."""
        async with self._gate.shared():  # after a running full sync, against what it saw
            self._events_waiting.clear()
            pending, self._events = self._events, {}
            stale = {alert_id for alert_id, seen in pending.values()
                     if seen is None or self._seen.get(alert_id) != seen}
        del pending
        todo = list(stale)

        async def worker() -> None:  # a few workers, not one task per alert (10,000 after a sync)
            while todo:
                alert_id = todo.pop()
                try:
                    await self.sync_alert(alert_id)
                except Exception:  # a bug in one alert's sync must not stop the others
                    log.exception("sync of alert %s after a CronJob event crashed", alert_id)

        await asyncio.gather(*(worker() for _ in range(min(len(todo),
                                                            self.settings.max_concurrency))))
