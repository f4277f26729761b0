"""Tables as kubectl prints them: aligned columns, one row per line, short ids.

On a terminal the table fits its width: the widest cuttable cells are shortened (with ``…``);
ids and names to copy are never cut or wrapped. In a pipe nothing is cut (a script gets every
character). The data is escaped (alert_core.printable) before it is measured.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size

from alert_core.printable import visible

SHORT_ID_LENGTH = 8
GAP = "  "
MIN_CUT_WIDTH = 4  # a cut column keeps at least its header, or this many cells
_BREAKS = re.compile("[\n\t]+")


@dataclass(frozen=True)
class Column:
    header: str
    keep: bool = False  # an id or an object's name: shown whole, whatever the width


def is_terminal() -> bool:
    return sys.stdout.isatty()


def terminal_width() -> int:
    """COLUMNS when set (as shells export it), else the terminal's own width."""
    return shutil.get_terminal_size().columns


def cell(value: object) -> str:
    """A value as one table cell: ``-`` for nothing; line breaks and tabs of a multi-line error
    read as spaces, every other control character is escaped (names come from users)."""
    text = "-" if value is None or value == "" else str(value)
    return visible(" ".join(_BREAKS.split(text)))


def short_ids(ids: Iterable[str], minimum: int = SHORT_ID_LENGTH) -> dict[str, str]:
    """Each id's shortest prefix of at least ``minimum`` characters that no other id among
    ``ids`` shares (a prefix never ends in a UUID's ``-``)."""
    ordered = sorted(set(ids))
    shortest: dict[str, str] = {}
    for index, full in enumerate(ordered):
        neighbours = ordered[max(index - 1, 0):index] + ordered[index + 1:index + 2]
        length = max([minimum, *(_common_prefix(full, other) + 1 for other in neighbours)])
        if full[length - 1:length] == "-":
            length += 1
        shortest[full] = full[:length]
    return shortest


def _common_prefix(first: str, second: str) -> int:
    for index, (a, b) in enumerate(zip(first, second, strict=False)):
        if a != b:
            return index
    return min(len(first), len(second))


def _fit(widths: list[int], columns: Sequence[Column], available: int) -> list[int]:
    """Cut the widest cuttable column one cell at a time until the row fits."""
    floors = [width if column.keep else min(width, max(cell_len(column.header), MIN_CUT_WIDTH))
              for width, column in zip(widths, columns, strict=True)]
    fitted = list(widths)
    excess = sum(fitted) + len(GAP) * (len(fitted) - 1) - available
    while excess > 0:
        cuttable = [i for i, width in enumerate(fitted) if width > floors[i]]
        if not cuttable:
            break  # ids alone are wider than the terminal: the terminal wraps, we do not cut
        widest = max(cuttable, key=lambda i: fitted[i])
        fitted[widest] -= 1
        excess -= 1
    return fitted


def _clip(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1).rstrip() + "…"


def render_table(
    columns: Sequence[Column], rows: Sequence[Sequence[object]], *,
    headers: bool = True, width: int | None = None,
) -> list[str]:
    """The table's lines; cut to ``width`` cells when given (a terminal's width)."""
    cells = [[cell(value) for value in row] for row in rows]
    lines = ([[column.header for column in columns]] if headers else []) + cells
    if not lines:
        return []
    widths = [max(cell_len(line[i]) for line in lines) for i in range(len(columns))]
    if width is not None:
        widths = _fit(widths, columns, width)
    out = []
    for line in lines:
        padded = [set_cell_size(_clip(text, size), size) for text, size in zip(line, widths,
                                                                              strict=True)]
        out.append(GAP.join(padded).rstrip())
    return out


def print_table(
    columns: Sequence[Column | str], rows: Sequence[Sequence[object]], *,
    title: str | None = None, headers: bool = True, fit: bool = True,
) -> None:
    """A table on stdout; on a terminal with its title and (``fit``) cut to the terminal."""
    specs = [Column(column) if isinstance(column, str) else column for column in columns]
    terminal = is_terminal()
    if terminal and headers and title is not None:
        sys.stdout.write(visible(title) + "\n")
    width = terminal_width() if terminal and fit else None
    for line in render_table(specs, rows, headers=headers, width=width):
        sys.stdout.write(line + "\n")
