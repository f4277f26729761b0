"""The web UI's pages for N alerts, each timed as a ratio to ``/status`` of the same data.

The status server (with its UI) runs in this process on the bench database; its operator state
holds the N alerts as a full sync leaves them. Each page is fetched alternately with
``/status?limit=50`` (the alerts page's own page size: both read every alert and answer one
page), and the figures are medians. Runnable alone: ``python -m bench.suite_ui [N]``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import aiohttp

from alert_core.settings import Settings
from alert_operator.state import AlertState, OperatorState
from alert_operator.status import StatusServer
from bench import data
from bench.context import NAMESPACE, Context, median
from bench.results import Goal, Result, ratio
from bench.suite_sync import loaded_database

STATUS = "/status?limit=50"
# A page reads every alert from the table (/status keeps them in memory): up to 20 /status.
GOAL_RATIO = 20.0


def pages(first_alert: str) -> dict[str, str]:
    return {
        "overview": "/ui/",
        "alerts": "/ui/alerts",
        "alerts_search_sorted": "/ui/alerts?q=bench+alert+99&sort=next",
        "alerts_last_failed": "/ui/alerts?outcome=failed",
        "alert": f"/ui/alerts/{first_alert}",
        "timeline_day": "/ui/timeline",
        "timeline_week": "/ui/timeline?span=week",
    }


def synced_state(rows: list[tuple[Any, Any, str, str]]) -> OperatorState:
    state = OperatorState(database_reachable=True, full_syncs=1)
    for alert in data.to_alerts(rows):
        state.alerts[alert.id] = AlertState(alert.id, alert.name, alert.frequency.to_cron(),
                                            alert.frequency.timezone, False, "in sync")
    state.managed_cronjobs = len(state.alerts)
    return state


async def _fetch(client: aiohttp.ClientSession, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    async with client.get(url) as response:
        body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}: {body[-300:]!r}")
    return time.perf_counter() - started, len(body)


async def measure(url: str, rows: list[tuple[Any, Any, str, str]], reps: int) -> dict[str, Any]:
    settings = Settings(database_url=url, namespace=NAMESPACE)
    server = StatusServer(settings, synced_state(rows), None, host="127.0.0.1", port=0)
    await server.start()
    base = f"http://127.0.0.1:{server.port}"
    figures: dict[str, Any] = {}
    try:
        async with aiohttp.ClientSession() as client:
            await _fetch(client, base + STATUS)  # warm: the engine's first connection
            for name, path in pages(str(rows[0][0])).items():
                await _fetch(client, base + path)
                seconds, floors, size = [], [], 0
                for _ in range(reps):
                    floors.append((await _fetch(client, base + STATUS))[0])
                    wall, size = await _fetch(client, base + path)
                    seconds.append(wall)
                figures[name] = {"seconds": median(seconds), "status_seconds": median(floors),
                                 "bytes": size, "path": path}
    finally:
        await server.stop()
    return figures


async def ui_pages(ctx: Context, count: int) -> Result:
    url = await loaded_database(ctx, count)
    reps = 2 if ctx.quick else 5
    figures = await measure(url, data.make_rows(count), reps)
    ratios = {name: ratio(page["seconds"], page["status_seconds"])
              for name, page in figures.items()}
    worst = max(ratios, key=lambda name: ratios[name])
    return Result(
        name=f"ui_pages_{count}", title=f"Web UI pages, N={count:,}",
        params={"n": count, "repetitions": reps, "floor": STATUS},
        figures={**figures, "headline": (
            f"slowest page {worst} {figures[worst]['seconds'] * 1000:.0f} ms = "
            f"{ratios[worst]:.1f}x /status")},
        ratios=ratios,
        goals=[Goal(f"{worst} page vs {STATUS}", ratios[worst], GOAL_RATIO)],
    )


async def _alone(count: int) -> None:
    from bench.services import postgres

    with postgres() as database:
        url = await database.fresh(f"ui{count}")
        rows = data.make_rows(count)
        await data.load(url, rows)
        figures = await measure(url, rows, 3)
    for name, page in figures.items():
        print(f"{name:22} {page['seconds'] * 1000:8.1f} ms  /status "
              f"{page['status_seconds'] * 1000:6.1f} ms  "
              f"{ratio(page['seconds'], page['status_seconds']):5.1f}x  {page['bytes']:,} bytes")


if __name__ == "__main__":
    asyncio.run(_alone(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
