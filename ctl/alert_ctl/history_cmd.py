"""``alertctl history``: an alert's runs from ``alert_runs``, newest first."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db.alerts import get_alert
from alert_core.db.history import MAX_HISTORY, RunRecord, alert_history, has_runs
from alert_ctl.common import EXIT_USAGE, DatabaseUrlOption, NamespaceOption, fail, settings_from
from alert_ctl.dbaccess import UnknownAlertsError, parse_alert_id, with_connection
from alert_ctl.formatting import (
    Format,
    FormatOption,
    human_duration,
    iso,
    print_document,
    print_table,
    say,
    seconds,
    short_time,
)
from alert_ctl.retry_cmd import show_failed

HEADERS = ("SCHEDULED", "TRIGGER", "STATUS", "ATTEMPTS", "DURATION", "JOB", "ERROR")
MAX_ERROR_CELL = 120


def run_document(run: RunRecord) -> dict[str, Any]:
    """One run as in the JSON output (schema: alert_ctl.schemas.RUN)."""
    return {
        "job_name": run.job_name,
        "trigger": run.trigger,
        "scheduled_for": iso(run.scheduled_for),
        "status": run.status,
        "attempts": run.attempts,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "duration_seconds": seconds(run.duration),
        "error": run.error,
    }


def _row(run: RunRecord) -> list[object]:
    error = run.error if run.error is None else run.error[:MAX_ERROR_CELL]
    when = short_time(run.scheduled_for) if run.scheduled_for else short_time(run.moment)
    return [when, run.trigger, run.status, run.attempts, human_duration(run.duration),
            run.job_name, error]


def history(
    alert_id: Annotated[
        str | None, typer.Argument(metavar="ALERT_ID", help="the alert (UUID)",
                                   show_default=False)
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=MAX_HISTORY, help="newest N runs")
    ] = 20,
    failed: Annotated[bool, typer.Option(
        "--failed", help="the failed runs of every alert (a queue for `alertctl retry`)")] = False,
    since: Annotated[str | None, typer.Option(
        "--since", help="--failed: runs of the last DURATION (30m, 24h, 7d)",
        show_default=False)] = None,
    client: Annotated[str | None, typer.Option(
        "--client", help="--failed: one client's runs (UUID)", show_default=False)] = None,
    output: FormatOption = Format.table,
    database_url: DatabaseUrlOption = None,
    namespace: NamespaceOption = None,
) -> None:
    """The alert's runs (scheduled time, trigger, status, attempts, duration, error), or with
    --failed the failed runs of all alerts."""
    settings = settings_from(database_url=database_url, namespace=namespace)
    if failed:
        show_failed(settings, alert=alert_id, since=since, client=client, limit=limit,
                    output=output)
        return
    if alert_id is None or since is not None or client is not None:
        fail("give ALERT_ID, or --failed (with --since/--client) for the failed runs of all"
             " alerts", EXIT_USAGE)
    wanted = parse_alert_id(alert_id)

    async def work(conn: AsyncConnection) -> tuple[str | None, list[RunRecord]]:
        alert = await get_alert(conn, settings, wanted)
        # A deleted alert's runs stay readable; an id seen nowhere is a typo.
        if alert is None and not await has_runs(conn, settings, wanted):
            raise UnknownAlertsError([wanted])
        return (None if alert is None else alert.name), await alert_history(
            conn, settings, wanted, limit
        )

    name, runs = with_connection(settings, work)
    if output is not Format.table:
        print_document(
            {
                "alert_id": str(wanted),
                "alert_name": name,
                "runs": [run_document(run) for run in runs],
            },
            output,
        )
        return
    title = f"{name or '(deleted alert)'} ({wanted})"
    if not runs:
        say(f"{title}: no runs yet")
        return
    print_table(HEADERS, [_row(run) for run in runs], title=title)
