"""``alertctl cron``: a frequency's cron expression, timezone and next fire times."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Annotated

import typer

from alert_core.frequency import (
    AnyFrequency,
    FrequencyError,
    next_fire_times,
    now_utc,
    parse_frequency,
)
from alert_ctl.common import EXIT_USAGE, Output, OutputOption, fail, print_json
from alert_ctl.formatting import say


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


def cron(
    frequency_json: Annotated[
        str,
        typer.Argument(
            metavar="FREQUENCY_JSON", help='e.g. \'{"type": "daily", "time": "09:00"}\''
        ),
    ],
    next_count: Annotated[
        int, typer.Option("--next", min=0, max=1000, help="how many fire times to show")
    ] = 5,
    output: OutputOption = Output.text,
) -> None:
    """Translate a frequency into the CronJob's schedule and show when it fires next."""
    try:
        frequency = frequency_from_column_text(frequency_json)
    except FrequencyError as error:
        fail(str(error), EXIT_USAGE)
    times = next_fire_times(frequency, now_utc(), next_count)
    if output is Output.json:
        print_json(
            {
                "schedule": frequency.to_cron(),
                "timeZone": frequency.timezone,
                "next": [moment.isoformat() for moment in times],
            }
        )
        return
    say(f"schedule: {frequency.to_cron()}")
    say(f"timeZone: {frequency.timezone}")
    for moment in times:
        say(f"  {moment.isoformat()}  ({moment.astimezone(UTC).isoformat()})")
