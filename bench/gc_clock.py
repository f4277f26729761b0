"""The time Python's cyclic garbage collector ran in this process (all generations)."""

from __future__ import annotations

import gc
import time
from typing import Any


class GcClock:
    """The time the cyclic garbage collector ran (all generations), from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
