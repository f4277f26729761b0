"""An alert row as we read it, and how each raw value is decoded: the one definition shared by
the SQLAlchemy reads (alert_core.db.alerts) and the operator's asyncpg reads
(alert_core.db.direct_reads). No SQLAlchemy here: the operator's start-up path imports this.

Every column is read as text (the driver decodes nothing: its JSON decoder recurses and raises
on a hostile row, stopping the whole read), and each value is decoded here, on its own: a value
that does not fit makes its row an invalid alert, never the read fail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from alert_core.safe_json import JsonLimitError, loads_bounded
from alert_core.settings import Settings

BATCH_SIZE = 5000
COLUMNS = ("id", "client_id", "name", "frequency", "is_active")
# The types we expect; another type is read all the same, value by value (see decode_row).
EXPECTED_TYPES = {"id": "uuid", "client_id": "uuid", "name": "text", "frequency": "jsonb",
                  "is_active": "boolean"}

# Stands in for an id that is not a UUID (a text id column): such a row is an invalid alert,
# shown under this stable id, and never gets a CronJob.
NOT_A_UUID_NAMESPACE = uuid.UUID("5b0c7c4e-3f3d-4a57-9d0e-6a1c0d7f4c21")
_TRUE = frozenset({"true", "t", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "f", "0", "no", "n", "off"})


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One alert as stored; ``frequency`` is the decoded JSON, validated later by the caller.

    ``problem`` says why the row cannot be read at all (an id that is not a UUID, JSON beyond
    the limits of :mod:`alert_core.safe_json`): the row is then an invalid alert.
    """

    id: uuid.UUID
    client_id: uuid.UUID | None
    name: str
    frequency: Any
    is_active: bool
    problem: str | None = None


def _uuid(column: str, raw: str | None) -> tuple[uuid.UUID | None, str | None]:
    if raw is None:
        return None, None
    try:
        parsed = uuid.UUID(raw)
    except ValueError:
        return None, f"{column}: {raw[:40]!r} is not a UUID"
    # Canonical text only (what a uuid column gives): one alert is read back by this text.
    if str(parsed) != raw:
        return None, f"{column}: {raw[:40]!r} is not a UUID in canonical form (lower case, dashes)"
    return parsed, None


def _boolean(raw: str | None) -> tuple[bool, str | None]:
    word = (raw or "false").strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE, None
    return False, f"is_active: {word[:20]!r} is not a boolean"


def decode_row(values: Any) -> AlertRow:
    """The row of the :data:`COLUMNS` read as text (in that order), decoded."""
    raw_id, raw_client, name, raw_frequency, raw_active = values
    alert_id, id_problem = _uuid("id", raw_id)
    client_id, client_problem = _uuid("client_id", raw_client)
    is_active, active_problem = _boolean(raw_active)
    frequency, frequency_problem = None, None
    if raw_frequency is not None:
        try:
            frequency = loads_bounded(raw_frequency)
        except JsonLimitError as error:
            frequency_problem = f"frequency: {error}"
    problem = id_problem or client_problem or active_problem or frequency_problem
    if alert_id is None:
        alert_id = uuid.uuid5(NOT_A_UUID_NAMESPACE, raw_id or "")
        problem = problem or "id: missing"
    return AlertRow(alert_id, client_id, name or "", frequency, is_active, problem)


def quoted_table(settings: Settings) -> str:
    """The alerts table as SQL text (the names are plain identifiers: settings checks them)."""
    return f'"{settings.alerts_schema}"."{settings.alerts_table}"'


def column_types_sql(placeholder: str) -> str:
    """The query of (name, type) of the table's columns; ``placeholder``: its one parameter,
    the :func:`quoted_table` name, as the driver spells parameters."""
    return ("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"  # noqa: S608
            f" WHERE attrelid = to_regclass({placeholder}) AND attnum > 0 AND NOT attisdropped")


def our_column_types(pairs: Any) -> dict[str, str]:
    """The (name, type) pairs of :func:`column_types_sql` for the columns we read."""
    return {name: kind for name, kind in pairs if name in COLUMNS}


def unexpected_types(types: dict[str, str], settings: Settings) -> list[str]:
    """One line per column whose type is not the one we expect (text for a uuid id...)."""
    table = f"{settings.alerts_schema}.{settings.alerts_table}"
    close_enough = {"text": ("character varying", "character"), "jsonb": ("json", "text")}
    lines = []
    for column, expected in EXPECTED_TYPES.items():
        actual = types.get(column, "missing")
        if actual != expected and not actual.startswith(close_enough.get(expected, ())):
            lines.append(f"{table}.{column}: type {actual}, expected {expected}"
                         " (each value is checked on its own: one that does not fit makes its"
                         " row an invalid alert)")
    return lines
