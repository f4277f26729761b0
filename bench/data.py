"""Benchmark data: N alerts with a realistic mix of frequencies, the same in every run.

Ids come from a seeded generator so that two runs create the same CronJob names (a run is
comparable with the previous one), and the mix covers every frequency type and several zones.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import asyncpg

from alert_core.alert import Alert
from alert_core.frequency import parse_frequency

SEED = 20240607
CLIENTS = 50
ZONES = ("UTC", "Europe/Paris", "America/Los_Angeles", "America/New_York", "Asia/Tokyo")


def _frequency(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(("daily", "daily", "weekly", "hourly", "monthly", "cron"))
    time = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"
    zone = rng.choice(ZONES)
    if kind == "weekly":
        days = sorted(rng.sample(range(7), rng.randint(1, 3)))
        return {"type": kind, "time": time, "dayOfWeek": days, "timezone": zone}
    if kind == "monthly":
        return {"type": kind, "time": time, "dayOfMonth": [rng.randint(1, 28)], "timezone": zone}
    if kind == "cron":
        return {"type": kind, "expression": f"*/{rng.choice((5, 10, 15))} 9-17 * * 1-5",
                "timezone": zone}
    return {"type": kind, "time": time, "timezone": zone}


def make_rows(count: int) -> list[tuple[uuid.UUID, uuid.UUID, str, str]]:
    """``count`` rows (id, client_id, name, frequency JSON), deterministic."""
    rng = random.Random(SEED)
    clients = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(CLIENTS)]
    return [
        (uuid.UUID(int=rng.getrandbits(128), version=4), rng.choice(clients),
         f"Bench alert {index}", json.dumps(_frequency(rng)))
        for index in range(count)
    ]


def to_alerts(rows: list[tuple[uuid.UUID, uuid.UUID, str, str]]) -> list[Alert]:
    return [
        Alert(alert_id, client_id, name, parse_frequency(frequency), True)
        for alert_id, client_id, name, frequency in rows
    ]


async def load(url: str, rows: list[tuple[uuid.UUID, uuid.UUID, str, str]]) -> None:
    """Insert the rows into ``app.alerts`` with one COPY."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("TRUNCATE app.alerts")
        await conn.copy_records_to_table(
            "alerts", schema_name="app", records=rows,
            columns=["id", "client_id", "name", "frequency"],
        )
        await conn.execute("ANALYZE app.alerts")
    finally:
        await conn.close()
