"""The change latency: from a NOTIFY received by the change feed to its CronJob written.

The change feed hands each change to the reconciler in a task of its own
(``ChangeFeed._reconcile``), and the applier sends that change's write from a task started
inside it: so a context variable carries the moment of receipt from the one to the other,
instead of a parameter threaded through every layer in between (handlers, reconciler, gate,
applier) that only this measurement would use. A write that no notification asked for (the
periodic full sync, a CronJob's watch event) runs outside such a task and is not measured;
neither is a sync that writes nothing (in sync already, dry-run, the write refused).
"""

from __future__ import annotations

import time
from contextvars import ContextVar

from alert_operator.metrics import CHANGE_LATENCY

# time.monotonic() when the change now being reconciled in this task was received.
_RECEIVED_AT: ContextVar[float | None] = ContextVar("change_received_at", default=None)


def handing_over(received_at: float) -> None:
    """Called in the change feed's task for one change: it was received at ``received_at``
    (``time.monotonic()``). The task's own context keeps it; other tasks never see it."""
    _RECEIVED_AT.set(received_at)


def cronjob_written() -> None:
    """Called when the API server has answered a CronJob write with success."""
    received_at = _RECEIVED_AT.get()
    if received_at is not None:
        CHANGE_LATENCY.observe(max(0.0, time.monotonic() - received_at))
