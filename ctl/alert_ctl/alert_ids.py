"""Alert ids as people type them: a full UUID or a unique prefix of one (``ed495b27``), as
tables show them (alert_ctl.tables.short_ids).

A prefix is resolved against the database: the alerts table, and where a command also works on
what an alert left behind (history: its runs; resume: its pause), those tables too. A prefix
is a UUID range, so the lookup uses the primary-key index however large the table.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db.tables import alerts_table, state_tables
from alert_core.settings import Settings
from alert_ctl.common import EXIT_USAGE, fail

MAX_CANDIDATES = 5
_HEX_OR_DASH = re.compile(r"[0-9a-f-]{1,36}\Z")
_ZERO = "00000000-0000-0000-0000-000000000000"
AlsoIn = Literal["runs", "pauses"]
NOT_AN_ALERT = uuid.UUID(_ZERO)  # the global pause's row (alert_core.db.pauses)


class AlertIdError(LookupError):
    """A prefix that matches no alert, or more than one (exit 1, one line)."""


@dataclass(frozen=True)
class AlertRef:
    """What the user typed: ``exact`` for a whole UUID, else a prefix of one."""

    text: str
    exact: uuid.UUID | None = None

    def bounds(self) -> tuple[uuid.UUID, uuid.UUID]:
        """The smallest and largest UUID that start with the prefix."""
        low = self.text + _ZERO[len(self.text):]
        high = self.text + re.sub("0", "f", _ZERO[len(self.text):])
        return uuid.UUID(low), uuid.UUID(high)


def parse_alert_ref(text: str, what: str = "alert id") -> AlertRef:
    """``text`` as a UUID or a prefix of one, else exit 2 with one line naming ``what``."""
    stripped = text.strip().lower()
    try:
        return AlertRef(stripped, uuid.UUID(stripped))
    except ValueError:
        pass
    # A prefix of the canonical form: hex digits, dashes only where a UUID has them.
    if _HEX_OR_DASH.match(stripped) and all(
        (char == "-") == (_ZERO[i] == "-") for i, char in enumerate(stripped)
    ):
        return AlertRef(stripped)
    fail(f"{what} {text[:80]!r}: not a UUID or a prefix of one", EXIT_USAGE)


async def _candidates(
    conn: AsyncConnection, column: Column[uuid.UUID], ref: AlertRef
) -> set[uuid.UUID]:
    low, high = ref.bounds()
    found = await conn.execute(
        select(column).where(column.between(low, high)).distinct().limit(MAX_CANDIDATES + 1)
    )
    return set(found.scalars())


async def resolve_alert_ref(
    conn: AsyncConnection, settings: Settings, ref: AlertRef, also_in: Sequence[AlsoIn] = ()
) -> uuid.UUID:
    """The one alert id ``ref`` names; a whole UUID is taken as it is (the command says
    whether it knows that alert). Raises :class:`AlertIdError`."""
    if ref.exact is not None:
        return ref.exact
    tables = state_tables(settings.state_schema)
    columns: list[Column[uuid.UUID]] = [
        alerts_table(settings.alerts_schema, settings.alerts_table).c.id,
        *(tables.runs.c.alert_id if table == "runs" else tables.pauses.c.alert_id
          for table in also_in),
    ]
    found: set[uuid.UUID] = set()
    for column in columns:
        found |= await _candidates(conn, column, ref)
    found.discard(NOT_AN_ALERT)
    if not found:
        raise AlertIdError(f"no alert id starts with {ref.text!r}")
    if len(found) > 1:
        shown = sorted(map(str, found))
        listed = ", ".join(shown[:MAX_CANDIDATES]) + (", ..." if len(shown) > MAX_CANDIDATES
                                                      else "")
        raise AlertIdError(f"alert id prefix {ref.text!r} is ambiguous: {listed}")
    return found.pop()


async def resolve_alert_refs(
    conn: AsyncConnection, settings: Settings, refs: Sequence[AlertRef],
    also_in: Sequence[AlsoIn] = (),
) -> list[uuid.UUID]:
    """Each ref's id, in order, without repeats."""
    ids = [await resolve_alert_ref(conn, settings, ref, also_in) for ref in refs]
    return list(dict.fromkeys(ids))
