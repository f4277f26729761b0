"""/status, /metrics and /healthz over real HTTP, last runs from a real PostgreSQL."""

from __future__ import annotations

import json
import re
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import jsonschema
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from alert_core.db.engine import make_engine
from alert_core.settings import Settings
from alert_operator.metrics import REGISTRY, RUNS
from alert_operator.state import AlertState, OperatorState
from alert_operator.status import StatusServer, liveness_problem

README = Path(__file__).resolve().parents[2] / "README.md"
DAILY_PARIS = AlertState(uuid.uuid4(), "Morning digest", "0 9 * * *", "Europe/Paris", False,
                         "in sync")
WEEKLY_LA = AlertState(uuid.uuid4(), "Inventory", "0 10 * * 1,3,5", "America/Los_Angeles",
                       False, "in sync")
PAUSED = AlertState(uuid.uuid4(), "Paused one", "30 * * * *", "UTC", True, "in sync")
INVALID = AlertState(uuid.uuid4(), "Broken", None, None, False, "invalid",
                     "frequency.time: must be HH:MM")


def status_schema() -> dict[str, Any]:
    """The schema documented in the README's /status section."""
    text = README.read_text()
    section = text[text.index("The JSON schema of `/status`"):]
    match = re.search(r"```json\n(.*?)\n```", section, re.DOTALL)
    assert match, "no JSON schema block after 'The JSON schema of `/status`' in README.md"
    schema: dict[str, Any] = json.loads(match.group(1))
    return schema


def check_schema(body: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(
        status_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def healthy_state(*alerts: AlertState) -> OperatorState:
    now = datetime.now(UTC)
    return OperatorState(
        alerts={a.id: a for a in alerts}, managed_cronjobs=len(alerts) - 1,
        last_sync_at=now, database_reachable=True, full_syncs=1,
        started_at=now - timedelta(minutes=5),
    )


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


async def add_run(db: asyncpg.Connection, alert: AlertState, job_name: str, status: str,
                  created: datetime, error: str | None = None) -> None:
    await db.execute(
        "INSERT INTO alert_operator.alert_runs (alert_id, job_name, trigger, scheduled_for,"
        " status, attempts, started_at, finished_at, error, created_at)"
        " VALUES ($1, $2, 'schedule', $3::timestamptz, $4, 1, $3::timestamptz,"
        " $3::timestamptz + interval '5 seconds', $5, $3::timestamptz)",
        alert.id, job_name, created, status, error,
    )


@pytest.fixture
async def client_for(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[Any]:
    clients: list[TestClient[Any, Any]] = []

    async def make(state: OperatorState, server_settings: Settings | None = None,
                   server_engine: AsyncEngine | None = None) -> TestClient[Any, Any]:
        chosen = server_engine or engine
        server = StatusServer(server_settings or settings, state, lambda: chosen)
        client: TestClient[Any, Any] = TestClient(TestServer(server.app()))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def test_status_reports_alerts_next_runs_and_last_runs(
    client_for: Any, db: asyncpg.Connection, engine: AsyncEngine
) -> None:
    start = datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
    await add_run(db, DAILY_PARIS, "alert-a-28576020", "succeeded", start)
    await add_run(db, DAILY_PARIS, "alert-a-28577460", "failed", start + timedelta(days=1),
                  "BackoffLimitExceeded: Job has reached the specified backoff limit")
    await add_run(db, INVALID, "alert-b-28576020", "succeeded", start)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))

    client = await client_for(healthy_state(DAILY_PARIS, WEEKLY_LA, PAUSED, INVALID))
    response = await client.get("/status")
    assert response.status == 200
    body = await response.json()
    check_schema(body)
    assert body["status"] == "running" and body["problems"] == []
    assert (body["job_count"], body["alert_count"], body["invalid_count"], body["total"]) == (
        3, 4, 1, 4,
    )
    assert body["database_reachable"] is True and body["mass_delete_blocked"] is None
    by_name = {a["name"]: a for a in body["alerts"]}
    assert [a["name"] for a in body["alerts"]] == sorted(by_name, key=str.casefold)

    digest = by_name["Morning digest"]
    assert (digest["id"], digest["schedule"], digest["timezone"]) == (
        str(DAILY_PARIS.id), "0 9 * * *", "Europe/Paris",
    )
    assert digest["last_run"] == {
        "status": "failed", "trigger": "schedule", "job_name": "alert-a-28577460",
        "scheduled_for": "2024-05-02T07:00:00+00:00", "started_at": "2024-05-02T07:00:00+00:00",
        "finished_at": "2024-05-02T07:00:05+00:00",
        "error": "BackoffLimitExceeded: Job has reached the specified backoff limit",
    }
    next_run = datetime.fromisoformat(digest["next_run_time"])
    assert next_run > datetime.now(UTC)
    assert next_run - datetime.now(UTC) <= timedelta(days=1, minutes=1)
    local = next_run.astimezone(ZoneInfo("Europe/Paris"))
    assert (local.hour, local.minute) == (9, 0)
    assert next_run.utcoffset() == local.utcoffset()  # given with Paris' offset

    weekly = datetime.fromisoformat(by_name["Inventory"]["next_run_time"])
    assert weekly.astimezone(ZoneInfo("America/Los_Angeles")).isoweekday() in (1, 3, 5)
    assert by_name["Inventory"]["last_run"] is None
    assert by_name["Paused one"]["suspended"] is True
    assert by_name["Paused one"]["next_run_time"] is None
    broken = by_name["Broken"]
    assert (broken["cronjob"], broken["next_run_time"]) == ("invalid", None)
    assert broken["problem"] == "frequency.time: must be HH:MM"
    assert broken["last_run"]["status"] == "succeeded"
    # The last runs of the page: one query, whatever the number of alerts.
    assert len([s for s in statements if "alert_runs" in s]) == 1


async def test_paging_and_problem_filter(client_for: Any) -> None:
    client = await client_for(healthy_state(DAILY_PARIS, WEEKLY_LA, PAUSED, INVALID))
    first = await (await client.get("/status?limit=3")).json()
    second = await (await client.get("/status?limit=3&offset=3")).json()
    check_schema(first)
    check_schema(second)
    assert (len(first["alerts"]), len(second["alerts"]), first["total"]) == (3, 1, 4)
    assert {a["id"] for a in first["alerts"] + second["alerts"]} == {
        str(a.id) for a in (DAILY_PARIS, WEEKLY_LA, PAUSED, INVALID)
    }
    problems = await (await client.get("/status?problems=1")).json()
    assert [a["name"] for a in problems["alerts"]] == ["Broken"]
    for bad in ("limit=0", "limit=abc", "limit=5001", "offset=-1"):
        response = await client.get(f"/status?{bad}")
        assert response.status == 400, bad
        assert "must be a whole number" in (await response.json())["error"]


async def test_degraded_and_dry_run(client_for: Any, settings: Settings) -> None:
    state = healthy_state(DAILY_PARIS)
    client = await client_for(state)
    state.mass_delete_blocked = "would delete 40 of 50 CronJobs"
    body = await (await client.get("/status")).json()
    check_schema(body)
    assert body["status"] == "degraded"
    assert body["problems"] == ["mass-delete protection: would delete 40 of 50 CronJobs"]

    state.mass_delete_blocked = None
    state.database_reachable = False
    state.last_sync_error = "database: ConnectionRefusedError"
    body = await (await client.get("/status")).json()
    assert body["status"] == "degraded"
    assert "database unreachable" in body["problems"]

    state.database_reachable, state.last_sync_error, state.dry_run = True, None, True
    body = await (await client.get("/status")).json()
    assert (body["status"], body["dry_run"]) == ("dry-run", True)

    starting = OperatorState()
    body = await (await (await client_for(starting)).get("/status")).json()
    check_schema(body)
    assert body["status"] == "degraded"
    assert body["problems"] == ["starting: no full sync has completed yet"]
    assert body["last_sync_at"] is None and body["alerts"] == []


async def test_unreadable_runs_still_answer(client_for: Any, settings: Settings) -> None:
    broken = Settings(database_url=settings.asyncpg_dsn.rsplit("/", 1)[0] + "/no_such_database",
                      namespace="alerts")
    broken_engine = make_engine(broken)
    try:
        client = await client_for(healthy_state(DAILY_PARIS), broken, broken_engine)
        response = await client.get("/status")
        assert response.status == 200
        body = await response.json()
    finally:
        await broken_engine.dispose()
    check_schema(body)
    assert body["alerts"][0]["last_run"] is None
    assert body["status"] == "degraded"
    assert any(p.startswith("last runs: ") for p in body["problems"])


async def test_metrics_in_prometheus_format(client_for: Any) -> None:
    RUNS.labels(outcome="failed").inc()
    client = await client_for(healthy_state(DAILY_PARIS))
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    text = await response.text()
    assert re.search(r'^alert_operator_runs_total\{outcome="failed"\} [1-9]', text, re.MULTILINE)
    for metric in REGISTRY.collect():
        suffix = "_total" if metric.type == "counter" else ""
        assert f"# TYPE {metric.name}{suffix} {metric.type}" in text


async def test_healthz_follows_liveness(client_for: Any, settings: Settings) -> None:
    state = healthy_state(DAILY_PARIS)
    client = await client_for(state)
    response = await client.get("/healthz")
    assert (response.status, await response.text()) == (200, "ok\n")
    state.last_sync_at = datetime.now(UTC) - timedelta(seconds=settings.max_sync_age_seconds + 5)
    response = await client.get("/healthz")
    assert response.status == 503
    assert "last successful full sync" in await response.text()


async def test_without_a_database(settings: Settings) -> None:
    no_database = settings.model_copy(update={"database_url": None})
    server = StatusServer(no_database, healthy_state(DAILY_PARIS), None)
    async with TestClient(TestServer(server.app())) as client:
        body = await (await client.get("/status")).json()
    check_schema(body)
    assert body["problems"] == ["last runs: no database connection yet"]


def test_liveness_rule(settings: Settings) -> None:
    start = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    limit = settings.max_sync_age_seconds
    state = OperatorState(started_at=start)
    # Start-up grace: no sync yet is fine until the limit.
    assert liveness_problem(state, settings, start + timedelta(seconds=limit - 1)) is None
    problem = liveness_problem(state, settings, start + timedelta(seconds=limit + 1))
    assert problem and "no full sync has completed" in problem

    state.last_sync_at, state.database_reachable = start + timedelta(seconds=30), True
    assert liveness_problem(state, settings, start + timedelta(seconds=limit)) is None
    problem = liveness_problem(state, settings, start + timedelta(seconds=limit + 31))
    assert problem and "last successful full sync" in problem

    # The database found down: only after the first minute, and only once a sync tried.
    state.database_reachable, state.last_sync_error = False, "database: timeout"
    assert liveness_problem(state, settings, start + timedelta(seconds=45)) is None
    assert liveness_problem(state, settings, start + timedelta(seconds=90)) == (
        "database unreachable: database: timeout"
    )
    never_tried = OperatorState(started_at=start)
    assert liveness_problem(never_tried, settings, start + timedelta(seconds=90)) is None
    # Mass-delete protection is no reason for a restart.
    blocked = OperatorState(started_at=start, last_sync_at=start, database_reachable=True,
                            mass_delete_blocked="would delete everything")
    assert liveness_problem(blocked, settings, start + timedelta(seconds=60)) is None


async def test_start_serves_on_the_status_port(
    database_url: str, db: asyncpg.Connection
) -> None:
    """Started before the operator has an engine (kopf's start-up): it makes its own."""
    await add_run(db, DAILY_PARIS, "alert-a-28576020", "succeeded", datetime.now(UTC))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(database_url=database_url, namespace="alerts", status_port=port)
    server = StatusServer(settings, healthy_state(DAILY_PARIS), None)
    await server.start()
    try:
        assert server.port == port
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/status") as response,
        ):
            assert response.status == 200
            body = await response.json()
            check_schema(body)
            assert body["alerts"][0]["last_run"]["status"] == "succeeded"
    finally:
        await server.stop()
    with socket.socket() as again:
        again.bind(("0.0.0.0", port))  # released on stop


def test_readme_documents_every_metric() -> None:
    text = README.read_text()
    section = text[text.index("## Observing the operator"):]
    for metric in REGISTRY.collect():
        suffix = "_total" if metric.type == "counter" else ""
        assert f"`{metric.name}{suffix}`" in section, metric.name
