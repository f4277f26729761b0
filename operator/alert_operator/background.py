"""A value recomputed in a thread of its own, for /metrics gauges that take a while to compute
(a schedule's next times, for 10,000 alerts): a scrape answers at once with the latest value,
and the operator's event loop never waits for the computation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class BackgroundValue(Generic[T]):
    def __init__(self, compute: Callable[[], T], initial: T, max_age_seconds: float) -> None:
        self._compute = compute
        self._value = initial
        self._max_age = max_age_seconds
        self._computed_at: float | None = None
        self._running: threading.Thread | None = None
        self._lock = threading.Lock()

    def get(self, *, wait: bool = False) -> T:
        """The latest value; starts a recomputation when it is older than the maximum age
        (``wait``: and waits for it, for tests and commands)."""
        with self._lock:
            age = None if self._computed_at is None else time.monotonic() - self._computed_at
            stale = age is None or age >= self._max_age
            if stale and self._running is None:
                self._running = threading.Thread(target=self._refresh, daemon=True,
                                                 name="alert-operator-metrics")
                self._running.start()
            running = self._running
        if wait and running is not None:
            running.join()
        return self._value

    def _refresh(self) -> None:
        try:
            self._value = self._compute()
        finally:
            with self._lock:
                self._computed_at, self._running = time.monotonic(), None
