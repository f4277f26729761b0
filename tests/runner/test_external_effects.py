"""Executors with effects outside the database: no transaction open while they run, a lease on
the claim, and the outcome recorded afterwards even if the database was away meanwhile."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from alert_core.exitcodes import RETRYABLE_FAILURE, SUCCESS
from alert_runner.config import RunnerSettings
from alert_runner.executors import effects_of, external_effects, load_executor
from alert_runner.run import Interrupt, RunRequest, run_alert
from tests.runner import plugins
from tests.runner.conftest import AlertFactory, SettingsFactory, instances, run_row
from tests.runner.tcp_proxy import TcpProxy

ENDPOINT_SECONDS = 3  # longer than the idle-in-transaction timeout below
IDLE_IN_TRANSACTION = (
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'alert-runner'"
    " AND state LIKE 'idle in transaction%'"
)


@dataclass
class SlowEndpoint:
    """Answers every POST 200 after ENDPOINT_SECONDS; ``during`` runs while it waits."""

    url: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)
    during: Callable[[], Awaitable[None]] | None = None


@pytest.fixture
async def slow_endpoint() -> AsyncIterator[SlowEndpoint]:
    endpoint = SlowEndpoint()

    async def handle(request: web.Request) -> web.Response:
        endpoint.posts.append({"headers": dict(request.headers),
                               "body": json.loads(await request.text())})
        waiting = asyncio.create_task(asyncio.sleep(ENDPOINT_SECONDS))
        if endpoint.during is not None:
            await endpoint.during()
        await waiting
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    endpoint.url = f"http://127.0.0.1:{runner.addresses[0][1]}/trigger"
    try:
        yield endpoint
    finally:
        await runner.cleanup()


async def test_a_3_second_call_succeeds_with_idle_in_transaction_timeout_of_1_second(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory,
    slow_endpoint: SlowEndpoint,
) -> None:
    # Every new session of this database: a transaction idle for 1 s is ended by the server.
    database = await db.fetchval("SELECT current_database()")
    await db.execute(f'ALTER DATABASE "{database}" SET idle_in_transaction_session_timeout = 1000')
    seen_in_transaction: list[int] = []

    async def look() -> None:
        await asyncio.sleep(1.5)  # past the timeout: a transaction held open would be seen
        seen_in_transaction.append(await db.fetchval(IDLE_IN_TRANSACTION))

    slow_endpoint.during = look
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}-manual-idle"
    settings = runner_settings(executor="http", http_url=slow_endpoint.url)

    assert await run_alert(RunRequest(alert_id, client_id, job), settings) == SUCCESS

    row = await run_row(db, job)
    assert (row["status"], row["attempts"], row["error"]) == ("succeeded", 1, None)
    assert len(slow_endpoint.posts) == 1
    assert seen_in_transaction == [0]
    assert row["lease_expires_at"] is not None  # the claim carried a lease


async def test_the_outcome_is_recorded_after_the_database_comes_back(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory,
    slow_endpoint: SlowEndpoint, database_url: str,
) -> None:
    proxy = TcpProxy(database_url)
    await proxy.start()
    restored = asyncio.Event()

    async def away_for_a_while() -> None:
        await proxy.cut()  # the runner's connection is dropped while the call is in flight

        async def later() -> None:
            await asyncio.sleep(ENDPOINT_SECONDS + 1.5)  # still away when the call returns
            await proxy.restore()
            restored.set()

        asyncio.get_running_loop().create_task(later())

    slow_endpoint.during = away_for_a_while
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}-manual-away"
    settings = RunnerSettings.from_env({"DATABASE_URL": proxy.url, "ALERT_EXECUTOR": "http",
                                        "ALERT_HTTP_URL": slow_endpoint.url})
    try:
        code = await run_alert(RunRequest(alert_id, client_id, job), settings)
    finally:
        await proxy.cut()

    assert restored.is_set()  # the runner waited for the database instead of giving up
    assert code == SUCCESS
    row = await run_row(db, job)
    assert (row["status"], row["attempts"], row["error"]) == ("succeeded", 1, None)
    assert len(slow_endpoint.posts) == 1
    assert proxy.connections >= 2  # it reconnected


async def test_sigterm_while_the_outcome_waits_for_the_database_still_records_success(
    db: asyncpg.Connection, make_alert: AlertFactory, slow_endpoint: SlowEndpoint,
    database_url: str,
) -> None:
    proxy = TcpProxy(database_url)
    await proxy.start()
    called = asyncio.Event()

    async def cut() -> None:
        await proxy.cut()
        called.set()

    slow_endpoint.during = cut
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}-manual-term"
    settings = RunnerSettings.from_env({"DATABASE_URL": proxy.url, "ALERT_EXECUTOR": "http",
                                        "ALERT_HTTP_URL": slow_endpoint.url})
    interrupt = Interrupt()
    run = asyncio.create_task(run_alert(RunRequest(alert_id, client_id, job), settings,
                                        interrupt))
    try:
        await asyncio.wait_for(called.wait(), 30)
        await asyncio.sleep(ENDPOINT_SECONDS + 1)  # the call has returned; the write waits
        assert not run.done()
        interrupt.trigger("SIGTERM", run)
        await proxy.restore()
        code = await asyncio.wait_for(run, 30)
    finally:
        await proxy.cut()

    assert code == SUCCESS  # the POST was answered 200: the work is done, not interrupted
    row = await run_row(db, job)
    assert (row["status"], row["error"]) == ("succeeded", None)
    assert len(slow_endpoint.posts) == 1


async def _left_running(db: asyncpg.Connection, alert_id: uuid.UUID, client_id: uuid.UUID,
                        job: str, lease: timedelta) -> uuid.UUID:
    """The row a pod killed mid-call leaves behind, its lease ending ``lease`` from now."""
    run_id = await db.fetchval(
        "INSERT INTO alert_operator.alert_runs (job_name, alert_id, client_id, trigger, status,"
        " attempts, started_at, pod_name, lease_expires_at) VALUES ($1, $2, $3, 'manual',"
        " 'running', 1, now(), 'pod-killed', now() + $4) RETURNING id",
        job, alert_id, client_id, lease,
    )
    return uuid.UUID(str(run_id))


async def test_a_run_whose_lease_is_still_valid_is_not_taken_over(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory,
    slow_endpoint: SlowEndpoint,
) -> None:
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}-manual-held"
    await _left_running(db, alert_id, client_id, job, timedelta(hours=1))
    settings = runner_settings(executor="http", http_url=slow_endpoint.url)

    code = await run_alert(RunRequest(alert_id, client_id, job, "pod-2"), settings)

    assert code == RETRYABLE_FAILURE  # the Job retries later: by then done or expired
    row = await run_row(db, job)
    assert (row["status"], row["attempts"], row["pod_name"]) == ("running", 1, "pod-killed")
    assert slow_endpoint.posts == []


async def test_a_run_whose_lease_has_expired_is_taken_over_with_the_same_key(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory,
    slow_endpoint: SlowEndpoint,
) -> None:
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}-manual-expired"
    run_id = await _left_running(db, alert_id, client_id, job, timedelta(seconds=-1))
    settings = runner_settings(executor="http", http_url=slow_endpoint.url)

    code = await run_alert(RunRequest(alert_id, client_id, job, "pod-2"), settings)

    assert code == SUCCESS
    row = await run_row(db, job)
    assert (row["status"], row["attempts"], row["pod_name"]) == ("succeeded", 2, "pod-2")
    [post] = slow_endpoint.posts
    assert post["headers"]["Idempotency-Key"] == str(run_id)  # as the killed pod sent it
    assert post["body"]["run"]["attempt"] == 2


@pytest.mark.parametrize(
    ("executor", "stored"),
    [("tests.runner.plugins:fails_with_nul", "RuntimeError: bad\\x00byte \\udcff end"),
     ("tests.runner.plugins:calls_out_and_fails_with_nul",
      "RuntimeError: remote said \\x00\\x1b[31m")],
)
async def test_an_error_with_nul_and_undecodable_text_is_stored_escaped(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory,
    executor: str, stored: str,
) -> None:
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}-manual-nul"

    code = await run_alert(RunRequest(alert_id, client_id, job), runner_settings(executor=executor))

    assert code == RETRYABLE_FAILURE
    row = await run_row(db, job)
    assert (row["status"], row["error"]) == ("failed", stored)
    assert await instances(db, row["id"]) == 0


def test_effects_are_declared_or_follow_from_the_kind_of_function() -> None:
    assert effects_of(load_executor("record")) == "database"
    assert effects_of(load_executor("http")) == "external"
    assert effects_of(plugins.slow_record) == "database"  # async: may use the connection
    assert effects_of(plugins.sleeps_plainly) == "external"  # plain: cannot use it
    assert effects_of(plugins.calls_out_and_fails_with_nul) == "external"
    assert plugins.calls_out_and_fails_with_nul.alert_lease_seconds == 60  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="lease_seconds"):
        external_effects(lease_seconds=0)


async def test_a_connection_lost_mid_transaction_is_recorded_on_a_fresh_one(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}-manual-lost"
    settings = runner_settings(executor="tests.runner.plugins:loses_its_connection")

    assert await run_alert(RunRequest(alert_id, client_id, job), settings) == RETRYABLE_FAILURE

    row = await run_row(db, job)
    assert row["status"] == "failed"  # not left running
    assert row["error"].startswith("database: ")
    assert await instances(db, row["id"]) == 0  # rolled back with the session
