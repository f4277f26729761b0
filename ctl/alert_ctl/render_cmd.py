"""``alertctl render``: the CronJobs of all alerts, as the operator would apply them."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
import yaml
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.alert import AlertError, clean_name, validate_alert
from alert_core.cronjob import desired_cronjob
from alert_core.db.alerts import iter_alerts
from alert_core.db.engine import make_engine
from alert_core.db.pauses import Pauses, load_pauses
from alert_core.settings import Settings
from alert_ctl.common import (
    DATABASE_ERRORS,
    EXIT_FAILURE,
    EXIT_USAGE,
    DatabaseUrlOption,
    NamespaceOption,
    describe_database_error,
    fail,
    run_async,
    settings_from,
)
from alert_ctl.formatting import say

# The C emitter when PyYAML has it: 100,000 CronJobs are a lot of YAML.
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
NO_PAUSES = Pauses(everything=False, alert_ids=frozenset())


async def _pauses(conn: AsyncConnection, settings: Settings) -> Pauses:
    """Pauses suspend CronJobs as the operator would; an unmigrated database has none."""
    table = f'"{settings.state_schema}".alert_pauses'
    exists = await conn.scalar(text("SELECT to_regclass(:table) IS NOT NULL"), {"table": table})
    return await load_pauses(conn, settings) if exists else NO_PAUSES


def _document(manifest: dict[str, Any]) -> str:
    return str(
        yaml.dump(manifest, Dumper=_Dumper, sort_keys=False, width=120, explicit_start=True)
    )


async def _render(settings: Settings) -> int:
    """Write each valid alert's CronJob to stdout as it is read; return how many were skipped.

    Streamed batch by batch, so that memory stays flat however large the table is.
    """
    skipped = 0
    engine = make_engine(settings, pool_size=1)
    try:
        async with engine.connect() as conn:
            pauses = await _pauses(conn, settings)
            async for batch in iter_alerts(conn, settings):
                documents = []
                for row in batch:
                    try:
                        alert = validate_alert(row)
                    except AlertError as error:
                        skipped += 1
                        name = clean_name(row.name)[:80]
                        say(f"skipped alert {row.id} ({name!r}): {error}", err=True)
                        continue
                    manifest = desired_cronjob(alert, settings, paused=pauses.is_paused(alert.id))
                    documents.append(_document(manifest))
                sys.stdout.write("".join(documents))
                sys.stdout.flush()
    finally:
        await engine.dispose()
    return skipped


def render(
    database_url: DatabaseUrlOption = None,
    namespace: NamespaceOption = None,
    image: Annotated[
        str | None, typer.Option("--image", help="runner image [env: ALERT_RUNNER_IMAGE]")
    ] = None,
) -> None:
    """Print every alert's CronJob as multi-document YAML (kubectl apply -f - ready).

    Alerts whose frequency cannot be understood are reported on stderr, one line each, and left
    out; the exit code is then 1.
    """
    settings = settings_from(database_url=database_url, namespace=namespace, runner_image=image)
    if not settings.database_url:
        fail("DATABASE_URL: not set (give --database-url or set DATABASE_URL)", EXIT_USAGE)
    try:
        skipped = run_async(lambda: _render(settings))
    except BrokenPipeError:  # `alertctl render | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(EXIT_FAILURE) from None
    except DATABASE_ERRORS as error:
        fail(describe_database_error(error))
    if skipped:
        raise typer.Exit(EXIT_FAILURE)
