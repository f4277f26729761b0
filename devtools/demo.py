"""The application's alerts table as the application creates it, and a few demo alerts.

Used by the tests, the benchmarks and the quick start; in production the table already exists.

    python -m devtools.demo DATABASE_URL      # create app.alerts (if missing) and demo rows
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
    if len(sys.argv) != 2:
        print("usage: python -m devtools.demo DATABASE_URL", file=sys.stderr)
        sys.exit(2)
    asyncio.run(seed(sys.argv[1].replace("postgresql+asyncpg://", "postgresql://")))
