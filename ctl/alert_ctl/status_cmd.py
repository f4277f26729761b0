"""``alertctl status``: one row per alert, from the database and (when reachable) the cluster.

The old ``GET /scheduler/status``. The CronJob column comes from the operator's own planner
(alert_operator.planner.plan): the same comparison the operator makes, so "drifted" here is
exactly what the next sync would repair. Compare with the operator's settings (runner image,
namespace...: the same ALERT_* variables), or every CronJob looks drifted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.alert import AlertError, validate_alert
from alert_core.cronjob import cronjob_name
from alert_core.db.alerts import AlertRow, load_alerts
from alert_core.db.history import RunRecord, last_runs
from alert_core.db.pauses import GLOBAL_PAUSE_UUID, PauseRecord, Pauses, load_pause_records
from alert_core.describe import describe_cron
from alert_core.frequency import next_fire_times, now_utc
from alert_core.settings import Settings
from alert_core.spread import spread_frequency
from alert_ctl.alert_ids import AlertRef, parse_alert_ref, resolve_alert_ref
from alert_ctl.cluster import ClusterUnavailableError, connect, describe_cluster_error
from alert_ctl.common import (
    ContextOption,
    DatabaseUrlOption,
    KubeconfigOption,
    NamespaceOption,
    settings_from,
)
from alert_ctl.dbaccess import UnknownAlertsError, parse_alert_id, with_connection
from alert_ctl.formatting import (
    Format,
    FormatOption,
    NoHeadersOption,
    human_duration,
    iso,
    note,
    print_document,
    print_names,
    seconds,
    short_time,
)
from alert_ctl.tables import Column, print_table, short_ids
from alert_operator.kube import ApiError
from alert_operator.login import KubeLogin
from alert_operator.planner import plan
from alert_operator.state import AlertState
from alert_operator.summarizer import Summarizer

ID_COLUMNS = (Column("NAME"), Column("ID", keep=True))
WIDE_ID_COLUMNS = (*ID_COLUMNS, Column("CLIENT", keep=True))
# A time cut short says nothing: NEXT RUN stays whole, the others are cut to fit.
COLUMNS = (Column("SCHEDULE"), Column("STATE"), Column("NEXT RUN", keep=True),
           Column("LAST RUN"), Column("CRONJOB"))


@dataclass
class Snapshot:
    """What the database says (always) and the cluster says (when it answered)."""

    rows: list[AlertRow]
    pauses: dict[uuid.UUID, PauseRecord]
    runs: dict[uuid.UUID, RunRecord]
    cronjobs: list[dict[str, Any]] | None = None  # None: the cluster could not be read
    cluster_error: str | None = None
    filtered: bool = False
    states: dict[uuid.UUID, AlertState] = field(default_factory=dict)
    orphans: list[str] = field(default_factory=list)
    _by_name: dict[str, dict[str, Any]] | None = field(default=None, repr=False)

    def cronjob_named(self, name: str) -> dict[str, Any] | None:
        """The live CronJob of that name (an index, built once: tables can be large)."""
        if self.cronjobs is None:
            return None
        if self._by_name is None:
            self._by_name = {
                str((body.get("metadata") or {}).get("name")): body for body in self.cronjobs
            }
        return self._by_name.get(name)


def _pause_doc(record: PauseRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"paused_by": record.paused_by, "paused_at": iso(record.paused_at),
            "reason": record.reason, "global": record.is_global}


def _last_run_doc(run: RunRecord | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {"job_name": run.job_name, "trigger": run.trigger,
            "scheduled_for": iso(run.scheduled_for), "status": run.status,
            "started_at": iso(run.started_at), "finished_at": iso(run.finished_at),
            "duration_seconds": seconds(run.duration), "error": run.error}


def _cronjob_doc(
    row: AlertRow, snapshot: Snapshot, problem: str | None, live: dict[str, Any] | None
) -> dict[str, Any]:
    state = snapshot.states.get(row.id)
    if problem is not None:
        name, status, reason = cronjob_name(row.id), "invalid", problem
    elif state is None:  # the cluster was not read
        name, status, reason = cronjob_name(row.id), None, None
    else:
        name, status, reason = cronjob_name(row.id), state.cronjob, None
        if status == "missing" and state.suspended:  # the planner creates none while suspended
            paused = row.id in snapshot.pauses or GLOBAL_PAUSE_UUID in snapshot.pauses
            reason = "none needed while " + ("paused" if paused else "inactive")
    suspended = None if live is None else bool((live.get("spec") or {}).get("suspend"))
    return {"name": name, "state": status, "reason": reason,
            "exists": None if snapshot.cronjobs is None else live is not None,
            "suspended": suspended}


def alert_document(
    row: AlertRow, snapshot: Snapshot, now: datetime, spread_minutes: int = 0
) -> dict[str, Any]:
    """One alert as in the JSON output (schema: alert_ctl.schemas.STATUS_ALERT).

    Schedule and next run are the CronJob's: with ``schedule_spread_minutes`` on, the alert's
    minute offset is included."""
    pause = snapshot.pauses.get(row.id) or snapshot.pauses.get(GLOBAL_PAUSE_UUID)
    state = "paused" if pause else ("active" if row.is_active else "suspended")
    schedule: dict[str, Any] | None = None
    problem: str | None = None
    next_run: datetime | None = None
    try:
        alert = validate_alert(row)
    except AlertError as error:
        problem = str(error)
    else:
        frequency = spread_frequency(alert.frequency, alert.id, spread_minutes)
        cron = frequency.to_cron()
        schedule = {"cron": cron, "timezone": frequency.timezone,
                    "description": describe_cron(cron)}
        if state == "active":
            upcoming = next_fire_times(frequency, now, 1)
            next_run = upcoming[0] if upcoming else None
    live = snapshot.cronjob_named(cronjob_name(row.id))
    return {
        "id": str(row.id),
        "name": row.name,
        "client_id": None if row.client_id is None else str(row.client_id),
        "is_active": row.is_active,
        "state": state,
        "pause": _pause_doc(pause),
        "schedule": schedule,
        "problem": problem,
        "next_run": iso(next_run),
        "last_run": _last_run_doc(snapshot.runs.get(row.id)),
        "cronjob": _cronjob_doc(row, snapshot, problem, live),
    }


def status_document(snapshot: Snapshot, settings: Settings) -> dict[str, Any]:
    """The whole JSON output (schema: alert_ctl.schemas.STATUS)."""
    now = now_utc()
    return {
        "namespace": settings.namespace,
        "generated_at": iso(now),
        "global_pause": _pause_doc(snapshot.pauses.get(GLOBAL_PAUSE_UUID)),
        "cluster": {"reachable": snapshot.cronjobs is not None,
                    "error": snapshot.cluster_error},
        "alerts": [alert_document(row, snapshot, now, settings.schedule_spread_minutes)
                   for row in snapshot.rows],
        "orphans": snapshot.orphans,
    }


async def _read_database(
    settings: Settings, conn: AsyncConnection, alert: AlertRef | None,
    client_id: uuid.UUID | None,
) -> Snapshot:
    alert_id = None if alert is None else await resolve_alert_ref(conn, settings, alert)
    rows = await load_alerts(conn, settings)
    filtered = alert_id is not None or client_id is not None
    if alert_id is not None:
        rows = [row for row in rows if row.id == alert_id]
        if not rows:
            raise UnknownAlertsError([alert_id])
    if client_id is not None:
        rows = [row for row in rows if row.client_id == client_id]
    rows.sort(key=lambda row: (row.name.lower(), str(row.id)))
    pauses = await load_pause_records(conn, settings)
    runs = await last_runs(conn, settings, None if not filtered else [row.id for row in rows])
    return Snapshot(rows, pauses, runs, filtered=filtered)


async def read_cluster(
    settings: Settings, snapshot: Snapshot, kube_login: KubeLogin | None = None
) -> None:
    """Fill in the cluster's side, or say why it is missing (never raises for that)."""
    try:
        async with connect(kube_login) as api:
            snapshot.cronjobs = await api.list_managed_cronjobs(settings.namespace)
    except ClusterUnavailableError as error:
        snapshot.cluster_error = str(error)[:300]
        return
    except ApiError as error:
        snapshot.cluster_error = describe_cluster_error(error)
        return
    pauses = Pauses(GLOBAL_PAUSE_UUID in snapshot.pauses,
                    frozenset(snapshot.pauses) - {GLOBAL_PAUSE_UUID})
    summarize = Summarizer(snapshot.rows, pauses, settings)
    existing = [summarize(body) for body in snapshot.cronjobs]
    if snapshot.filtered:
        ids = {row.id for row in snapshot.rows}
        existing = [item for item in existing if item.alert_id in ids]
    result = plan(snapshot.rows, existing, pauses, settings)
    snapshot.states = {state.id: state for state in result.alerts if state.cronjob != "orphan"}
    if not snapshot.filtered:
        known = {row.id for row in snapshot.rows}
        snapshot.orphans = sorted(
            item.name for item in existing if item.alert_id is None or item.alert_id not in known
        )


def _time_cell(value: str | None) -> str:
    return "-" if value is None else short_time(datetime.fromisoformat(value))


def _last_run_cell(last: dict[str, Any] | None) -> str:
    if last is None:
        return "never"
    duration = last["duration_seconds"]
    return " ".join([
        _time_cell(last["scheduled_for"] or last["started_at"]),
        last["status"],
        human_duration(None if duration is None else timedelta(seconds=duration)),
    ])


def _table_row(alert: dict[str, Any], ids: dict[str, str] | None) -> list[object]:
    """The table's row; ``ids``: the short ids (None: -o wide, full ids and the client's)."""
    schedule = alert["schedule"]
    when = "invalid" if schedule is None else (
        f"{schedule['cron']} {schedule['timezone']} ({schedule['description']})")
    cronjob = alert["cronjob"]
    cron_text = cronjob["state"] or "?"
    if cronjob["reason"]:
        cron_text += f": {cronjob['reason']}"
    state = alert["state"]
    if alert["pause"] is not None and alert["pause"]["reason"]:
        state += f" ({alert['pause']['reason']})"
    named = [alert["name"], alert["id"] if ids is None else ids[alert["id"]]]
    if ids is None:
        named.append(alert["client_id"])
    return [*named, when, state, _time_cell(alert["next_run"]),
            _last_run_cell(alert["last_run"]), cron_text]


def _print_table(document: dict[str, Any], wide: bool, headers: bool) -> None:
    alerts = document["alerts"]
    ids = None if wide else short_ids(alert["id"] for alert in alerts)
    print_table([*(WIDE_ID_COLUMNS if wide else ID_COLUMNS), *COLUMNS],
                [_table_row(alert, ids) for alert in alerts],
                title=f"alerts (namespace {document['namespace']})", headers=headers,
                fit=not wide)
    if document["global_pause"] is not None:
        pause = document["global_pause"]
        note(f"ALL alerts are paused (by {pause['paused_by']}, {pause['reason'] or 'no reason'});"
             " `alertctl resume --all` lifts it")
    if not document["cluster"]["reachable"]:
        note(f"cluster columns missing (CRONJOB shows '?'): {document['cluster']['error']}")
    if document["orphans"]:
        note(f"{len(document['orphans'])} managed CronJob(s) without an alert (the next sync"
             f" deletes them): {', '.join(document['orphans'][:5])}")
    if not document["alerts"]:
        note("no alerts")


def status(
    alert: Annotated[
        str | None, typer.Option("--alert", help="only this alert (UUID or a unique prefix)",
                                 show_default=False)
    ] = None,
    client: Annotated[
        str | None, typer.Option("--client", help="only this client's alerts (UUID)",
                                 show_default=False)
    ] = None,
    output: FormatOption = Format.table,
    no_headers: NoHeadersOption = False,
    database_url: DatabaseUrlOption = None,
    namespace: NamespaceOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """One row per alert: schedule, state, next and last run, CronJob in sync or not."""
    settings = settings_from(database_url=database_url, namespace=namespace)
    alert_ref = None if alert is None else parse_alert_ref(alert)
    client_id = None if client is None else parse_alert_id(client, "client id")

    async def work(conn: AsyncConnection) -> Snapshot:
        snapshot = await _read_database(settings, conn, alert_ref, client_id)
        await read_cluster(settings, snapshot, KubeLogin(kubeconfig, context))
        return snapshot

    document = status_document(with_connection(settings, work), settings)
    if output.is_table:
        _print_table(document, output is Format.wide, headers=not no_headers)
    elif output is Format.name:
        print_names([alert["id"] for alert in document["alerts"]])
    else:
        print_document(document, output)
        if not document["cluster"]["reachable"]:
            note(f"cluster columns missing: {document['cluster']['error']}")
