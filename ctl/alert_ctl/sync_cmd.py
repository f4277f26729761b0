"""``alertctl sync``: one full reconcile now (the old ``POST /scheduler/reload``).

The operator's own Reconciler, planner and applier do the work (one code path); alertctl only
watches: it records each action as the applier performs it, shows a progress bar on a terminal
for large plans, and prints what changed per alert. ``--dry-run`` plans and writes nothing.
"""

from __future__ import annotations

import logging
import sys
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncEngine

from alert_core.db.engine import make_engine
from alert_core.settings import Settings
from alert_ctl.cluster import ClusterUnavailableError, connect, describe_cluster_error
from alert_ctl.common import (
    EXIT_FAILURE,
    ContextOption,
    DatabaseUrlOption,
    KubeconfigOption,
    NamespaceOption,
    fail,
    run_async,
    settings_from,
)
from alert_ctl.dbaccess import require_database
from alert_ctl.formatting import Format, FormatOption, note, print_document, print_table
from alert_operator.applier import Applier, ApplyResult, EventSink
from alert_operator.kube import ApiError, KubeApi
from alert_operator.login import KubeLogin
from alert_operator.planner import Action, Plan
from alert_operator.reconciler import Reconciler, SyncResult
from alert_operator.state import OperatorState

KINDS = ("create", "update", "recreate", "suspend", "delete")
PROGRESS_FROM = 20  # actions: below this a progress bar is only noise
HEADERS = ("CRONJOB", "ACTION", "RESULT", "REASON")


class Progress:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None

    def start(self, total: int) -> None:
        if total < PROGRESS_FROM or not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(console=Console(stderr=True), transient=True)
        self._bar.start()
        self._task = self._bar.add_task("applying", total=total)

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


class WatchedApplier(Applier):
    """The operator's applier, counting each action as it is done."""

    def __init__(
        self, settings: Settings, api: KubeApi, events: EventSink | None, progress: Progress
    ) -> None:
        super().__init__(settings, api, events)
        self.progress = progress

    async def apply_one(self, action: Action, result: ApplyResult) -> None:
        try:
            await super().apply_one(action, result)
        finally:
            self.progress.advance()


class WatchedReconciler(Reconciler):
    """The operator's reconciler; keeps the plan of the sync so that alertctl can report it."""

    def __init__(self, settings: Settings, engine: AsyncEngine, api: KubeApi,
                 progress: Progress) -> None:
        super().__init__(settings, engine, api, OperatorState(dry_run=settings.dry_run))
        self.applier = WatchedApplier(settings, api, None, progress)
        self.progress = progress
        self.last_plan: Plan | None = None

    async def _report(self, the_plan: Plan) -> None:
        # Called with the plan after planning and before applying (reconciler.py).
        self.last_plan = the_plan
        self.progress.start(len(the_plan.actions))
        await super()._report(the_plan)


@dataclass
class SyncReport:
    result: SyncResult
    plan: Plan | None  # None: the sync stopped before planning (nothing written)


async def run_sync(settings: Settings, kube_login: KubeLogin | None = None) -> SyncReport:
    """One full sync with the operator's Reconciler; raises ClusterUnavailableError/ApiError."""
    engine = make_engine(settings, pool_size=2)
    progress = Progress()
    try:
        async with connect(kube_login) as api:
            # Fail fast, with a clear line, when the cluster does not answer at all.
            await api.list_managed_cronjobs(settings.namespace)
            reconciler = WatchedReconciler(settings, engine, api, progress)
            result = await reconciler.full_sync()
    finally:
        progress.stop()
        await engine.dispose()
    return SyncReport(result, reconciler.last_plan)


def _action_doc(action: Action, result: SyncResult, dry_run: bool) -> dict[str, Any]:
    failed = result.failed.get(action.name)
    outcome = "failed" if failed else ("planned" if dry_run else "applied")
    return {"cronjob": action.name, "alert_id": _id(action.alert_id), "action": action.kind,
            "reason": action.reason, "result": outcome, "error": failed}


def _id(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def sync_document(report: SyncReport, settings: Settings) -> dict[str, Any]:
    """The JSON output (schema: alert_ctl.schemas.SYNC)."""
    the_plan, result = report.plan, report.result
    actions = [] if the_plan is None else [
        _action_doc(action, result, settings.dry_run) for action in the_plan.actions]
    invalid = [] if the_plan is None else [
        {"alert_id": str(item.alert_id), "name": item.name, "problem": item.problem,
         "cronjob": item.cronjob} for item in the_plan.invalid]
    held = [] if the_plan is None else [action.name for action in the_plan.held_deletes]
    counts = {kind: sum(1 for a in actions if a["action"] == kind) for kind in KINDS}
    return {
        "namespace": settings.namespace,
        "dry_run": settings.dry_run,
        "ok": result.ok and not result.blocked_deletes,
        "error": result.error,
        "alerts": 0 if the_plan is None else len(the_plan.alerts),
        "managed_cronjobs": 0 if the_plan is None else the_plan.managed,
        "counts": {**counts, "skipped_invalid": len(invalid)},
        "actions": actions,
        "invalid": invalid,
        "blocked_deletes": result.blocked_deletes,
        "held_deletes": held,
    }


def _print_summary(document: dict[str, Any]) -> None:
    rows: list[list[object]] = [
        [a["cronjob"], a["action"], a["result"] + (f": {a['error']}" if a["error"] else ""),
         a["reason"]] for a in document["actions"]]
    rows += [[item["cronjob"] or f"(alert {item['alert_id']})", "skipped-invalid", "-",
              item["problem"]] for item in document["invalid"]]
    if rows:
        print_table(HEADERS, rows, title="sync" + (" (dry run)" if document["dry_run"] else ""))
    counts = ", ".join(f"{kind} {count}" for kind, count in document["counts"].items() if count)
    prefix = "dry run, would do: " if document["dry_run"] else ""
    typer.echo(f"{prefix}{counts or 'nothing to do'}"
               f" ({document['alerts']} alerts, {document['managed_cronjobs']} managed CronJobs)")
    if document["blocked_deletes"]:
        note(document["blocked_deletes"])


def sync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="plan and show, write nothing")
    ] = False,
    confirm_mass_delete: Annotated[
        bool,
        typer.Option("--confirm-mass-delete",
                     help="allow a sync that deletes most managed CronJobs"),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="also show the operator's log lines")
    ] = False,
    output: FormatOption = Format.table,
    database_url: DatabaseUrlOption = None,
    namespace: NamespaceOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """Reconcile all alerts into CronJobs now, and show what changed per alert."""
    # The summary below says what the operator's log lines would; -v shows them too.
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    else:
        logging.getLogger("alert_operator").setLevel(logging.CRITICAL + 1)
    settings = settings_from(
        database_url=database_url, namespace=namespace, dry_run=True if dry_run else None,
        confirm_mass_delete=True if confirm_mass_delete else None,
    )
    require_database(settings)
    try:
        report = run_async(lambda: run_sync(settings, KubeLogin(kubeconfig, context)))
    except ClusterUnavailableError as error:
        fail(str(error), EXIT_FAILURE)
    except ApiError as error:
        fail(describe_cluster_error(error), EXIT_FAILURE)
    if report.plan is None:  # stopped before planning: nothing was written
        fail(f"sync aborted, nothing changed: {report.result.error}", EXIT_FAILURE)
    document = sync_document(report, settings)
    if output is Format.table:
        _print_summary(document)
    else:
        print_document(document, output)
    if not document["ok"]:
        raise typer.Exit(EXIT_FAILURE)
