"""Output of data: a table for people (rich on a terminal, plain text in a pipe), JSON or YAML.

JSON and YAML carry the same document (the schemas are in alert_ctl.schemas); the table shows a
subset of it. Notes (e.g. "cluster columns missing") go to stderr so that a pipe gets data only.
"""

from __future__ import annotations

import enum
import json
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
import yaml

from alert_core.printable import visible


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


FormatOption = Annotated[
    Format,
    typer.Option("--output", "-o", help="table for people; json or yaml for scripts"),
]


def is_terminal() -> bool:
    return sys.stdout.isatty()


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


_BREAKS = re.compile("[\n\t]+")


def _cell(value: object) -> str:
    text = "-" if value is None or value == "" else str(value)
    # One row per line, whatever the data holds (names and errors come from users): line breaks
    # and tabs of a multi-line error read as spaces, every other control character is escaped.
    return visible(" ".join(_BREAKS.split(text)))


def say(message: str, *, err: bool = False) -> None:
    """One line for people (stdout, or stderr with ``err``), control characters escaped."""
    typer.echo(visible(message), err=err)


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, title: str | None = None
) -> None:
    """A table: rich's on a terminal; aligned plain columns (kubectl style) otherwise."""
    cells = [[_cell(value) for value in row] for row in rows]
    if is_terminal():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        # Text(), not str: an alert named "[red]x" is data, not rich markup.
        table = Table(title=None if title is None else Text(visible(title)), header_style="bold")
        for header in headers:
            table.add_column(header, overflow="fold")
        for row in cells:
            table.add_row(*(Text(cell) for cell in row))
        Console().print(table)
        return
    widths = [len(header) for header in headers]
    for row in cells:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    for line in [list(headers), *cells]:
        padded = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        sys.stdout.write("  ".join(padded).rstrip() + "\n")


def note(message: str) -> None:
    """A remark for the person reading, on stderr (never part of the data)."""
    say(f"note: {message}", err=True)
