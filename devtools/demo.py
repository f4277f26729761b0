"""The application's alerts table as the application creates it, and a few demo alerts.

Used by the tests, the benchmarks and the quick start; in production the table already exists.

    python -m devtools.demo DATABASE_URL        # create app.alerts (if missing) and demo rows
    python -m devtools.demo tour DATABASE_URL   # the quick start's tour: one change of each kind
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

import asyncpg

APP_DDL = """
CREATE SCHEMA IF NOT EXISTS app;
CREATE TABLE IF NOT EXISTS app.alerts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL,
    name varchar(255) NOT NULL,
    description text,
    frequency jsonb NOT NULL
        DEFAULT '{"type": "daily", "time": "00:00", "timezone": "America/Los_Angeles"}',
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
"""

DEMO_CLIENT = uuid.UUID("11111111-1111-4111-8111-111111111111")
DEMO_ALERTS = [
    ("Morning revenue digest", {"type": "daily", "time": "09:00", "timezone": "Europe/Paris"}),
    ("Mid-week inventory check", {"type": "weekly", "time": "10:00", "dayOfWeek": [1, 3, 5],
                                  "timezone": "America/Los_Angeles"}),
    ("Half-hourly error budget", {"type": "hourly", "time": "00:30", "timezone": "UTC"}),
    ("Payroll reminder", {"type": "monthly", "time": "08:00", "dayOfMonth": [1, 15],
                          "timezone": "America/New_York"}),
    ("Office-hours queue watch", {"type": "cron", "expression": "*/15 9-17 * * 1-5",
                                  "timezone": "Asia/Tokyo"}),
    ("Broken frequency (shows how invalid alerts are reported)", {"type": "daily",
                                                                  "time": "25:00"}),
]


# The quick start's tour (README): one change of each kind the planner knows, applied to the
# demo rows one after the other, with the line a dry-run operator then logs.
TOUR: list[tuple[str, str]] = [
    ("would recreate CronJob ... (schedule changed: ...)",
     "UPDATE app.alerts SET frequency = '{\"type\": \"daily\", \"time\": \"07:15\","
     " \"timezone\": \"Europe/Paris\"}' WHERE name = 'Morning revenue digest'"),
    ("would update CronJob ... (spec changed)",
     "UPDATE app.alerts SET name = 'Morning revenue digest (EU)'"
     " WHERE name = 'Morning revenue digest'"),
    ("would suspend CronJob ... (alert inactive)",
     "UPDATE app.alerts SET is_active = false WHERE name = 'Payroll reminder'"),
    ("would recreate CronJob ... (resumed: ...)",
     "UPDATE app.alerts SET is_active = true WHERE name = 'Payroll reminder'"),
    ("would create CronJob ...",
     f"INSERT INTO app.alerts (client_id, name, frequency) VALUES ('{DEMO_CLIENT}',"
     " 'Friday report', '{\"type\": \"weekly\", \"time\": \"16:00\", \"dayOfWeek\": [5]}')"),
    ("would delete CronJob ... (alert row gone)",
     "DELETE FROM app.alerts WHERE name = 'Half-hourly error budget'"),
]


async def tour(url: str, pause_seconds: float = 5.0) -> None:
    """Apply :data:`TOUR` one change at a time, saying what the operator's log should show."""
    conn = await asyncpg.connect(url)
    try:
        for expected, statement in TOUR:
            print(f"{statement}\n  -> the operator logs: {expected}", flush=True)
            await conn.execute(statement)
            await asyncio.sleep(pause_seconds)
    finally:
        await conn.close()


async def create_app_schema(conn: asyncpg.Connection) -> None:
    await conn.execute(APP_DDL)


async def seed(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await create_app_schema(conn)
        if await conn.fetchval("SELECT count(*) FROM app.alerts") == 0:
            await conn.executemany(
                "INSERT INTO app.alerts (client_id, name, frequency) VALUES ($1, $2, $3::jsonb)",
                [(DEMO_CLIENT, name, json.dumps(freq)) for name, freq in DEMO_ALERTS],
            )
    finally:
        await conn.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "tour":
        asyncio.run(tour(args[1].replace("postgresql+asyncpg://", "postgresql://")))
    elif len(args) == 1:
        asyncio.run(seed(args[0].replace("postgresql+asyncpg://", "postgresql://")))
    else:
        print("usage: python -m devtools.demo [tour] DATABASE_URL", file=sys.stderr)
        sys.exit(2)
