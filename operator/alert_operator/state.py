"""What the operator knows right now: written by the reconciler, read by /status and probes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Literal

CronJobState = Literal["in sync", "drifted", "missing", "invalid", "orphan"]


@dataclass
class AlertState:
    """One alert as the last reconcile saw it."""

    id: uuid.UUID
    name: str
    schedule: str | None  # None when the frequency is invalid
    timezone: str | None
    suspended: bool
    cronjob: CronJobState
    problem: str | None = None  # why it is invalid, or the last API error for it


@dataclass
class OperatorState:
    alerts: dict[uuid.UUID, AlertState] = field(default_factory=dict)
    managed_cronjobs: int = 0
    last_sync_at: datetime | None = None  # end of the last full sync that completed
    last_sync_error: str | None = None
    database_reachable: bool = False
    mass_delete_blocked: str | None = None  # the reason, while protection holds deletes back
    dry_run: bool = False
    # CronJob name -> why its last Job has no pod (unstarted.py); changed in place, so that
    # a sync's adopt() keeps what the Job watch found meanwhile.
    runs_not_started: dict[str, str] = field(default_factory=dict)
    full_syncs: int = 0  # full syncs completed since start (tests and /status wait on it)
    # When this process started: liveness gives the first sync a grace period from here.
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def adopt(self, new: OperatorState) -> None:
        """Take every value of ``new``: this object is the one /status and the probes hold."""
        for item in fields(self):
            setattr(self, item.name, getattr(new, item.name))
