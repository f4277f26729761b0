"""The operator's alert source on a real PostgreSQL: asyncpg's reads (PostgresAlertSource) give
exactly what the SQLAlchemy reads of alertctl and the web UI give, hostile rows included, for
every URL form that settings accept; a failure is one SourceError line."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from alert_core.db.alert_rows import BATCH_SIZE, AlertRow
from alert_core.db.alerts import column_types, get_alert, load_alerts
from alert_core.db.engine import make_engine
from alert_core.db.pause_set import GLOBAL_PAUSE_UUID, Pauses
from alert_core.db.pauses import load_pauses
from alert_core.settings import Settings
from alert_operator.source import PostgresAlertSource, SourceError
from tests.conftest import run_sql

DAILY = json.dumps({"type": "daily", "time": "09:00", "timezone": "UTC"})
# What PostgreSQL accepts once the application drops its constraints (hostile data).
NULLS_ALLOWED = ("ALTER TABLE app.alerts ALTER COLUMN client_id DROP NOT NULL,"
                 " ALTER COLUMN frequency DROP NOT NULL, ALTER COLUMN is_active DROP NOT NULL")


async def _insert(url: str, rows: list[tuple[object, object, str | None, object]]) -> None:
    """(id, client_id, frequency JSON, is_active) rows, as the columns' types want them."""
    conn = await asyncpg.connect(url)
    try:
        await conn.executemany(
            "INSERT INTO app.alerts (id, client_id, name, frequency, is_active)"
            " VALUES ($1, $2, 'hostile', $3::jsonb, $4)", rows)
    finally:
        await conn.close()


@pytest.fixture
async def source(settings: Settings) -> AsyncIterator[PostgresAlertSource]:
    reader = PostgresAlertSource(settings)
    yield reader
    await reader.close()


# (rows, pauses, read_one of each id, column types)
Reading = tuple[list[AlertRow], Pauses, list[tuple[AlertRow | None, Pauses]], dict[str, str]]


async def _both(settings: Settings, ids: list[uuid.UUID]) -> tuple[Reading, Reading]:
    """What asyncpg's reader and alertctl's SQLAlchemy reads read."""
    direct = PostgresAlertSource(settings)
    engine = make_engine(settings, pool_size=1)
    try:
        rows, pauses = await direct.read_all()
        ones = [await direct.read_one(alert_id) for alert_id in ids]
        direct_reading = (_sorted(rows), pauses, ones, await direct.column_types())
        async with engine.connect() as conn:
            pauses = await load_pauses(conn, settings)
            engine_reading = (
                _sorted(await load_alerts(conn, settings)), pauses,
                [(await get_alert(conn, settings, alert_id), pauses) for alert_id in ids],
                await column_types(conn, settings))
    finally:
        await direct.close()
        await engine.dispose()
    return direct_reading, engine_reading


def _sorted(rows: list[AlertRow]) -> list[AlertRow]:
    return sorted(rows, key=lambda row: str(row.id))


async def test_hostile_rows_read_as_the_sqlalchemy_reads_read_them(settings: Settings) -> None:
    url = settings.asyncpg_dsn
    await run_sql(url, NULLS_ALLOWED)
    good, deep, huge, no_frequency = (uuid.uuid4() for _ in range(4))
    await _insert(url, [
        (good, uuid.uuid4(), DAILY, True),
        (deep, None, "[" * 990 + "]" * 990, None),
        (huge, None, '{"type": "hourly", "minute": ' + "9" * 5000 + "}", False),
        (no_frequency, None, None, True),
    ])
    await run_sql(url, f"INSERT INTO alert_operator.alert_pauses (alert_id, paused_by)"
                        f" VALUES ('{good}', 'test'), ('{GLOBAL_PAUSE_UUID}', 'test')")
    direct, engine = await _both(settings, [good, deep, uuid.uuid4()])
    assert direct == engine
    rows, pauses, ones, types = direct
    assert pauses == Pauses(True, frozenset({good}))
    by_id = {row.id: row for row in rows}
    assert by_id[good].problem is None and by_id[good].frequency["time"] == "09:00"
    assert "nested 990 levels deep" in str(by_id[deep].problem)
    assert "number of 5000 characters" in str(by_id[huge].problem)
    assert by_id[no_frequency].frequency is None
    assert [one for one, _ in ones] == [by_id[good], by_id[deep], None]
    assert types["id"] == "uuid" and types["frequency"] == "jsonb"


async def test_a_text_id_column_reads_row_by_row_as_before(settings: Settings) -> None:
    url = settings.asyncpg_dsn
    await run_sql(url, NULLS_ALLOWED,
                   "ALTER TABLE app.alerts ALTER COLUMN id TYPE text USING id::text",
                   "ALTER TABLE app.alerts ALTER COLUMN is_active TYPE text")
    good = uuid.uuid4()
    await _insert(url, [(str(good), None, DAILY, "yes"), ("not-a-uuid", None, DAILY, "maybe"),
                        (str(good).upper(), None, DAILY, "t")])
    direct, engine = await _both(settings, [good])
    assert direct == engine
    rows, _, ones, types = direct
    problems = sorted(str(row.problem) for row in rows)
    assert problems[0] == "None" and problems[1:] == [  # (upper case sorts first)
        f"id: '{str(good).upper()}' is not a UUID in canonical form (lower case, dashes)",
        "id: 'not-a-uuid' is not a UUID"]
    assert ones[0][0] == AlertRow(good, None, "hostile", json.loads(DAILY), True)
    assert types["id"] == "text" and types["is_active"] == "text"


async def test_every_row_of_a_table_larger_than_a_batch(
    settings: Settings, source: PostgresAlertSource
) -> None:
    count = 2 * BATCH_SIZE + 1
    await run_sql(settings.asyncpg_dsn,
                   "INSERT INTO app.alerts (client_id, name, frequency) SELECT gen_random_uuid(),"
                   f" 'a' || n, '{DAILY}' FROM generate_series(1, {count}) AS n")
    rows, pauses = await source.read_all()
    assert len({row.id for row in rows}) == count and pauses == Pauses(False, frozenset())
    assert {row.name for row in rows} == {f"a{n}" for n in range(1, count + 1)}


@pytest.mark.parametrize("form", ["postgresql+asyncpg", "postgres", "sslmode", "host list"])
async def test_every_accepted_url_form_reads(database_url: str, form: str) -> None:
    user_at, _, rest = database_url.partition("@")
    scheme, _, user = user_at.partition("://")
    url = {
        "postgresql+asyncpg": f"postgresql+asyncpg://{user}@{rest}",
        "postgres": f"postgres://{user}@{rest}",
        "sslmode": f"{database_url}?sslmode=disable",
        # Port 9 refuses at once; asyncpg, like libpq, then tries the next host of the list.
        "host list": f"{scheme}://{user}@127.0.0.1:9,{rest}",
    }[form]
    alert = uuid.uuid4()
    await _insert(database_url, [(alert, uuid.uuid4(), DAILY, True)])
    reader = PostgresAlertSource(Settings(database_url=url))
    try:
        rows, _ = await reader.read_all()
        one, _ = await reader.read_one(alert)
    finally:
        await reader.close()
    assert [row.id for row in rows] == [alert] and one is not None and one.id == alert


async def test_a_missing_table_is_one_source_error_line(app_database_url: str) -> None:
    # The application's table only: our alert_pauses does not exist (not migrated).
    reader = PostgresAlertSource(Settings(database_url=app_database_url))
    try:
        with pytest.raises(SourceError) as caught:
            await reader.read_all()
        assert await reader.column_types()  # the alerts table itself is there
    finally:
        await reader.close()
    assert caught.value.kind == "UndefinedTableError"
    assert str(caught.value) == ('UndefinedTableError: relation "alert_operator.alert_pauses"'
                                 " does not exist")


async def test_an_unreachable_database_is_one_source_error_line(database_url: str) -> None:
    broken = database_url.rsplit("/", 1)[0] + "/no_such_database"
    reader = PostgresAlertSource(Settings(database_url=broken))
    try:
        with pytest.raises(SourceError) as caught:
            await reader.read_one(uuid.uuid4())
    finally:
        await reader.close()
    assert caught.value.kind == "InvalidCatalogNameError"
    assert "\n" not in str(caught.value) and "no_such_database" in str(caught.value)
