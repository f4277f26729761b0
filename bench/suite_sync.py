"""The syncs: a cold sync into an empty namespace, a restart with nothing to do, a no-op re-sync.

The cold sync and the restart run the real ``alert-operator run`` process (kopf and all) and
are timed from its exec to what the emulator stores, on the emulator's clock. Operator and
floor alternate (floor, operator, floor, operator, ...) so that a noisy neighbour hurts both
alike; the figures are medians. Requests and writes are the test API server's own counts.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench import data
from bench.child import run_child
from bench.context import CONCURRENCY, NAMESPACE, Context, median, requests_text
from bench.operator_process import OperatorProcess
from bench.results import TIMES, Goal, Result, ratio

IDLE_RESYNC_SECONDS = 3600.0  # no periodic sync while measured
STORE_LIMIT_SECONDS = 900.0
POLL_SECONDS = 0.1
SMALL = 2_000  # sizes up to this get reps_small repetitions
HUGE = 100_000  # the absolute goal for a no-op re-sync of this many
HUGE_RESYNC_LIMIT_SECONDS = 30.0


async def loaded_database(ctx: Context, count: int) -> str:
    """A database holding ``count`` bench alerts (made once per size and run)."""
    if count not in ctx.loaded:
        url = await ctx.database.fresh(f"n{count}")
        await data.load(url, data.make_rows(count))
        ctx.loaded[count] = url
    return ctx.loaded[count]


def _reconcile(ctx: Context, url: str, syncs: int) -> dict[str, Any]:
    return run_child("bench.steps:reconcile", {
        "api_url": ctx.emulator.url, "database_url": url, "namespace": NAMESPACE,
        "concurrency": CONCURRENCY, "syncs": syncs,
    }, timeout=max(900.0, ctx.sizes.resync * 0.03))  # populating 100,000 takes long


async def wait_for_cronjobs(
    ctx: Context, count: int, operator: OperatorProcess | None = None,
    limit_seconds: float = STORE_LIMIT_SECONDS,
) -> dict[str, Any]:
    """The emulator's stats once it holds ``count`` CronJobs."""
    deadline = time.monotonic() + limit_seconds
    while True:
        stats = await ctx.emulator.stats()
        if stats["objects"] >= count:
            return stats
        if operator is not None and operator.process.poll() is not None:
            raise RuntimeError("alert-operator exited:\n" + "\n".join(operator.lines[-20:]))
        if time.monotonic() > deadline:
            raise TimeoutError(f"{stats['objects']} of {count} CronJobs after {limit_seconds}s")
        await asyncio.sleep(POLL_SECONDS)


async def _floor_cold_sync(ctx: Context, count: int) -> dict[str, Any]:
    """The bare create loop in a process of its own, from its exec to the last stored create."""
    await ctx.emulator.control("clear")
    before = await ctx.emulator.stats()
    floor = run_child("bench.floors:cold_sync", {
        "api_url": ctx.emulator.url, "namespace": NAMESPACE, "count": count,
        "concurrency": CONCURRENCY})
    stats = await wait_for_cronjobs(ctx, count)
    if floor["failures"]:
        raise RuntimeError(f"the floor's create loop had {floor['failures']} failures")
    return {"wall_seconds": stats["last_create_at"] - floor["started_at"],
            "loop_seconds": floor["wall_seconds"], "cpu_seconds": floor["cpu_seconds"],
            "server_cpu_seconds": stats["cpu_seconds"] - before["cpu_seconds"],
            "server_gc_seconds": stats["gc_seconds"] - before["gc_seconds"]}


async def _operator_cold_sync(ctx: Context, url: str, count: int) -> dict[str, Any]:
    """``alert-operator run`` into an empty namespace, from its exec to the last stored create."""
    await ctx.emulator.control("clear")
    before = await ctx.emulator.stats()
    operator = OperatorProcess(ctx.emulator.url, url, IDLE_RESYNC_SECONDS)
    try:
        stats = await wait_for_cronjobs(ctx, count, operator)
        cpu = operator.cpu_seconds()
        operator.wait_for_syncs(1, STORE_LIMIT_SECONDS)
        peak = operator.memory_mb()["peak_rss_mb"]
    finally:
        operator.stop()
    return {"wall_seconds": stats["last_create_at"] - operator.started_at,
            "startup_seconds": stats["first_request_at"] - operator.started_at,
            "first_create_seconds": stats["first_create_at"] - operator.started_at,
            "cpu_seconds": cpu, "requests": stats["requests"], "peak_rss_mb": peak,
            "server_cpu_seconds": stats["cpu_seconds"] - before["cpu_seconds"],
            "server_gc_seconds": stats["gc_seconds"] - before["gc_seconds"]}


async def cold_sync(ctx: Context, count: int) -> Result:
    url = await loaded_database(ctx, count)
    reps = ctx.sizes.reps_small if count <= SMALL else ctx.sizes.reps_large
    runs, floors = [], []
    for _ in range(reps):
        # The floor first, the operator last: the namespace stays populated for the re-sync.
        floors.append(await _floor_cold_sync(ctx, count))
        runs.append(await _operator_cold_sync(ctx, url, count))
    wall = median([r["wall_seconds"] for r in runs])
    floor_wall = median([f["wall_seconds"] for f in floors])
    # Each operator run beside the floor run just before it: a noisy neighbour slows both of a
    # pair alike, so the median of the pairs' ratios is steadier than a ratio of medians.
    pairs = [ratio(r["wall_seconds"], f["wall_seconds"]) for r, f in zip(runs, floors, strict=True)]
    startup = median([r["startup_seconds"] for r in runs])
    first_create = median([r["first_create_seconds"] for r in runs])
    cpu_ms = 1000 * median([r["cpu_seconds"] for r in runs]) / count
    floor_cpu_ms = 1000 * median([f["cpu_seconds"] for f in floors]) / count
    # The test server shares the machine: what it spends per create bounds both.
    server_ms = 1000 * median([r["server_cpu_seconds"] for r in runs]) / count
    floor_server_ms = 1000 * median([f["server_cpu_seconds"] for f in floors]) / count
    counts, peak = runs[-1]["requests"], max(r["peak_rss_mb"] for r in runs)
    return Result(
        name=f"cold_sync_{count}",
        title=f"Cold sync from process start, N={count:,}",
        params={"n": count, "concurrency": CONCURRENCY, "repetitions": reps},
        figures={
            "wall_seconds": wall, "runs": runs, "startup_seconds": startup,
            "first_create_seconds": first_create,
            "cpu_ms_per_cronjob": cpu_ms, "requests": counts, "peak_rss_mb": peak,
            "server_cpu_ms_per_cronjob": server_ms, "pair_ratios": pairs,
            "headline": f"{wall:.2f} s from exec (first request after {startup:.2f} s, first "
                        f"create after {first_create:.2f} s); "
                        f"CPU {cpu_ms:.2f} ms per CronJob (test server "
                        f"{server_ms:.2f} ms); {requests_text(counts)}; "
                        f"peak RSS {peak:.0f} MB; each run vs the floor run before it: "
                        + ", ".join(f"{pair:.2f}" for pair in pairs) + TIMES,
        },
        floor={
            "what": "a bare aiohttp loop POSTing the same N desired CronJobs, 16 in flight "
                    "(manifest building included), from its process's exec",
            "wall_seconds": floor_wall, "runs": floors, "cpu_ms_per_cronjob": floor_cpu_ms,
            "server_cpu_ms_per_cronjob": floor_server_ms,
            "headline": f"{floor_wall:.2f} s from exec (bare create loop; CPU "
                        f"{floor_cpu_ms:.2f} ms per CronJob, test server "
                        f"{floor_server_ms:.2f} ms)",
        },
        ratios={"wall_vs_floor": median(pairs),
                "medians_wall_vs_floor": ratio(wall, floor_wall),
                "cpu_vs_floor": ratio(cpu_ms, floor_cpu_ms)},
        goals=[Goal("wall vs floor (median of the pairs)", median(pairs), 1.2)],
    )


async def restart(ctx: Context, count: int) -> Result:
    """``alert-operator run`` over N CronJobs that are already right: writes (0) and the time
    until its first full sync is done and until it is idle."""
    url = await loaded_database(ctx, count)
    if (await ctx.emulator.stats())["objects"] != count:
        await ctx.emulator.control("clear")
        await _operator_cold_sync(ctx, url, count)
    await ctx.emulator.control("reset")
    operator = OperatorProcess(ctx.emulator.url, url, IDLE_RESYNC_SECONDS)
    try:
        operator.wait_for_syncs(1, STORE_LIMIT_SECONDS)
        synced = time.monotonic() - operator.started_at
        idle = operator.wait_until_idle(STORE_LIMIT_SECONDS) - operator.started_at
        cpu = operator.cpu_seconds()
        stats = await ctx.emulator.stats()
        peak = operator.memory_mb()["peak_rss_mb"]
    finally:
        operator.stop()
    counts = stats["requests"]
    startup = stats["first_request_at"] - operator.started_at
    return Result(
        name=f"restart_{count}",
        title=f"Restart with nothing to do, N={count:,}",
        params={"n": count},
        figures={
            "full_sync_done_seconds": synced, "idle_seconds": idle, "startup_seconds": startup,
            "cpu_seconds": cpu, "requests": counts, "writes": counts["writes"],
            "peak_rss_mb": peak,
            "headline": f"first full sync done {synced:.2f} s after exec, idle after "
                        f"{idle:.2f} s; CPU {cpu:.2f} s; writes {counts['writes']}; "
                        f"{requests_text(counts)}",
        },
        floor={"headline": "— (0 writes)"},
        goals=[Goal("writes", counts["writes"], 0, unit="", exact=True)],
    )


async def resync(ctx: Context, count: int) -> Result:
    url = await loaded_database(ctx, count)
    stats = await ctx.emulator.stats()
    if stats["objects"] != count:  # not left by the cold sync: populate now
        await ctx.emulator.control("clear")
        _reconcile(ctx, url, 1)
    cold_process, warm, floors, writes, collecting, metadata_floors = [], [], [], 0, [], []
    counts: dict[str, Any] = {}
    for _ in range(ctx.sizes.resync_reps):
        await ctx.emulator.control("reset")
        run = _reconcile(ctx, url, 2)
        counts = (await ctx.emulator.stats())["requests"]
        writes = max(writes, counts["writes"])
        cold_process.append(run["syncs"][0]["wall_seconds"])
        warm.append(run["syncs"][1]["wall_seconds"])
        collecting.append(run["syncs"][1].get("gc_seconds", 0.0))
        for metadata_only, walls in ((False, floors), (True, metadata_floors)):
            floor = run_child("bench.floors:list_and_select", {
                "api_url": ctx.emulator.url, "namespace": NAMESPACE, "database_url": url,
                "metadata_only": metadata_only})
            walls.append(floor["wall_seconds"])
    first, second, floor_wall = median(cold_process), median(warm), median(floors)
    metadata_floor = median(metadata_floors)
    goals = [Goal("writes", writes, 0, unit="", exact=True),
             Goal("wall vs floor", ratio(second, floor_wall), 1.5)]
    if count >= HUGE:
        goals.append(Goal("wall", second, HUGE_RESYNC_LIMIT_SECONDS, unit="s"))
    return Result(
        name=f"resync_{count}",
        title=f"No-op re-sync, N={count:,}",
        params={"n": count, "repetitions": ctx.sizes.resync_reps, "page_size": 500},
        figures={
            "wall_seconds": second, "first_sync_after_start_seconds": first,
            "walls": warm, "requests_two_syncs": counts, "writes": writes,
            "gc_seconds": median(collecting),  # of the compared sync: the cyclic collector's
            "headline": f"{second:.2f} s (first sync after a restart {first:.2f} s); "
                        f"writes {writes}; 2 syncs: {requests_text(counts)}",
        },
        floor={
            "what": "one paginated list of the CronJobs (limit 500) + one SELECT of the alerts",
            "wall_seconds": floor_wall, "walls": floors,
            "metadata_only_wall_seconds": metadata_floor, "metadata_only_walls": metadata_floors,
            "headline": f"{floor_wall:.2f} s (list + SELECT); {metadata_floor:.2f} s with a "
                        "metadata-only list",
        },
        ratios={"wall_vs_floor": ratio(second, floor_wall),
                "wall_vs_metadata_only_floor": ratio(second, metadata_floor),
                "first_sync_vs_floor": ratio(first, floor_wall)},
        goals=goals,
    )
