"""The change feed against a real PostgreSQL: the migration's triggers, a real LISTEN."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from alert_core.db.tables import GLOBAL_PAUSE_ID, NOTIFY_CHANNEL
from alert_core.settings import Settings
from alert_operator.changefeed import (
    APPLICATION_NAME,
    ChangeFeed,
    MalformedNotificationError,
    parse_payload,
)
from alert_operator.metrics import NOTIFICATION_LAG, REGISTRY
from tests.operator.observability_fixtures import eventually, insert_alert


class Calls:
    """What the feed asked for, in order."""

    def __init__(self, delay: float = 0.0) -> None:
        self.changes: list[uuid.UUID | None] = []
        self.reconnects = 0
        self.delay = delay
        self.active = 0
        self.max_active_per_id: dict[uuid.UUID | None, int] = {}
        self._active_ids: dict[uuid.UUID | None, int] = {}
        self.finished: list[uuid.UUID | None] = []

    async def on_change(self, alert_id: uuid.UUID | None) -> None:
        self.changes.append(alert_id)
        self._active_ids[alert_id] = self._active_ids.get(alert_id, 0) + 1
        self.max_active_per_id[alert_id] = max(
            self.max_active_per_id.get(alert_id, 0), self._active_ids[alert_id]
        )
        try:
            await asyncio.sleep(self.delay)
        finally:
            self._active_ids[alert_id] -= 1
        self.finished.append(alert_id)

    async def on_reconnect(self) -> None:
        self.reconnects += 1


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


@contextlib.asynccontextmanager
async def running(feed: ChangeFeed) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(feed.run())
    try:
        await eventually(lambda: feed.connected or task.done(), what="the feed to connect")
        assert not task.done(), task.exception()
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def listen_pids(conn: asyncpg.Connection) -> list[int]:
    rows = await conn.fetch(
        "SELECT pid FROM pg_stat_activity"
        " WHERE application_name = $1 AND datname = current_database()",
        APPLICATION_NAME,
    )
    return [row["pid"] for row in rows]


async def test_alert_changes_reconcile_that_alert(
    settings: Settings, conn: asyncpg.Connection
) -> None:
    calls = Calls()
    async with running(ChangeFeed(settings, calls.on_change, calls.on_reconnect)):
        alert_id = await insert_alert(conn, "inserted")
        await eventually(lambda: alert_id in calls.finished, what="INSERT")

        other = await insert_alert(conn, "other")
        await eventually(lambda: other in calls.finished, what="second INSERT")
        calls.finished.clear()
        await conn.execute("UPDATE app.alerts SET name = 'renamed' WHERE id = $1", alert_id)
        await eventually(lambda: alert_id in calls.finished, what="UPDATE")

        calls.finished.clear()
        await conn.execute("DELETE FROM app.alerts WHERE id = $1", alert_id)
        await eventually(lambda: alert_id in calls.finished, what="DELETE")

        calls.finished.clear()
        await conn.execute("TRUNCATE app.alerts")
        await eventually(lambda: None in calls.finished, what="TRUNCATE: a full sync")
    assert other not in calls.finished[calls.finished.index(None):]
    assert calls.reconnects == 0  # the first connection is no reconnect


async def test_pauses_reconcile_the_paused_alert_or_all(
    settings: Settings, conn: asyncpg.Connection
) -> None:
    calls = Calls()
    alert_id = await insert_alert(conn, "to pause")
    async with running(ChangeFeed(settings, calls.on_change, calls.on_reconnect)):
        await conn.execute(
            f'INSERT INTO "{settings.state_schema}".alert_pauses (alert_id, paused_by)'
            " VALUES ($1, $2)",
            alert_id, "test",
        )
        await eventually(lambda: alert_id in calls.finished, what="pause of one alert")
        await conn.execute(
            f'DELETE FROM "{settings.state_schema}".alert_pauses WHERE alert_id = $1', alert_id
        )
        await eventually(lambda: calls.finished.count(alert_id) >= 2, what="resume of one alert")
        await conn.execute(
            f'INSERT INTO "{settings.state_schema}".alert_pauses (alert_id, paused_by)'
            " VALUES ($1, $2)",
            uuid.UUID(GLOBAL_PAUSE_ID), "test",
        )
        await eventually(lambda: None in calls.finished, what="global pause: a full sync")


async def test_a_burst_is_coalesced_and_the_last_change_is_seen(
    settings: Settings, conn: asyncpg.Connection
) -> None:
    calls = Calls(delay=0.05)
    alert_id = await insert_alert(conn, "busy")
    async with running(ChangeFeed(settings, calls.on_change, calls.on_reconnect)):
        for i in range(50):
            await conn.execute("UPDATE app.alerts SET name = $2 WHERE id = $1", alert_id, f"v{i}")
        # Then a marker: once it is reconciled, everything notified before it has been seen.
        marker = await insert_alert(conn, "marker")
        await eventually(lambda: marker in calls.finished, what="the marker")
        await eventually(lambda: calls.changes.count(alert_id) == calls.finished.count(alert_id),
                         what="reconciles of the busy alert to finish")
    busy_calls = calls.changes.count(alert_id)
    assert 1 <= busy_calls <= 10, busy_calls
    # Never two reconciles of the same alert at once.
    assert calls.max_active_per_id[alert_id] == 1


async def test_many_distinct_ids_become_one_full_sync(
    settings: Settings, conn: asyncpg.Connection
) -> None:
    calls = Calls()
    feed = ChangeFeed(settings, calls.on_change, calls.on_reconnect, max_pending=5,
                      debounce_seconds=0.5)
    async with running(feed):
        # 20 notifications in one transaction arrive together, within one debounce.
        await conn.execute(
            "SELECT pg_notify($1, json_build_object('id', gen_random_uuid(), 'op', 'UPDATE',"
            " 'at', extract(epoch FROM clock_timestamp()))::text) FROM generate_series(1, 20)",
            NOTIFY_CHANNEL,
        )
        await eventually(lambda: None in calls.finished, what="a full sync")
    assert len(calls.changes) < 20


async def test_malformed_payloads_are_ignored(
    settings: Settings, conn: asyncpg.Connection
) -> None:
    calls = Calls()
    good = uuid.uuid4()
    async with running(ChangeFeed(settings, calls.on_change, calls.on_reconnect)):
        for payload in ["not json", "[1, 2]", '{"op": "UPDATE"}', '{"id": "nope"}',
                        '{"id": 5}', json.dumps({"id": str(uuid.uuid4()), "at": "soon"})]:
            await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, payload)
        await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL,
                           json.dumps({"id": str(good), "op": "UPDATE", "at": 1.0}))
        await eventually(lambda: good in calls.finished, what="the valid notification")
    assert calls.changes == [good]


def malformed_count() -> float:
    return REGISTRY.get_sample_value("alert_operator_malformed_notifications_total") or 0.0


HOSTILE_PAYLOADS = [
    "[" * 3999 + "]" * 3999,  # RecursionError in json.loads
    '{"id": null, "at": ' + "9" * 400 + "}",  # OverflowError in float()
    '{"id": null, "at": ' + "[" * 500 + "]" * 500 + "}",
    '{"id": null, "at": 1, "x": "' + "a" * 7000 + '"}',  # larger than our trigger ever sends
]


async def test_hostile_payloads_are_counted_and_ignored_without_a_traceback(
    settings: Settings, conn: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    calls = Calls()
    good = uuid.uuid4()
    before = malformed_count()
    async with running(ChangeFeed(settings, calls.on_change, calls.on_reconnect)) as task:
        for payload in HOSTILE_PAYLOADS:
            await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, payload)
        await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL,
                           json.dumps({"id": str(good), "op": "UPDATE", "at": 1.0}))
        await eventually(lambda: good in calls.finished, what="the valid notification")
        assert not task.done()
    assert calls.changes == [good]
    assert malformed_count() == before + len(HOSTILE_PAYLOADS)
    assert not [record for record in caplog.records if record.exc_info or record.levelname
                in ("ERROR", "CRITICAL")]


def test_parse_payload() -> None:
    alert_id = uuid.uuid4()
    assert parse_payload(json.dumps({"id": str(alert_id), "op": "INSERT", "at": 12.5})) == (
        alert_id, 12.5,
    )
    assert parse_payload('{"id": null, "op": "TRUNCATE", "at": 3}') == (None, 3.0)
    assert parse_payload(json.dumps({"id": str(alert_id)})) == (alert_id, None)
    for bad in ["", "{", "null", '{"id": true}', '{"id": null, "at": true}',
                '{"id": null, "at": "NaN"}']:
        with pytest.raises(MalformedNotificationError):
            parse_payload(bad)


async def test_killed_connection_reconnects_then_resyncs(
    settings: Settings, conn: asyncpg.Connection
) -> None:
    calls = Calls()
    feed = ChangeFeed(settings, calls.on_change, calls.on_reconnect,
                      backoff_initial_seconds=0.05, backoff_max_seconds=0.2)
    async with running(feed):
        pids = await listen_pids(conn)
        assert len(pids) == 1
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pids[0])
        await eventually(lambda: calls.reconnects == 1, what="the full sync after reconnecting")
        new_pids = await listen_pids(conn)
        assert len(new_pids) == 1 and new_pids != pids
        # And it listens again.
        alert_id = await insert_alert(conn, "after the reconnect")
        await eventually(lambda: alert_id in calls.finished, what="a change after reconnecting")
        # Killed again at once: it backs off, then comes back all the same.
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", new_pids[0])
        await eventually(lambda: calls.reconnects == 2, what="the second reconnect")
        assert feed.connected


async def test_unreachable_database_is_retried_until_it_answers(
    settings: Settings, conn: asyncpg.Connection, pg_server_url: str
) -> None:
    """The feed keeps retrying while connections are refused, then resyncs once connected."""
    database = await conn.fetchval("SELECT current_database()")
    await conn.close()
    conn = await asyncpg.connect(pg_server_url)
    await conn.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
    calls = Calls()
    feed = ChangeFeed(settings, calls.on_change, calls.on_reconnect,
                      backoff_initial_seconds=0.05, backoff_max_seconds=0.2)
    task = asyncio.create_task(feed.run())
    try:
        await asyncio.sleep(0.3)  # a few refused attempts (not a timing assertion)
        assert not feed.connected and not task.done()
        await conn.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
        await eventually(lambda: calls.reconnects == 1, what="the full sync once connected")
        assert feed.connected
    finally:
        await conn.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
        await conn.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_lag_is_measured_after_the_reconcile(
    settings: Settings, conn: asyncpg.Connection
) -> None:
    def lag_count() -> float:
        return REGISTRY.get_sample_value("alert_operator_notification_lag_seconds_count") or 0.0

    before = lag_count()
    calls = Calls()
    async with running(ChangeFeed(settings, calls.on_change, calls.on_reconnect)):
        alert_id = await insert_alert(conn, "lag")
        await eventually(lambda: lag_count() > before, what="a lag observation")
    assert alert_id in calls.finished
    assert NOTIFICATION_LAG is not None


async def test_shutdown_lets_a_reconcile_in_flight_finish(
    settings: Settings, conn: asyncpg.Connection
) -> None:
    calls = Calls(delay=0.3)
    feed = ChangeFeed(settings, calls.on_change, calls.on_reconnect)
    async with running(feed) as task:
        alert_id = await insert_alert(conn, "slow")
        await eventually(lambda: alert_id in calls.changes, what="the reconcile to start")
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert calls.finished == [alert_id]
    assert await listen_pids(conn) == []
