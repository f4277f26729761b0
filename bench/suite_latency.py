"""Benchmark 3: change latency, from an UPDATE of ``app.alerts`` to the new schedule in the API.

The real operator runs as a child process. Each UPDATE changes one alert to a schedule it has
never had; the emulator stamps the CLOCK_MONOTONIC time a CronJob first carries a (name,
schedule) pair, the benchmark stamps the time just before the UPDATE: both are the same
system-wide clock, so there is no polling error. Updates are one at a time (the next starts
when the previous one has landed).

Baseline, same run: the trigger dropped (no notifications), a short resync interval: what the
periodic re-sync alone gives.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import asyncpg

from alert_core.cronjob import cronjob_name
from alert_core.db.migrate import TRIGGER_NAME, migrate
from alert_core.settings import Settings
from bench import data
from bench.context import Context, median, percentile
from bench.operator_process import OperatorProcess
from bench.results import Goal, Result
from bench.suite_sync import loaded_database

NOTIFY_RESYNC_SECONDS = 3600.0  # long enough that only notifications can explain a change
LAND_LIMIT_SECONDS = 60.0
SETTLE_LIMIT_SECONDS = 900.0


def _new_time(index: int, current: str | None) -> tuple[str, str]:
    """A daily time for update ``index`` whose cron differs from ``current``."""
    for shift in range(60):
        minute, hour = (index + shift) % 60, (index // 60 + 7) % 24
        cron = f"{minute} {hour} * * *"
        if cron != current:
            return f"{hour:02d}:{minute:02d}", cron
    raise AssertionError("unreachable")


async def _updates(ctx: Context, url: str, ids: list[Any], count: int, round_: int) -> list[float]:
    schedules: dict[str, str] = await ctx.emulator.control("schedules")
    latencies = []
    conn = await asyncpg.connect(url)
    try:
        for index in range(count):
            alert_id = ids[index % len(ids)]
            name = cronjob_name(alert_id)
            time_of_day, cron = _new_time(index + 977 * round_, schedules.get(name))
            frequency = json.dumps({"type": "daily", "time": time_of_day, "timezone": "UTC"})
            started = time.monotonic()
            await conn.execute("UPDATE app.alerts SET frequency = $1::jsonb, updated_at = now() "
                               "WHERE id = $2", frequency, alert_id)
            deadline = started + LAND_LIMIT_SECONDS
            while True:
                seen = await ctx.emulator.control("seen", name=name, schedule=cron)
                if seen["at"] is not None:
                    latencies.append(seen["at"] - started)
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} never got {cron!r}")
                await asyncio.sleep(0.01)
            schedules[name] = cron
    finally:
        await conn.close()
    return latencies


def _summary(latencies: list[float]) -> dict[str, float]:
    return {"p50_ms": 1000 * percentile(latencies, 0.50),
            "p95_ms": 1000 * percentile(latencies, 0.95),
            "p99_ms": 1000 * percentile(latencies, 0.99),
            "max_ms": 1000 * max(latencies), "mean_ms": 1000 * sum(latencies) / len(latencies)}


async def _baseline(ctx: Context, url: str, ids: list[Any]) -> list[float]:
    """The same updates with the trigger dropped: only the periodic re-sync finds them."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"DROP TRIGGER {TRIGGER_NAME} ON app.alerts")
    finally:
        await conn.close()
    operator = OperatorProcess(ctx.emulator.url, url, ctx.sizes.baseline_interval_seconds)
    try:
        operator.wait_for_syncs(1, SETTLE_LIMIT_SECONDS)
        return await _updates(ctx, url, ids, ctx.sizes.baseline_updates, 1)
    finally:
        operator.stop()
        await migrate(Settings(database_url=url))  # the trigger back


def _floor(periodic: list[float], interval: float) -> dict[str, Any]:
    if not periodic:
        return {"headline": "— (not measured at this size)"}
    baseline = _summary(periodic)
    return {
        "what": f"notifications off (trigger dropped), periodic re-sync every {interval:g} s",
        **baseline, "median_ms": 1000 * median(periodic),
        "headline": f"no NOTIFY, re-sync every {interval:g} s: p50 {baseline['p50_ms']:.0f} ms,"
                    f" p99 {baseline['p99_ms']:.0f} ms ({len(periodic)} updates)",
    }


async def change_latency(ctx: Context) -> Result:
    """With the N alerts the syncs left (their CronJobs in place): the operator starts, settles
    (its first full sync done and the process idle), then the UPDATEs."""
    count, sizes = ctx.sizes.latency_alerts, ctx.sizes
    url = await loaded_database(ctx, count)
    ids = [row[0] for row in data.make_rows(count)]
    if (await ctx.emulator.stats())["objects"] != count:
        await ctx.emulator.control("clear")  # the operator's first sync creates them

    operator = OperatorProcess(ctx.emulator.url, url, NOTIFY_RESYNC_SECONDS)
    try:
        operator.wait_for_syncs(1, SETTLE_LIMIT_SECONDS)
        operator.wait_until_idle(SETTLE_LIMIT_SECONDS)
        notified = await _updates(ctx, url, ids, sizes.latency_updates, 0)
        peak = operator.memory_mb()["peak_rss_mb"]
    finally:
        operator.stop()
    periodic = await _baseline(ctx, url, ids) if sizes.baseline_updates else []

    with_notify, floor = _summary(notified), _floor(periodic, sizes.baseline_interval_seconds)
    return Result(
        name=f"change_latency_{count}",
        title=f"Change latency, {len(notified)} UPDATEs one at a time, N={count:,} settled",
        params={"n": count, "updates": len(notified), "baseline_updates": len(periodic),
                "baseline_resync_seconds": sizes.baseline_interval_seconds},
        figures={
            **with_notify, "samples_ms": [round(1000 * v, 1) for v in notified],
            "peak_rss_mb": peak,
            "headline": f"p50 {with_notify['p50_ms']:.0f} ms, p95 {with_notify['p95_ms']:.0f} ms,"
                        f" p99 {with_notify['p99_ms']:.0f} ms",
        },
        floor=floor,
        ratios={"p99_vs_baseline_p99": with_notify["p99_ms"] / floor["p99_ms"]}
        if periodic else {},
        goals=[Goal("p99", with_notify["p99_ms"], 200, unit="ms")],
    )
