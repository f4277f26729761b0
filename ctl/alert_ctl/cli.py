"""The ``alertctl`` entry point: one Typer app, one module per command."""

from __future__ import annotations

import typer

from alert_ctl.cron_cmd import cron
from alert_ctl.history_cmd import history
from alert_ctl.migrate_cmd import migrate
from alert_ctl.pause_cmd import pause_alerts, resume_alerts
from alert_ctl.render_cmd import render
from alert_ctl.retry_cmd import retry
from alert_ctl.run_now_cmd import run_now
from alert_ctl.status_cmd import status
from alert_ctl.sync_cmd import sync

app = typer.Typer(
    name="alertctl",
    help="Inspect and operate alert-operator: schedules, migrations, CronJobs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(cron)
app.command()(migrate)
app.command()(render)
app.command("pause")(pause_alerts)
app.command("resume")(resume_alerts)
app.command()(history)
app.command()(status)
app.command()(sync)
app.command("run-now")(run_now)
app.command()(retry)


def main() -> None:
    app()
