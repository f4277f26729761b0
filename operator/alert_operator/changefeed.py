"""The change feed: LISTEN on the alerts' NOTIFY channel and say which alert to reconcile.

A notification only says *when* to look (the reconcile reads the table again), so losing one is
harmless as long as a full sync follows: after every reconnect the caller's ``on_reconnect``
runs one. Bursts (an UPDATE loop, a bulk import) are coalesced: notifications are collected for
a short debounce, each id is reconciled once, and an id that changes again while its reconcile
is running is reconciled once more afterwards (never twice at the same time).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from alert_core.db.names import NOTIFY_CHANNEL
from alert_core.safe_json import JsonLimitError, loads_bounded
from alert_core.settings import Settings
from alert_operator import change_latency
from alert_operator.logs import alert_fields
from alert_operator.metrics import (
    CHANGEFEED_CONNECTED,
    CHANGEFEED_RECONNECTS,
    MALFORMED_NOTIFICATIONS,
    NOTIFICATION_LAG,
    NOTIFICATIONS,
)

log = logging.getLogger(__name__)

# Set on the LISTEN connection so that it can be told apart in pg_stat_activity.
APPLICATION_NAME = "alert-operator-changefeed"
CONNECT_TIMEOUT_SECONDS = 10.0
HEALTH_QUERY_TIMEOUT_SECONDS = 5.0
# A connection that lived less than this before it was lost does not reset the backoff.
STABLE_CONNECTION_SECONDS = 30.0

OnChange = Callable[[uuid.UUID | None], Awaitable[None]]
OnReconnect = Callable[[], Awaitable[None]]

# Our trigger's payload is about 100 characters; PostgreSQL allows 8000 bytes.
MAX_PAYLOAD_CHARS = 1000

# The key under which a full sync waits in the pending table (the notification's id is null).
_FULL: None = None


class MalformedNotificationError(ValueError):
    """A payload that is not ``{"id": uuid|null, "op": str, "at": number}``."""


def parse_payload(payload: str) -> tuple[uuid.UUID | None, float | None]:
    """The alert id (``None`` = full sync) and the trigger's clock (epoch seconds) of a payload.

    Any database role may NOTIFY on the channel: the payload is decoded with limits (size,
    depth, length of numbers) and every field's type is checked.
    """
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise MalformedNotificationError(f"{len(payload)} characters (at most {MAX_PAYLOAD_CHARS})")
    try:
        data = loads_bounded(payload)
    except JsonLimitError as error:
        raise MalformedNotificationError(str(error)) from None
    if not isinstance(data, dict) or "id" not in data:
        raise MalformedNotificationError("not an object with an 'id'")
    raw_id, raw_at = data["id"], data.get("at")
    if raw_id is None:
        alert_id = None
    elif isinstance(raw_id, str):
        try:
            alert_id = uuid.UUID(raw_id)
        except ValueError:
            raise MalformedNotificationError("'id' is not a UUID") from None
    else:
        raise MalformedNotificationError("'id' is not a string")
    at: float | None = None
    if raw_at is not None:
        if isinstance(raw_at, bool) or not isinstance(raw_at, int | float | str):
            raise MalformedNotificationError("'at' is not a number")
        try:
            at = float(raw_at)
        except (ValueError, OverflowError):  # OverflowError: an int of hundreds of digits
            raise MalformedNotificationError("'at' is not a number") from None
        if not math.isfinite(at):
            raise MalformedNotificationError("'at' is not a finite number")
    return alert_id, at


class ChangeFeed:
    """Runs until cancelled; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        on_change: OnChange,
        on_reconnect: OnReconnect,
        *,
        debounce_seconds: float = 0.05,
        max_pending: int = 10_000,
        max_concurrency: int = 8,
        health_interval_seconds: float = 15.0,
        backoff_initial_seconds: float = 0.5,
        backoff_max_seconds: float = 30.0,
        drain_timeout_seconds: float = 10.0,
    ) -> None:
        self._settings = settings
        self._on_change = on_change
        self._on_reconnect = on_reconnect
        self._debounce = debounce_seconds
        self._max_pending = max_pending
        self._limit = asyncio.Semaphore(max_concurrency)
        self._health_interval = health_interval_seconds
        self._backoff_initial = backoff_initial_seconds
        self._backoff_max = backoff_max_seconds
        self._drain_timeout = drain_timeout_seconds
        # id (None = full sync) -> oldest trigger time not yet reconciled (None when unknown).
        self._pending: dict[uuid.UUID | None, float | None] = {}
        # id -> time.monotonic() when its oldest pending notification was received.
        self._received: dict[uuid.UUID | None, float] = {}
        self._in_flight: set[uuid.UUID | None] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wakeup = asyncio.Event()
        self.connected = False

    # --- connection ------------------------------------------------------------------------

    async def run(self) -> None:
        dispatcher = asyncio.create_task(self._dispatch_loop(), name="changefeed-dispatch")
        failures = 0  # consecutive failed attempts, for the backoff
        had_trouble = False  # a connection was lost or refused: notifications may be missing
        try:
            while True:
                try:
                    conn = await self._connect()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError,
                        TimeoutError) as error:
                    failures += 1
                    had_trouble = True
                    delay = self._backoff(failures)
                    log.warning(
                        "change feed: cannot connect (%s); retrying in %.1fs",
                        _describe(error), delay,
                    )
                    await asyncio.sleep(delay)
                    continue
                connected_at = time.monotonic()
                try:
                    await self._serve(conn, resync=had_trouble)
                finally:
                    self._set_connected(False)
                    await _close(conn)
                had_trouble = True
                CHANGEFEED_RECONNECTS.inc()
                if time.monotonic() - connected_at < STABLE_CONNECTION_SECONDS:
                    # Lost again right after connecting: back off as for a refused connection,
                    # or a server that keeps dropping us would be hammered in a tight loop.
                    failures += 1
                    delay = self._backoff(failures)
                    log.warning("change feed: LISTEN connection lost; reconnecting in %.1fs",
                                delay)
                    await asyncio.sleep(delay)
                else:
                    failures = 0
                    log.warning("change feed: LISTEN connection lost; reconnecting")
        finally:
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
            await self._drain()

    async def _connect(self) -> asyncpg.Connection:
        conn: asyncpg.Connection = await asyncpg.connect(
            self._settings.asyncpg_dsn,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={"application_name": APPLICATION_NAME},
        )
        return conn

    async def _serve(self, conn: asyncpg.Connection, *, resync: bool) -> None:
        """LISTEN until the connection is lost (returns) or the task is cancelled (raises)."""
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("change feed: LISTEN failed (%s)", _describe(error))
            return
        self._set_connected(True)
        log.info("change feed: listening on %s", NOTIFY_CHANNEL)
        if resync:
            # LISTEN is in place first, so a change is either in the full sync or notified.
            await self._call_on_reconnect()
        while not lost.is_set() and not conn.is_closed():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), timeout=self._health_interval)
                return
            # A half-open TCP connection (a NAT or failover dropping it silently) raises no
            # termination callback: a cheap query finds it.
            try:
                await conn.fetchval("SELECT 1", timeout=HEALTH_QUERY_TIMEOUT_SECONDS)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError,
                    TimeoutError) as error:
                log.warning("change feed: health check failed (%s)", _describe(error))
                return

    async def _call_on_reconnect(self) -> None:
        try:
            await self._on_reconnect()
        except Exception:
            # The periodic sync will catch up; the feed itself must keep listening.
            log.exception("change feed: full sync after reconnect failed")

    def _backoff(self, failures: int) -> float:
        ceiling = min(self._backoff_max, self._backoff_initial * 2 ** min(failures - 1, 30))
        # Jitter so that many operators (or restarts) do not reconnect in lock-step.
        return random.uniform(ceiling / 2, ceiling)

    def _set_connected(self, value: bool) -> None:
        self.connected = value
        CHANGEFEED_CONNECTED.set(1 if value else 0)

    # --- notifications ---------------------------------------------------------------------

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: object) -> None:
        NOTIFICATIONS.inc()
        try:
            alert_id, at = parse_payload(str(payload))
        except MalformedNotificationError as error:
            MALFORMED_NOTIFICATIONS.inc()
            log.warning("change feed: ignoring a malformed notification (%s): %.200r",
                        error, payload)
            return
        self._add(alert_id, at)

    def _add(self, key: uuid.UUID | None, at: float | None) -> None:
        overflow = len(self._pending) >= self._max_pending and key not in self._pending
        if key is not _FULL and overflow:
            # Too many distinct ids at once (a bulk import): one full sync does them all
            # with less work and bounded memory.
            log.info("change feed: %d alerts pending; a full sync instead", len(self._pending))
            oldest = _oldest([*self._pending.values(), at])
            self._pending.clear()
            self._received.clear()
            key, at = _FULL, oldest
        if key in self._pending:
            self._pending[key] = _oldest([self._pending[key], at])
        else:
            self._pending[key] = at
        self._received.setdefault(key, time.monotonic())
        self._wakeup.set()

    def _take(self) -> list[tuple[uuid.UUID | None, float | None, float]]:
        """The pending work that may start now (nothing whose reconcile is still running):
        (id, trigger time, time received)."""
        if _FULL in self._pending and _FULL not in self._in_flight:
            # The full sync reads the table after these notifications were committed, so it
            # covers every id pending now.
            oldest = _oldest(list(self._pending.values()))
            received = min(self._received.values())
            self._pending.clear()
            self._received.clear()
            return [(_FULL, oldest, received)]
        ready = [(key, at, self._received.pop(key)) for key, at in self._pending.items()
                 if key not in self._in_flight]
        for key, _, _ in ready:
            del self._pending[key]
        return ready

    async def _dispatch_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            # Collect the rest of a burst before starting (the debounce bounds the added delay).
            await asyncio.sleep(self._debounce)
            self._wakeup.clear()
            for key, at, received in self._take():
                self._in_flight.add(key)
                task = asyncio.create_task(self._reconcile(key, at, received),
                                           name=f"changefeed-{key}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _reconcile(self, key: uuid.UUID | None, at: float | None, received: float) -> None:
        change_latency.handing_over(received)  # this task's context: its CronJob write sees it
        try:
            async with self._limit:
                await self._on_change(key)
            if at is not None:
                NOTIFICATION_LAG.observe(max(0.0, time.time() - at))
        except Exception:
            # One alert's failure must not stop the feed; the periodic sync retries it.
            log.exception("change feed: reconcile of %s failed", key or "all alerts",
                          extra=None if key is None else alert_fields(key))
        finally:
            self._in_flight.discard(key)
            if key in self._pending:
                self._wakeup.set()

    async def _drain(self) -> None:
        """On shutdown: let reconciles in flight finish their writes, within a bound."""
        if not self._tasks:
            return
        _done, still_running = await asyncio.wait(set(self._tasks), timeout=self._drain_timeout)
        for task in still_running:
            task.cancel()
        if still_running:
            await asyncio.wait(still_running)


def _oldest(times: list[float | None]) -> float | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


def _describe(error: BaseException) -> str:
    # asyncpg's messages name the host and the role at most, never the password.
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def _close(conn: asyncpg.Connection) -> None:
    if conn.is_closed():
        return
    try:
        await asyncio.wait_for(conn.close(), timeout=5)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        conn.terminate()
