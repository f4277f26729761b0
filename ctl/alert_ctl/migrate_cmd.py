"""``alertctl migrate``: create or upgrade our tables and the change-feed trigger."""

from __future__ import annotations

from typing import Annotated

import typer

from alert_core.db.migrate import migrate as run_migrations
from alert_ctl.common import (
    DATABASE_ERRORS,
    EXIT_USAGE,
    DatabaseUrlOption,
    describe_database_error,
    fail,
    run_async,
    settings_from,
)
from alert_ctl.formatting import say


def migrate(
    database_url: DatabaseUrlOption = None,
    no_trigger: Annotated[
        bool,
        typer.Option("--no-trigger", help="do not add the NOTIFY trigger to the alerts table"),
    ] = False,
) -> None:
    """Create or upgrade alert_runs, alert_instances and the trigger (idempotent)."""
    settings = settings_from(database_url=database_url)
    if not settings.database_url:
        fail("DATABASE_URL: not set (give --database-url or set DATABASE_URL)", EXIT_USAGE)
    try:
        run_async(lambda: run_migrations(settings, install_trigger=not no_trigger))
    except DATABASE_ERRORS as error:
        fail(describe_database_error(error))
    say("migrated" + (" (no trigger)" if no_trigger else ""))
