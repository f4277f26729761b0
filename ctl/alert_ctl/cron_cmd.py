"""``alertctl cron``: a frequency's cron expression, timezone, description and next fire times
(DST marks: alert_core.fire_times)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from alert_core.describe import describe_cron
from alert_core.fire_times import FireTime, explain_fire_times
from alert_core.frequency import AnyFrequency, FrequencyError, now_utc, parse_frequency
from alert_ctl.common import EXIT_USAGE, fail
from alert_ctl.formatting import (
    Format,
    FormatOption,
    NoHeadersOption,
    print_document,
    print_names,
    say,
)


def frequency_from_column_text(text: str) -> AnyFrequency:
    """The frequency a row whose ``frequency`` column holds ``text`` has, by the same rule.

    The reader decodes the column's JSON once and ``parse_frequency`` decodes a string once
    more: applications that json.dumps() a frequency before writing it store it double-encoded,
    and such alerts run. So a JSON string literal is unwrapped here too, once (a string literal
    is flat: decoding it cannot recurse, whatever it holds).
    """
    if text.lstrip().startswith('"'):
        try:
            inner = json.loads(text)
        except ValueError:
            pass  # parse_frequency names the problem
        else:
            return parse_frequency(inner)
    return parse_frequency(text)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"--after {text[:40]!r}: not an ISO 8601 time (e.g. 2027-03-13T00:00Z)", EXIT_USAGE)
    if moment.tzinfo is None:
        fail(f"--after {text[:40]!r}: give its UTC offset (e.g. Z or +01:00)", EXIT_USAGE)
    return moment


def _document(frequency: AnyFrequency, times: list[FireTime]) -> dict[str, Any]:
    """The JSON output (schema: alert_ctl.schemas.CRON)."""
    cron_text = frequency.to_cron()
    return {
        "schedule": cron_text,
        "timeZone": frequency.timezone,
        "description": describe_cron(cron_text),
        "next": [item.local.isoformat() for item in times if item.fires],
        "dst": [{"local": item.local.replace(tzinfo=None).isoformat(timespec="minutes"),
                 "time": item.local.isoformat() if item.fires else None,
                 "kind": item.kind, "runner_skips": item.runner_skips, "reason": item.reason}
                for item in times if item.kind != "scheduled"],
    }


def _line(item: FireTime) -> str:
    if not item.fires:
        return f"  {item.local:%Y-%m-%d %H:%M}  skipped: {item.reason}"
    line = f"  {item.local.isoformat()}  ({item.local.astimezone(UTC).isoformat()})"
    return line if item.reason is None else f"{line}  {item.kind}: {item.reason}"


def cron(
    frequency_json: Annotated[
        str,
        typer.Argument(
            metavar="FREQUENCY_JSON",
            help='e.g. \'{"type": "daily", "time": "09:00"}\' (one starting with "-" works too)',
        ),
    ],
    next_count: Annotated[
        int, typer.Option("--next", min=0, max=1000, help="how many fire times to show")
    ] = 5,
    after: Annotated[
        str | None,
        typer.Option("--after", metavar="TIME", show_default=False,
                     help="fire times after this ISO 8601 time, e.g. 2027-03-13T00:00Z"
                     " [default: now]"),
    ] = None,
    output: FormatOption = Format.table,
    no_headers: NoHeadersOption = False,
) -> None:
    """Translate a frequency into the CronJob's schedule, in words, and show when it fires next:
    as Kubernetes fires it, with each run that a DST change skips, shifts or repeats marked."""
    try:
        frequency = frequency_from_column_text(frequency_json)
    except FrequencyError as error:
        fail(str(error), EXIT_USAGE)
    start = now_utc() if after is None else _moment(after)
    document = _document(frequency, times := explain_fire_times(frequency, start, next_count))
    if output is Format.name:
        print_names(document["next"])
        return
    if not output.is_table:
        print_document(document, output)
        return
    if not no_headers:
        say(f"schedule: {document['schedule']}")
        say(f"timeZone: {document['timeZone']}")
        say(f"description: {document['description']}")
    for item in times:
        say(_line(item))
