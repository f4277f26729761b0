"""Ordering of syncs: a full sync runs alone, one-alert syncs never twice for one alert.

A full sync plans from one snapshot; a one-alert sync applied in its middle would be undone by
that stale plan. One-alert syncs run concurrently with each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

LOCK_STRIPES = 256


class Gate:
    """Many shared holders (one-alert syncs) or one exclusive holder (a full sync)."""

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._shared = 0
        self._exclusive = False

    @contextlib.asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        async with self._cond:
            await self._cond.wait_for(lambda: not self._exclusive)
            self._shared += 1
        try:
            yield
        finally:
            async with self._cond:
                self._shared -= 1
                self._cond.notify_all()

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._cond:
            await self._cond.wait_for(lambda: not self._exclusive)
            self._exclusive = True  # new shared holders wait from now on
            await self._cond.wait_for(lambda: self._shared == 0)
        try:
            yield
        finally:
            async with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class AlertLocks:
    """One lock per alert, striped (a fixed number of locks whatever the number of alerts)."""

    def __init__(self) -> None:
        self._locks = [asyncio.Lock() for _ in range(LOCK_STRIPES)]

    def __call__(self, alert_id: uuid.UUID) -> asyncio.Lock:
        return self._locks[alert_id.int % LOCK_STRIPES]
