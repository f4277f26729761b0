"""A validated alert: a row of the application's table whose frequency we understand."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alert_core.frequency import (
    AnyFrequency,
    FrequencyError,
    parse_frequency,
)

if TYPE_CHECKING:  # the row's type only: the pure core loads no database code
    from alert_core.db.alerts import AlertRow

MAX_NAME_LENGTH = 1024


class AlertError(ValueError):
    """The alert cannot be scheduled; the message says why (one line)."""


@dataclass(frozen=True, slots=True)
class Alert:
    id: uuid.UUID
    client_id: uuid.UUID
    name: str
    frequency: AnyFrequency
    is_active: bool


def clean_name(name: str) -> str:
    """The human name made safe for an annotation and a log line (no control characters)."""
    if name.isprintable():  # the usual name: one C-level check instead of a call per character
        return name[:MAX_NAME_LENGTH]
    printable = "".join(ch if ch.isprintable() else " " for ch in name)
    return printable[:MAX_NAME_LENGTH]


def validate_alert(row: AlertRow) -> Alert:
    """Raise :class:`AlertError` when the row cannot become a CronJob."""
    if row.problem is not None:
        raise AlertError(row.problem)
    if row.client_id is None:
        raise AlertError("client_id: missing")
    try:
        frequency = parse_frequency(row.frequency)
    except FrequencyError as error:
        raise AlertError(str(error)) from None
    return Alert(row.id, row.client_id, clean_name(row.name), frequency, row.is_active)
