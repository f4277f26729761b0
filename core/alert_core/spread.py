"""An optional, deterministic minute offset per alert, against the thundering herd.

When thousands of alerts share ``0 9 * * *``, the CronJob controller must start thousands of
Jobs at once through a rate-limited client (see BENCHMARKS.md): the last ones start minutes
late, and some may pass ``startingDeadlineSeconds`` and be skipped for the day. With
``schedule_spread_minutes = W`` (0 = off, the default) each alert with a fixed minute (hourly,
daily, weekly, monthly) runs ``offset`` minutes later, ``0 <= offset < W``, where the offset
comes from a hash of the alert's id: the same in every process, every run, every version.

The offset only ever moves the minute forward *inside the same hour* (it is capped at minute
59). The hour, day and weekday fields never change, so:

- no run moves to another day (23:55 with a 10-minute window stays between 23:55 and 23:59);
- daylight-saving changes behave exactly as for the unshifted schedule: the hour that is
  skipped or repeated is the same hour, so a skipped 02:00 run stays skipped and a repeated
  01:30 run still fires twice;
- raw ``cron`` frequencies are left as written: their author chose every field.
"""

from __future__ import annotations

import hashlib
import uuid

from alert_core.frequency import AnyFrequency, Cron

MINUTES_PER_HOUR = 60


def spread_offset(alert_id: uuid.UUID, minute: int, window: int) -> int:
    """Minutes to add to ``minute``: ``0 <= offset < window`` and ``minute + offset <= 59``."""
    width = min(window, MINUTES_PER_HOUR - minute)
    if width <= 1:
        return 0
    # SHA-256 rather than hash(): Python's string hashing is salted per process.
    digest = hashlib.sha256(alert_id.bytes).digest()
    return int.from_bytes(digest[:8], "big") % width


def spread_frequency(
    frequency: AnyFrequency, alert_id: uuid.UUID, window: int
) -> AnyFrequency:
    """The frequency the CronJob really runs at (the same object when nothing moves)."""
    if window <= 1 or isinstance(frequency, Cron):
        return frequency
    offset = spread_offset(alert_id, frequency.minute, window)
    if offset == 0:
        return frequency
    time = f"{frequency.hour:02d}:{frequency.minute + offset:02d}"
    return frequency.model_copy(update={"time": time})


def spread_cron(
    frequency: AnyFrequency, alert_id: uuid.UUID, window: int
) -> str:
    """``spec.schedule`` for the alert, with its offset applied when the window is on."""
    return spread_frequency(frequency, alert_id, window).to_cron()
