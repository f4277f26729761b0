"""The ``alertctl`` entry point (also ``kubectl alerts``, as a kubectl plugin): one Typer app,
one module per command; usage errors are one line (alert_ctl.usage)."""

from __future__ import annotations

from typing import Annotated

import typer

from alert_core.version import installed_version
from alert_ctl.cron_cmd import cron
from alert_ctl.history_cmd import history
from alert_ctl.migrate_cmd import migrate
from alert_ctl.pause_cmd import pause_alerts, resume_alerts
from alert_ctl.render_cmd import render
from alert_ctl.retry_cmd import retry
from alert_ctl.run_now_cmd import run_now
from alert_ctl.status_cmd import status
from alert_ctl.sync_cmd import sync
from alert_ctl.usage import OneLineErrorsGroup

KUBECTL_PLUGIN = "kubectl alerts"  # kubectl runs the `kubectl-alerts` program for `kubectl alerts`

app = typer.Typer(
    name="alertctl",
    cls=OneLineErrorsGroup,
    no_args_is_help=True,
    # Help as written: rich markup would eat "[env: DATABASE_URL]".
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"alertctl {installed_version()}")
        raise typer.Exit()


@app.callback()
def alertctl(
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_print_version,
                           help="print the version and exit")
    ] = False,
) -> None:
    """Inspect and operate alert-operator: schedules, migrations, CronJobs.

    Alert ids may be shortened to a unique prefix, as the tables show them. Every data command
    takes -o table|wide|json|yaml|name and --no-headers.
    """


# A JSON argument may start with "-" (`alertctl cron -1`): unknown options are arguments there.
app.command(context_settings={"ignore_unknown_options": True})(cron)
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
    app(prog_name="alertctl")


def kubectl_plugin() -> None:
    """``kubectl-alerts``: the same commands as ``kubectl alerts ...``."""
    app(prog_name=KUBECTL_PLUGIN)
