"""Which alerts are paused: the value a sync plans with (alert_core.db.pauses reads and
writes the pauses through SQLAlchemy, alert_core.db.direct_reads reads them with asyncpg)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from alert_core.db.names import GLOBAL_PAUSE_ID

GLOBAL_PAUSE_UUID = uuid.UUID(GLOBAL_PAUSE_ID)


@dataclass(frozen=True)
class Pauses:
    """Which alerts are paused; ``everything`` is the global stop switch."""

    everything: bool
    alert_ids: frozenset[uuid.UUID]

    def is_paused(self, alert_id: uuid.UUID) -> bool:
        return self.everything or alert_id in self.alert_ids

    @classmethod
    def of(cls, ids: Iterable[uuid.UUID]) -> Pauses:
        """From the ids of the ``alert_pauses`` rows (the global one included)."""
        found = frozenset(ids)
        return cls(GLOBAL_PAUSE_UUID in found, found - {GLOBAL_PAUSE_UUID})
