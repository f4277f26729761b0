"""The delete-rate window: every CronJob deleted lately, whichever sync deleted it.

Mass-delete protection must hold however the rows go: one statement's rows arrive as one
notification each, and a table emptied in batches arrives as several full syncs. So every delete
(one-alert or full sync) is remembered for one resync interval (at least a minute):

- a one-alert sync may delete only while fewer than ``mass_delete_min`` deletes are in the
  window; past that its delete waits for a full sync (at most ``mass_delete_min`` CronJobs
  disappear one by one before the guard can judge);
- a full sync counts the deletes in the window as its own (``plan(recently_deleted=...)``), so the
  guard and its message see the whole deletion, not what is left of it.
"""

from __future__ import annotations

from collections import deque

from alert_core.settings import Settings
from alert_operator.clock import Clock

MIN_WINDOW_SECONDS = 60.0


class DeleteWindow:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._times: deque[float] = deque()

    @property
    def seconds(self) -> float:
        return max(self._settings.resync_interval_seconds, MIN_WINDOW_SECONDS)

    def count(self) -> int:
        """Deletes within the window (older ones are forgotten here)."""
        now = self._clock.monotonic()
        while self._times and now - self._times[0] > self.seconds:
            self._times.popleft()
        return len(self._times)

    def reserve_one_alert_delete(self) -> bool:
        """May a one-alert sync delete now? If so the delete counts from now: one-alert syncs run
        concurrently, and each must see the others' deletes before it decides."""
        settings = self._settings
        if not settings.confirm_mass_delete and self.count() >= settings.mass_delete_min:
            return False
        self.deleted()
        return True

    def deleted(self, how_many: int = 1) -> None:
        now = self._clock.monotonic()
        self._times.extend([now] * how_many)
