"""The queue of CronJob watch events: reduced to (alert id, digest) when they arrive.

The CronJob watch (:mod:`alert_operator.cronjob_watch`) notes each event here and drops its
body; 10,000 bodies waiting for a full sync were once most of the operator's peak memory.
A later event for the same CronJob replaces one not handled yet.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

from alert_operator.kube import is_managed
from alert_operator.planner import alert_id_of, digest


class WatchEventQueue:
    def __init__(self) -> None:
        # CronJob name -> (alert id, digest; None when deleted)
        self._pending: dict[str, tuple[uuid.UUID, str | None]] = {}
        self.waiting = asyncio.Event()

    def note(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        if not is_managed(body):
            return
        alert_id = alert_id_of(body)
        if alert_id is None:
            return
        name = str((body.get("metadata") or {}).get("name") or "")
        self._pending[name] = (alert_id, None if event_type == "DELETED" else digest(body))
        self.waiting.set()

    def take_stale(self, seen: Mapping[uuid.UUID, str]) -> list[uuid.UUID]:
        """Empty the queue; the alerts whose CronJob is no longer as ``seen`` (alert id -> the
        digest of its CronJob when last in sync) says."""
        self.waiting.clear()
        pending, self._pending = self._pending, {}
        return list({alert_id for alert_id, now in pending.values()
                     if now is None or seen.get(alert_id) != now})
