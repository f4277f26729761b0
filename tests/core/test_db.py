"""Database objects on a real PostgreSQL: migrations, the change-feed trigger, alert queries."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import pytest

from alert_core.db.alerts import BATCH_SIZE, get_alert, iter_alerts
from alert_core.db.engine import make_engine
from alert_core.db.migrate import TRIGGER_NAME, TRUNCATE_TRIGGER_NAME, migrate
from alert_core.db.tables import NOTIFY_CHANNEL, VERSION_TABLE
from alert_core.settings import Settings

CLIENT = uuid.UUID("11111111-1111-4111-8111-111111111111")


async def _fetch(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def _triggers(url: str) -> dict[str, int]:
    rows = await _fetch(
        url,
        "SELECT tgname, oid FROM pg_trigger WHERE tgrelid = 'app.alerts'::regclass"
        " AND NOT tgisinternal",
    )
    return {row["tgname"]: row["oid"] for row in rows}


async def test_migrate_is_idempotent_and_leaves_the_apps_alembic_alone(
    app_database_url: str,
) -> None:
    await _fetch(
        app_database_url,
        "CREATE TABLE public.alembic_version (version_num varchar(32) PRIMARY KEY)",
    )
    await _fetch(app_database_url, "INSERT INTO public.alembic_version VALUES ('app_rev_42')")
    settings = Settings(database_url=app_database_url)
    await migrate(settings)
    first = await _triggers(app_database_url)
    await migrate(settings)  # a second run changes nothing
    assert await _triggers(app_database_url) == first  # same oids: not dropped and re-created
    assert set(first) == {TRIGGER_NAME, TRUNCATE_TRIGGER_NAME}

    versions = await _fetch(app_database_url, f"SELECT * FROM alert_operator.{VERSION_TABLE}")
    assert len(versions) == 1
    assert [tuple(r) for r in await _fetch(
        app_database_url, "SELECT version_num FROM public.alembic_version"
    )] == [("app_rev_42",)]
    tables = {
        row["table_name"]
        for row in await _fetch(
            app_database_url,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
            "alert_operator",
        )
    }
    assert {"alert_runs", "alert_instances", VERSION_TABLE} <= tables
    # Nothing of ours in the application's schema except the triggers.
    app_tables = await _fetch(
        app_database_url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'app'",
    )
    assert [row["table_name"] for row in app_tables] == ["alerts"]


async def test_alert_runs_columns(app_database_url: str) -> None:
    await migrate(Settings(database_url=app_database_url))
    columns = {
        row["column_name"]
        for row in await _fetch(
            app_database_url,
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'alert_operator' AND table_name = 'alert_runs'",
        )
    }
    assert {
        "id", "alert_id", "client_id", "job_name", "trigger", "scheduled_for", "status",
        "attempts", "started_at", "finished_at", "error", "pod_name", "triggered_by",
    } <= columns
    # job_name is unique, trigger is schedule|manual
    await _fetch(
        app_database_url,
        "INSERT INTO alert_operator.alert_runs (alert_id, job_name, trigger, status)"
        " VALUES (gen_random_uuid(), 'j1', 'schedule', 'running')",
    )
    with pytest.raises(asyncpg.UniqueViolationError):
        await _fetch(
            app_database_url,
            "INSERT INTO alert_operator.alert_runs (alert_id, job_name, trigger, status)"
            " VALUES (gen_random_uuid(), 'j1', 'manual', 'running')",
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await _fetch(
            app_database_url,
            "INSERT INTO alert_operator.alert_runs (alert_id, job_name, trigger, status)"
            " VALUES (gen_random_uuid(), 'j2', 'cron', 'running')",
        )


async def test_no_trigger_installs_none(app_database_url: str) -> None:
    settings = Settings(database_url=app_database_url)
    await migrate(settings, install_trigger=False)
    await migrate(settings, install_trigger=False)
    assert await _triggers(app_database_url) == {}


async def test_trigger_notifies_every_change(database_url: str) -> None:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    listener = await asyncpg.connect(database_url)
    await listener.add_listener(
        NOTIFY_CHANNEL, lambda _c, _p, _ch, payload: received.put_nowait(json.loads(payload))
    )
    alert_id = uuid.uuid4()
    try:
        await _fetch(
            database_url,
            "INSERT INTO app.alerts (id, client_id, name, frequency) VALUES ($1, $2, 'a', '{}')",
            alert_id, CLIENT,
        )
        await _fetch(database_url, "UPDATE app.alerts SET name = 'b' WHERE id = $1", alert_id)
        await _fetch(database_url, "DELETE FROM app.alerts WHERE id = $1", alert_id)
        await _fetch(database_url, "TRUNCATE app.alerts")
        payloads = [await asyncio.wait_for(received.get(), timeout=10) for _ in range(4)]
    finally:
        await listener.close()
    assert [(p["id"], p["op"]) for p in payloads] == [
        (str(alert_id), "INSERT"),
        (str(alert_id), "UPDATE"),
        (str(alert_id), "DELETE"),
        (None, "TRUNCATE"),
    ]
    assert all(isinstance(p["at"], int | float) and p["at"] > 1.6e9 for p in payloads)


async def test_iter_alerts_streams_100000_rows_in_bounded_batches(settings: Settings) -> None:
    await _fetch(
        settings.asyncpg_dsn,
        "INSERT INTO app.alerts (client_id, name, frequency, is_active)"
        " SELECT $1, 'alert ' || n, '{\"type\": \"hourly\", \"time\": \"00:05\"}', n % 2 = 0"
        " FROM generate_series(1, 100000) AS n",
        CLIENT,
    )
    engine = make_engine(settings, pool_size=1)
    sizes: list[int] = []
    ids: set[uuid.UUID] = set()
    try:
        async with engine.connect() as conn:
            async for batch in iter_alerts(conn, settings):
                sizes.append(len(batch))
                ids.update(row.id for row in batch)
                assert batch[0].frequency == {"type": "hourly", "time": "00:05"}
                assert batch[0].client_id == CLIENT
    finally:
        await engine.dispose()
    assert sum(sizes) == len(ids) == 100_000
    assert max(sizes) <= BATCH_SIZE
    assert len(sizes) >= 100_000 // BATCH_SIZE


async def test_get_alert_by_id(settings: Settings) -> None:
    alert_id = uuid.uuid4()
    await _fetch(
        settings.asyncpg_dsn,
        "INSERT INTO app.alerts (id, client_id, name, frequency, is_active, description)"
        " VALUES ($1, $2, 'Payroll', '{\"type\": \"daily\", \"time\": \"08:00\"}', false, 'x')",
        alert_id, CLIENT,
    )
    engine = make_engine(settings, pool_size=1)
    try:
        async with engine.connect() as conn:
            row = await get_alert(conn, settings, alert_id)
            missing = await get_alert(conn, settings, uuid.uuid4())
    finally:
        await engine.dispose()
    assert row is not None and missing is None
    assert (row.id, row.client_id, row.name, row.is_active) == (alert_id, CLIENT, "Payroll", False)
    assert row.frequency == {"type": "daily", "time": "08:00"}


async def test_libpq_style_url_parameters_work(database_url: str) -> None:
    """The old application's URL may carry ?sslmode=...: asyncpg parses it, not SQLAlchemy."""
    settings = Settings(database_url=database_url + "?sslmode=disable")
    engine = make_engine(settings, pool_size=1)
    try:
        async with engine.connect() as conn:
            assert await get_alert(conn, settings, uuid.uuid4()) is None
    finally:
        await engine.dispose()
