"""``alertctl render``: the CronJobs of all alerts, as the operator would apply them."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

import typer
import yaml
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.alert import AlertError, clean_name, validate_alert
from alert_core.cronjob import NAME_ANNOTATION, desired_cronjob
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
from alert_ctl.formatting import Format, FormatOption, NoHeadersOption, say
from alert_ctl.tables import Column, print_table

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


class _Sink:
    """Where the manifests go, in the chosen format: YAML and JSON streamed as they are read
    (JSON as kubectl's ``List``), names one a line, tables at the end (they align)."""

    def __init__(self, output: Format, headers: bool) -> None:
        self.output, self.headers = output, headers
        self.rows: list[list[object]] = []
        self.count = 0

    def write(self, manifests: list[dict[str, Any]]) -> None:
        if self.output is Format.yaml:
            sys.stdout.write("".join(map(_document, manifests)))
        elif self.output is Format.json:
            for manifest in manifests:
                sys.stdout.write(('{"apiVersion": "v1", "kind": "List", "items": [\n'
                                  if self.count == 0 else ",\n") + json.dumps(manifest))
                self.count += 1
        elif self.output is Format.name:
            for manifest in manifests:
                sys.stdout.write(f"cronjob.batch/{manifest['metadata']['name']}\n")
        else:
            self.rows += [_row(manifest, self.output is Format.wide) for manifest in manifests]
        sys.stdout.flush()

    def close(self) -> None:
        if self.output is Format.json:
            sys.stdout.write(('{"apiVersion": "v1", "kind": "List", "items": [' if self.count == 0
                              else "\n") + "]}\n")
        elif self.output.is_table:
            wide = self.output is Format.wide
            print_table([*COLUMNS, *WIDE_COLUMNS] if wide else COLUMNS, self.rows,
                        headers=self.headers, fit=not wide)


COLUMNS = (Column("NAME", keep=True), Column("SCHEDULE"), Column("TIMEZONE"), Column("SUSPEND"))
WIDE_COLUMNS = (Column("ALERT"), Column("IMAGE"))


def _row(manifest: dict[str, Any], wide: bool) -> list[object]:
    spec = manifest["spec"]
    row: list[object] = [manifest["metadata"]["name"], spec["schedule"], spec.get("timeZone"),
                         str(bool(spec.get("suspend"))).lower()]
    if wide:
        containers = spec["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        row += [manifest["metadata"]["annotations"].get(NAME_ANNOTATION),
                containers[0].get("image")]
    return row


async def _render(settings: Settings, sink: _Sink) -> int:
    """Write each valid alert's CronJob to stdout as it is read; return how many were skipped.

    Streamed batch by batch, so that memory stays flat however large the table is.
    """
    skipped = 0
    engine = make_engine(settings, pool_size=1)
    try:
        async with engine.connect() as conn:
            pauses = await _pauses(conn, settings)
            async for batch in iter_alerts(conn, settings):
                manifests = []
                for row in batch:
                    try:
                        alert = validate_alert(row)
                    except AlertError as error:
                        skipped += 1
                        name = clean_name(row.name)[:80]
                        say(f"skipped alert {row.id} ({name!r}): {error}", err=True)
                        continue
                    manifests.append(
                        desired_cronjob(alert, settings, paused=pauses.is_paused(alert.id)))
                sink.write(manifests)
            sink.close()
    finally:
        await engine.dispose()
    return skipped


def render(
    database_url: DatabaseUrlOption = None,
    namespace: NamespaceOption = None,
    image: Annotated[
        str | None, typer.Option("--image", help="runner image [env: ALERT_RUNNER_IMAGE]")
    ] = None,
    output: FormatOption = Format.yaml,  # yaml: kubectl apply -f - ready; json: a List
    no_headers: NoHeadersOption = False,
) -> None:
    """Print every alert's CronJob as multi-document YAML (kubectl apply -f - ready).

    Alerts whose frequency cannot be understood are reported on stderr, one line each, and left
    out; the exit code is then 1.
    """
    settings = settings_from(database_url=database_url, namespace=namespace, runner_image=image)
    if not settings.database_url:
        fail("DATABASE_URL: not set (give --database-url or set DATABASE_URL)", EXIT_USAGE)
    try:
        sink = _Sink(output, headers=not no_headers)
        skipped = run_async(lambda: _render(settings, sink))
    except BrokenPipeError:  # `alertctl render | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(EXIT_FAILURE) from None
    except DATABASE_ERRORS as error:
        fail(describe_database_error(error))
    if skipped:
        raise typer.Exit(EXIT_FAILURE)
