"""Reading pauses (``alertctl pause``): a paused alert's CronJob is suspended."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db.tables import GLOBAL_PAUSE_ID, state_tables
from alert_core.settings import Settings

GLOBAL_PAUSE_UUID = uuid.UUID(GLOBAL_PAUSE_ID)


@dataclass(frozen=True)
class Pauses:
    """Which alerts are paused; ``everything`` is the global stop switch."""

    everything: bool
    alert_ids: frozenset[uuid.UUID]

    def is_paused(self, alert_id: uuid.UUID) -> bool:
        return self.everything or alert_id in self.alert_ids


async def load_pauses(conn: AsyncConnection, settings: Settings) -> Pauses:
    table = state_tables(settings.state_schema).pauses
    ids = frozenset((await conn.execute(select(table.c.alert_id))).scalars())
    return Pauses(GLOBAL_PAUSE_UUID in ids, ids - {GLOBAL_PAUSE_UUID})
