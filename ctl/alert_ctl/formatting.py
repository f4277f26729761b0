"""Output of data, the same five formats for every command (``-o``, as kubectl's):

- ``table`` for people (alert_ctl.tables: short ids, fitted to the terminal), ``--no-headers``;
- ``wide``: the table with full ids and more columns, never cut;
- ``json`` and ``yaml``: the same document (its schema is in alert_ctl.schemas);
- ``name``: one name a line, as the next command takes it (an alert id for alertctl,
  ``kind.group/name`` for kubectl).

Notes (e.g. "cluster columns missing") go to stderr so that a pipe gets data only.
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
import yaml

from alert_core.printable import visible


class Format(enum.StrEnum):
    table = "table"
    wide = "wide"
    json = "json"
    yaml = "yaml"
    name = "name"

    @property
    def is_table(self) -> bool:
        return self in (Format.table, Format.wide)


# Every data command takes these two: a new command gets the same formats by using them.
FormatOption = Annotated[
    Format,
    typer.Option("--output", "-o", case_sensitive=False,
                 help="table (short ids), wide (full ids, more columns), json, yaml, or name"
                 " (one name a line)"),
]
NoHeadersOption = Annotated[
    bool, typer.Option("--no-headers", help="tables without their header line")
]


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def seconds(duration: timedelta | None) -> float | None:
    return None if duration is None else round(duration.total_seconds(), 3)


def human_duration(duration: timedelta | None) -> str:
    if duration is None:
        return "-"
    total = duration.total_seconds()
    if total < 60:
        return f"{total:.1f}s"
    minutes, secs = divmod(int(total), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def short_time(moment: datetime | None) -> str:
    """A readable time with its UTC offset, e.g. ``2026-03-01 09:00+01:00``."""
    if moment is None:
        return "-"
    offset = moment.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
    return moment.strftime("%Y-%m-%d %H:%M") + offset


def print_document(document: Any, output: Format) -> None:
    """JSON (indented) or YAML of a document made of dicts, lists, strings, numbers, None."""
    if output is Format.yaml:
        plain = json.loads(json.dumps(document, default=str))
        sys.stdout.write(yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, width=120))
        return
    json.dump(document, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def say(message: str, *, err: bool = False) -> None:
    """One line for people (stdout, or stderr with ``err``), control characters escaped."""
    typer.echo(visible(message), err=err)


def print_names(names: Sequence[str]) -> None:
    """``-o name``: one name a line."""
    for name in names:
        say(name)


def note(message: str) -> None:
    """A remark for the person reading, on stderr (never part of the data)."""
    say(f"note: {message}", err=True)
