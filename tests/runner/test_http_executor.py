"""The ``http`` executor against a local aiohttp server: 2xx succeeds, 5xx, timeouts and
redirects fail (a redirect is never followed)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from alert_core.exitcodes import PERMANENT_ERROR, RETRYABLE_FAILURE, SUCCESS
from alert_core.jobname import job_name_for
from alert_runner.config import RunnerSettings
from alert_runner.run import RunRequest, run_alert
from tests.runner.conftest import AlertFactory, SettingsFactory, instances, run_row

TOKEN = "s3cret-token-value"


@dataclass
class Endpoint:
    base: str
    received: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    endpoint = Endpoint(base="")
    release = asyncio.Event()  # ends /slow's wait at teardown, so that cleanup is quick

    async def handle(request: web.Request) -> web.Response:
        text = await request.text()
        endpoint.received.append({
            "method": request.method,
            "path": request.path,
            "headers": dict(request.headers),
            "body": json.loads(text) if text else None,
        })
        if request.path.startswith("/moved/"):  # /moved/<status>[/local]
            _, _, code, *local = request.path.split("/")
            target = "/landing" if local else "http://elsewhere.example:8080/landing"
            return web.Response(status=int(code), headers={"Location": target})
        if request.path == "/slow":
            await asyncio.wait_for(release.wait(), 30)
        status = 503 if request.path == "/down" else 202
        return web.Response(status=status, text="nope" if status >= 300 else "ok")

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    app.router.add_get("/{tail:.*}", handle)  # where a followed 301/302/303 would land
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    endpoint.base = f"http://127.0.0.1:{port}"
    try:
        yield endpoint
    finally:
        release.set()
        await runner.cleanup()


async def test_2xx_succeeds_and_posts_the_alert_and_the_run(
    db: asyncpg.Connection,
    make_alert: AlertFactory,
    runner_settings: SettingsFactory,
    endpoint: Endpoint,
) -> None:
    alert_id, client_id = await make_alert()
    job = job_name_for(f"alert-{alert_id}", datetime(2024, 5, 1, 7, 0, tzinfo=UTC))
    settings = runner_settings(executor="http", http_url=f"{endpoint.base}/trigger",
                               http_token=TOKEN)

    assert await run_alert(RunRequest(alert_id, client_id, job), settings) == SUCCESS

    row = await run_row(db, job)
    assert row["status"] == "succeeded"
    assert await instances(db, row["id"]) == 0  # http replaces record
    [call] = endpoint.received
    assert call["path"] == "/trigger"
    assert call["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert call["headers"]["Idempotency-Key"] == str(row["id"])
    body = call["body"]
    assert body["alert"]["id"] == str(alert_id)
    assert body["alert"]["client_id"] == str(client_id)
    assert body["alert"]["frequency"]["type"] == "daily"
    assert body["run"] == {
        "id": str(row["id"]),
        "job_name": job,
        "trigger": "schedule",
        "scheduled_for": "2024-05-01T07:00:00+00:00",
        "attempt": 1,
        "triggered_by": "00000000-0000-0000-0000-000000000000",
    }


async def _manual_run(
    db: asyncpg.Connection, make_alert: AlertFactory, settings: RunnerSettings, suffix: str
) -> tuple[int, asyncpg.Record]:
    """Run a new alert once as the manual Job ``alert-<id>-manual-<suffix>``: its exit code
    and its alert_runs row."""
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}-manual-{suffix}"
    code = await run_alert(RunRequest(alert_id, client_id, job), settings)
    return code, await run_row(db, job)


async def test_5xx_fails_retryably_without_leaking_the_token(
    db: asyncpg.Connection,
    make_alert: AlertFactory,
    runner_settings: SettingsFactory,
    endpoint: Endpoint,
) -> None:
    settings = runner_settings(executor="http", http_url=f"{endpoint.base}/down",
                               http_token=TOKEN)
    code, row = await _manual_run(db, make_alert, settings, "1")
    assert code == RETRYABLE_FAILURE
    assert (row["status"], row["error"]) == (
        "failed", "http executor: endpoint answered 503 Service Unavailable")
    assert endpoint.received[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in row["error"]


async def test_timeout_fails_retryably(
    db: asyncpg.Connection,
    make_alert: AlertFactory,
    runner_settings: SettingsFactory,
    endpoint: Endpoint,
) -> None:
    settings = runner_settings(executor="http", http_url=f"{endpoint.base}/slow",
                               http_timeout_seconds=0.3)
    code, row = await _manual_run(db, make_alert, settings, "2")
    assert code == RETRYABLE_FAILURE
    assert (row["status"], row["error"]) == ("failed", "http executor: no answer within 0.3 s")
    assert "Authorization" not in endpoint.received[0]["headers"]  # no token configured


async def test_connection_refused_fails_retryably(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    settings = runner_settings(executor="http", http_url="http://127.0.0.1:1/x")
    code, row = await _manual_run(db, make_alert, settings, "3")
    assert code == RETRYABLE_FAILURE
    assert row["status"] == "failed"
    assert row["error"].startswith("http executor: request failed (")


async def test_missing_url_is_permanent(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    code, row = await _manual_run(db, make_alert, runner_settings(executor="http"),
                                  uuid.uuid4().hex[:5])
    assert code == PERMANENT_ERROR
    assert (row["status"], row["error"]) == ("failed", "http executor: ALERT_HTTP_URL is not set")


@pytest.mark.parametrize(
    ("status", "reason"),
    [(301, "Moved Permanently"), (302, "Found"), (303, "See Other"),
     (307, "Temporary Redirect"), (308, "Permanent Redirect")],
)
async def test_a_redirect_is_a_failure_naming_the_status_and_the_host_and_is_not_followed(
    db: asyncpg.Connection,
    make_alert: AlertFactory,
    runner_settings: SettingsFactory,
    endpoint: Endpoint,
    status: int,
    reason: str,
) -> None:
    settings = runner_settings(executor="http", http_url=f"{endpoint.base}/moved/{status}",
                               http_token=TOKEN)
    code, row = await _manual_run(db, make_alert, settings, str(status))
    assert code == RETRYABLE_FAILURE
    assert (row["status"], row["error"]) == (
        "failed", f"http executor: endpoint answered {status} {reason}, a redirect to host"
        " 'elsewhere.example' (redirects are not followed)")
    assert [call["method"] for call in endpoint.received] == ["POST"]


async def test_a_local_redirect_names_the_endpoints_own_host_and_is_not_followed(
    db: asyncpg.Connection,
    make_alert: AlertFactory,
    runner_settings: SettingsFactory,
    endpoint: Endpoint,
) -> None:
    settings = runner_settings(executor="http", http_url=f"{endpoint.base}/moved/302/local")
    code, row = await _manual_run(db, make_alert, settings, "local")
    assert code == RETRYABLE_FAILURE
    assert row["error"].endswith("302 Found, a redirect to host '127.0.0.1' (redirects are not"
                                 " followed)")
    assert [call["path"] for call in endpoint.received] == ["/moved/302/local"]  # no GET
