"""Reconcile: one pipeline for both scopes, read -> plan -> apply -> record.

``full_sync`` recomputes everything (at start, every resync interval, after the change feed
reconnects); ``sync_alert`` does one alert (a notification, a CronJob deleted or edited by
hand). Both run the same steps (:meth:`Reconciler._sync`):

1. read (:mod:`alert_operator.snapshot`): the alert source and the cluster -> a Snapshot;
2. plan (:mod:`alert_operator.planner`, pure): the Snapshot -> a Plan;
3. apply (:mod:`alert_operator.applier`, concurrent and retrying): the Plan -> Applied;
4. record (:mod:`alert_operator.record`, pure): state, Plan, Applied -> the next state.

The parts behind them are seams (AlertSource, KubeApi, Clock): tests give in-memory fakes.

Ordering (:mod:`alert_operator.gate`): a full sync runs alone; one-alert syncs run concurrently
but never twice at once for one alert. Memory (10,000 CronJobs): a full sync reads the alerts
first, then reduces each page of live CronJobs to small summaries before the next page; the
snapshot is dropped before the writes; watch events are reduced when they arrive
(:mod:`alert_operator.event_queue`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alert_core.settings import Settings
from alert_operator import metrics
from alert_operator.applier import Applied, Applier, EventSink, Progress
from alert_operator.clock import Clock, SystemClock
from alert_operator.delete_window import DeleteWindow
from alert_operator.event_queue import WatchEventQueue
from alert_operator.gate import AlertLocks, Gate
from alert_operator.kube import KubeApi
from alert_operator.logs import alert_fields, log_context, sync_scope
from alert_operator.planner import ActionKind, Plan, plan
from alert_operator.record import failed_actions, record
from alert_operator.report import report
from alert_operator.snapshot import ReadError, SeenCronJob, Snapshot, read
from alert_operator.source import AlertSource
from alert_operator.state import OperatorState
from alert_operator.summarizer import Verified

log = logging.getLogger(__name__)

KINDS: tuple[ActionKind, ...] = ("create", "update", "recreate", "suspend", "delete")


@dataclass
class SyncResult:
    ok: bool
    error: str | None = None
    actions: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    invalid: int = 0
    blocked_deletes: str | None = None
    plan: Plan | None = None  # None: stopped before planning (nothing written)
    applied: Applied | None = None  # None: nothing was applied


class Reconciler:
    def __init__(
        self,
        settings: Settings,
        source: AlertSource,
        api: KubeApi,
        state: OperatorState,
        events: EventSink | None = None,
        *,
        clock: Clock | None = None,
        progress: Progress | None = None,
        seen: SeenCronJob | None = None,
    ) -> None:
        self.settings = settings
        self.source = source
        self.api = api
        self.state = state
        self.events = events
        self.seen = seen  # told the name and uid of each CronJob a full sync lists
        self.clock = clock or SystemClock()
        self.applier = Applier(settings, api, events, progress)
        self.deletes = DeleteWindow(settings, self.clock)
        self.watch = WatchEventQueue()
        self.full_sync_wanted = asyncio.Event()  # set when a one-alert sync defers to a full one
        self._gate = Gate()
        self._locks = AlertLocks()
        self._seen: dict[uuid.UUID, str] = {}  # alert id -> digest of its CronJob when in sync
        self._verified: dict[uuid.UUID, Verified] = {}  # the CronJobs the last syncs found in sync

    async def full_sync(self) -> SyncResult:
        async with self._gate.exclusive():
            started = self.clock.monotonic()
            result = await self._sync(None)
            metrics.SYNC_DURATION.observe(self.clock.monotonic() - started)
        outcome = "error" if not result.ok else ("blocked" if result.blocked_deletes else "ok")
        metrics.SYNCS.labels(scope="full", result=outcome).inc()
        return result

    async def sync_alert(self, alert_id: uuid.UUID) -> SyncResult:
        async with self._gate.shared(), self._locks(alert_id):
            result = await self._sync(alert_id)
        metrics.SYNCS.labels(scope="alert", result="ok" if result.ok else "error").inc()
        return result

    async def _sync(self, scope: uuid.UUID | None) -> SyncResult:
        with sync_scope(), log_context({} if scope is None else alert_fields(scope)):
            return await self._sync_in_scope(scope)

    async def _sync_in_scope(self, scope: uuid.UUID | None) -> SyncResult:
        try:
            snapshot = await read(scope, self.source, self.api, self.settings, self._verified,
                                  self.seen)
        except ReadError as error:
            return self._aborted(scope, error)
        self.state.database_reachable = True
        rows = len(snapshot.rows)
        the_plan = plan(snapshot.rows, snapshot.existing, snapshot.pauses, self.settings,
                        scope=None if scope is None else {scope},
                        recently_deleted=self.deletes.count() if scope is None else 0,
                        validated=snapshot.validated)
        if scope is not None and the_plan.count("delete"):
            deferred = self._why_defer_one_alert_delete()
            if deferred:
                log.warning("delete of alert %s's CronJob deferred to a full sync: %s",
                            scope, deferred)
                self.full_sync_wanted.set()
                return SyncResult(ok=True, blocked_deletes=deferred, plan=the_plan)
        self._remember_in_sync(scope, snapshot, the_plan)
        del snapshot  # the plan has what it needs: free the rows before the writes
        await report(the_plan, self.events, self.deletes)
        applied = await self.applier.apply(the_plan.actions,
                                           lock=self._locks if scope is None else None)
        self._seen.update(applied.stored)  # so the watch events of our own writes cost nothing
        self.state.adopt(record(self.state, the_plan, applied, dry_run=not self.applier.writes,
                                now=self.clock.now()))
        if scope is None:
            self._finish_full(the_plan, applied, rows)
        return SyncResult(
            ok=applied.ok, error=failed_actions(applied),
            actions={kind: the_plan.count(kind) for kind in KINDS}, failed=applied.failed,
            invalid=len(the_plan.invalid), blocked_deletes=the_plan.blocked_deletes,
            plan=the_plan, applied=applied,
        )

    def _why_defer_one_alert_delete(self) -> str | None:
        """A one-alert delete goes only after a full sync has seen the whole picture and held
        nothing back (a restart's watch events must not take, one by one, CronJobs that the
        full sync holds), and only while few went one by one lately."""
        if self.state.full_syncs == 0:
            return "no full sync yet"
        if self.state.mass_delete_blocked:
            return "mass-delete protection holds deletes"
        if not self.deletes.reserve_one_alert_delete():
            return "many alerts deleted one by one"
        return None

    def _remember_in_sync(self, scope: uuid.UUID | None, snapshot: Snapshot,
                          the_plan: Plan) -> None:
        """The digests of the CronJobs this sync leaves alone: a watch event equal to one of
        them needs no sync; and those it found in sync: the next sync need not compare them
        again while they stay as they are."""
        touched = {action.alert_id for action in the_plan.actions}
        fresh = {key: value for key, value in snapshot.digests.items() if key not in touched}
        verified = {key: value for key, value in snapshot.verified.items() if key not in touched}
        if scope is None:
            self._seen, self._verified = fresh, verified
        else:
            self._seen.pop(scope, None)
            self._seen.update(fresh)
            self._verified.pop(scope, None)
            self._verified.update(verified)

    def _aborted(self, scope: uuid.UUID | None, error: ReadError) -> SyncResult:
        self.state.database_reachable = not error.database  # the cluster failed: it answered
        if scope is None:
            log.error("full sync aborted before any write: %s", error)
            self.state.last_sync_error = str(error)
        elif error.database:
            log.error("sync of alert %s aborted: %s", scope, error)
        return SyncResult(ok=False, error=str(error))

    def _finish_full(self, the_plan: Plan, applied: Applied, rows: int) -> None:
        recent = self.deletes.count()  # the guard counted these as managed too: so does the log
        if self.applier.writes:
            self.deletes.deleted(sum(1 for a in applied.applied if a.kind == "delete"))
        metrics.MANAGED_CRONJOBS.set(self.state.managed_cronjobs)
        metrics.INVALID_ALERTS.set(len(the_plan.invalid))
        metrics.MASS_DELETE_BLOCKED.set(1 if the_plan.blocked_deletes else 0)
        metrics.LAST_SYNC_TIMESTAMP.set(self.clock.now().timestamp())
        counts = ", ".join(f"{kind} {the_plan.count(kind)}" for kind in KINDS
                           if the_plan.count(kind))
        lately = f" (+{recent} deleted in the last {self.deletes.seconds:.0f} s)" if recent else ""
        log.info("full sync: %d alerts, %d managed CronJobs%s, %d actions (%s), %d invalid%s",
                 rows, the_plan.managed, lately, len(the_plan.actions), counts or "none",
                 len(the_plan.invalid), "; DELETES BLOCKED" if the_plan.blocked_deletes else "")

    # --- watch events ----------------------------------------------------------------------
    def note_cronjob_event(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        """A managed CronJob changed: reduce the event now, reconcile later (:meth:`run_events`).
        Returns at once, so the watch drops the body."""
        self.watch.note(event_type, body)

    async def run_events(self) -> None:
        """Forever: handle the queued watch events (the operator runs this as a task)."""
        while True:
            await self.watch.waiting.wait()
            await self.handle_events()

    async def handle_events(self) -> None:
        """Reconcile each alert whose CronJob is no longer as the last sync saw it in sync."""
        async with self._gate.shared():  # after a running full sync, against what it saw
            todo = self.watch.take_stale(self._seen)

        async def worker() -> None:  # a few workers, not one task per alert (10,000 after a sync)
            while todo:
                alert_id = todo.pop()
                try:
                    await self.sync_alert(alert_id)
                except Exception:  # a bug in one alert's sync must not stop the others
                    log.exception("sync of alert %s after a CronJob event crashed", alert_id,
                                  extra=alert_fields(alert_id))

        await asyncio.gather(*(worker() for _ in range(min(len(todo),
                                                            self.settings.max_concurrency))))
