"""``alertctl sync``: one full reconcile now (the old ``POST /scheduler/reload``).

The operator's own Reconciler, planner and applier do the work (one code path); alertctl only
watches: the applier advances its progress bar (on a terminal, for large plans) per action, and
the SyncResult (the plan and what was applied) says what changed per alert. ``--dry-run``
plans and writes nothing.
"""

from __future__ import annotations

import logging
import sys
import uuid
from typing import Annotated, Any

import typer

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
from alert_ctl.formatting import (
    Format,
    FormatOption,
    NoHeadersOption,
    note,
    print_document,
    print_names,
    say,
)
from alert_ctl.tables import Column, print_table
from alert_operator.kube import ApiError
from alert_operator.login import KubeLogin
from alert_operator.logs import TextFormatter
from alert_operator.planner import Action
from alert_operator.reconciler import Reconciler, SyncResult
from alert_operator.source import PostgresAlertSource
from alert_operator.state import OperatorState

KINDS = ("create", "update", "recreate", "suspend", "delete")
PROGRESS_FROM = 20  # actions: below this a progress bar is only noise
COLUMNS = (Column("CRONJOB", keep=True), *map(Column, ("ACTION", "RESULT", "REASON")))


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


async def run_sync(settings: Settings, kube_login: KubeLogin | None = None) -> SyncResult:
    """One full sync with the operator's Reconciler; raises ClusterUnavailableError/ApiError."""
    source = PostgresAlertSource(settings, pool_size=2)  # the operator's own read
    progress = Progress()
    try:
        async with connect(kube_login) as api:
            # Fail fast, with a clear line, when the cluster does not answer at all.
            await api.list_managed_cronjobs(settings.namespace)
            reconciler = Reconciler(settings, source, api,
                                    OperatorState(dry_run=settings.dry_run), progress=progress)
            return await reconciler.full_sync()
    finally:
        progress.stop()
        await source.close()


def _action_doc(action: Action, result: SyncResult, dry_run: bool) -> dict[str, Any]:
    failed = result.failed.get(action.name)
    outcome = "failed" if failed else ("planned" if dry_run else "applied")
    return {"cronjob": action.name, "alert_id": _id(action.alert_id), "action": action.kind,
            "reason": action.reason, "result": outcome, "error": failed}


def _id(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def sync_document(result: SyncResult, settings: Settings) -> dict[str, Any]:
    """The JSON output (schema: alert_ctl.schemas.SYNC)."""
    the_plan = result.plan
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


def _print_summary(document: dict[str, Any], wide: bool, headers: bool) -> None:
    rows: list[list[object]] = [
        [a["cronjob"], a["action"], a["result"] + (f": {a['error']}" if a["error"] else ""),
         a["reason"], *([a["alert_id"]] if wide else [])] for a in document["actions"]]
    rows += [[item["cronjob"] or f"(alert {item['alert_id']})", "skipped-invalid", "-",
              item["problem"], *([item["alert_id"]] if wide else [])]
             for item in document["invalid"]]
    if rows:
        columns = [*COLUMNS, *([Column("ALERT", keep=True)] if wide else [])]
        print_table(columns, rows, title="sync" + (" (dry run)" if document["dry_run"] else ""),
                    headers=headers, fit=not wide)
    counts = ", ".join(f"{kind} {count}" for kind, count in document["counts"].items() if count)
    prefix = "dry run, would do: " if document["dry_run"] else ""
    say(f"{prefix}{counts or 'nothing to do'}"
               f" ({document['alerts']} alerts, {document['managed_cronjobs']} managed CronJobs)")
    if document["blocked_deletes"]:
        note(document["blocked_deletes"])


def sync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="plan and show, write nothing [env: ALERT_DRY_RUN]")
    ] = False,
    confirm_mass_delete: Annotated[
        bool,
        typer.Option("--confirm-mass-delete",
                     help="allow a sync that deletes most managed CronJobs"
                     " [env: ALERT_CONFIRM_MASS_DELETE]"),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="also show the operator's log lines")
    ] = False,
    output: FormatOption = Format.table,
    no_headers: NoHeadersOption = False,
    database_url: DatabaseUrlOption = None,
    namespace: NamespaceOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """Reconcile all alerts into CronJobs now, and show what changed per alert."""
    # The summary below says what the operator's log lines would; -v shows them too.
    if verbose:
        handler = logging.StreamHandler()
        handler.setFormatter(TextFormatter("%(levelname)s %(name)s: %(message)s"))
        logging.basicConfig(level=logging.INFO, handlers=[handler])
    else:
        logging.getLogger("alert_operator").setLevel(logging.CRITICAL + 1)
    settings = settings_from(
        database_url=database_url, namespace=namespace, dry_run=True if dry_run else None,
        confirm_mass_delete=True if confirm_mass_delete else None,
    )
    require_database(settings)
    try:
        result = run_async(lambda: run_sync(settings, KubeLogin(kubeconfig, context)))
    except ClusterUnavailableError as error:
        fail(str(error), EXIT_FAILURE)
    except ApiError as error:
        fail(describe_cluster_error(error), EXIT_FAILURE)
    if result.plan is None:  # stopped before planning: nothing was written
        fail(f"sync aborted, nothing changed: {result.error}", EXIT_FAILURE)
    document = sync_document(result, settings)
    if output.is_table:
        _print_summary(document, output is Format.wide, headers=not no_headers)
    elif output is Format.name:
        print_names([f"cronjob.batch/{action['cronjob']}" for action in document["actions"]])
    else:
        print_document(document, output)
    if not document["ok"]:
        raise typer.Exit(EXIT_FAILURE)
