"""``alertctl render``: the CronJobs of all alerts, as the operator would apply them."""

from __future__ import annotations

from typing import Annotated, Any

import typer
import yaml
from sqlalchemy.exc import SQLAlchemyError

from alert_core.alert import AlertError, validate_alert
from alert_core.cronjob import desired_cronjob
from alert_core.db.alerts import iter_alerts
from alert_core.db.engine import make_engine
from alert_core.settings import Settings
from alert_ctl.common import (
    EXIT_FAILURE,
    DatabaseUrlOption,
    NamespaceOption,
    describe_database_error,
    fail,
    run_async,
    settings_from,
)


async def _render(settings: Settings) -> tuple[list[dict[str, Any]], list[str]]:
    manifests: list[dict[str, Any]] = []
    problems: list[str] = []
    engine = make_engine(settings, pool_size=1)
    try:
        async with engine.connect() as conn:
            async for batch in iter_alerts(conn, settings):
                for row in batch:
                    try:
                        manifests.append(desired_cronjob(validate_alert(row), settings))
                    except AlertError as error:
                        problems.append(f"alert {row.id} ({row.name[:80]!r}): {error}")
    finally:
        await engine.dispose()
    return manifests, problems


def render(
    database_url: DatabaseUrlOption = None,
    namespace: NamespaceOption = None,
    image: Annotated[
        str | None, typer.Option("--image", help="runner image [env: ALERT_RUNNER_IMAGE]")
    ] = None,
) -> None:
    """Print every alert's CronJob as multi-document YAML (kubectl apply -f - ready)."""
    settings = settings_from(database_url=database_url, namespace=namespace, runner_image=image)
    if not settings.database_url:
        fail("DATABASE_URL: not set (give --database-url or set DATABASE_URL)", 2)
    try:
        manifests, problems = run_async(lambda: _render(settings))
    except (OSError, SQLAlchemyError) as error:
        fail(describe_database_error(error))
    typer.echo(yaml.safe_dump_all(manifests, sort_keys=False, width=120), nl=False)
    for problem in problems:
        typer.echo(f"skipped {problem}", err=True)
    if problems:
        raise typer.Exit(EXIT_FAILURE)
