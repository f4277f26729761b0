"""Benchmarks 1 and 2: a cold sync into an empty namespace, and a no-op re-sync.

Operator and floor alternate (operator, floor, operator, floor, ...) so that a noisy neighbour
hurts both alike; the figures are medians.
"""

from __future__ import annotations

from typing import Any

from bench import data
from bench.child import run_child
from bench.context import CONCURRENCY, NAMESPACE, Context, median, requests_text
from bench.results import Goal, Result, ratio


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
    })


async def cold_sync(ctx: Context, count: int) -> Result:
    url = await loaded_database(ctx, count)
    reps = ctx.sizes.reps_small if count <= 1_000 else ctx.sizes.reps_large
    walls, floors, rss = [], [], []
    counts: dict[str, Any] = {}
    for _ in range(reps):
        # The floor first, the operator last: the namespace stays populated for the re-sync.
        await ctx.emulator.control("clear")
        floor = run_child("bench.floors:cold_sync", {
            "api_url": ctx.emulator.url, "namespace": NAMESPACE, "count": count,
            "concurrency": CONCURRENCY})
        floors.append(floor["wall_seconds"])
        await ctx.emulator.control("clear")
        run = _reconcile(ctx, url, 1)
        counts = (await ctx.emulator.stats())["requests"]
        sync = run["syncs"][0]
        if not sync["ok"] or sync["actions"].get("create") != count:
            raise RuntimeError(f"cold sync of {count} did not create them all: {sync}")
        walls.append(sync["wall_seconds"])
        rss.append(run["peak_rss_mb"])
    wall, floor_wall = median(walls), median(floors)
    return Result(
        name=f"cold_sync_{count}",
        title=f"Cold sync, N={count:,}",
        params={"n": count, "concurrency": CONCURRENCY, "repetitions": reps},
        figures={
            "wall_seconds": wall, "walls": walls, "requests": counts,
            "peak_rss_mb": max(rss),
            "headline": f"{wall:.2f} s; {requests_text(counts)}; peak RSS {max(rss):.0f} MB",
        },
        floor={
            "what": "bare aiohttp loop POSTing the same N desired CronJobs, 16 in flight "
                    "(manifest building included)",
            "wall_seconds": floor_wall, "walls": floors,
            "headline": f"{floor_wall:.2f} s (bare create loop)",
        },
        ratios={"wall_vs_floor": ratio(wall, floor_wall)},
        goals=[Goal("wall vs floor", ratio(wall, floor_wall), 1.5)],
    )


async def resync(ctx: Context, count: int) -> Result:
    url = await loaded_database(ctx, count)
    stats = await ctx.emulator.stats()
    if stats["objects"] != count:  # not left by the cold sync: populate now
        await ctx.emulator.control("clear")
        _reconcile(ctx, url, 1)
    cold_process, warm, floors, writes = [], [], [], 0
    counts: dict[str, Any] = {}
    for _ in range(ctx.sizes.resync_reps):
        await ctx.emulator.control("reset")
        run = _reconcile(ctx, url, 2)
        counts = (await ctx.emulator.stats())["requests"]
        writes = max(writes, counts["writes"])
        cold_process.append(run["syncs"][0]["wall_seconds"])
        warm.append(run["syncs"][1]["wall_seconds"])
        floor = run_child("bench.floors:list_and_select", {
            "api_url": ctx.emulator.url, "namespace": NAMESPACE, "database_url": url})
        floors.append(floor["wall_seconds"])
    first, second, floor_wall = median(cold_process), median(warm), median(floors)
    return Result(
        name=f"resync_{count}",
        title=f"No-op re-sync, N={count:,}",
        params={"n": count, "repetitions": ctx.sizes.resync_reps, "page_size": 500},
        figures={
            "wall_seconds": second, "first_sync_after_start_seconds": first,
            "walls": warm, "requests_two_syncs": counts, "writes": writes,
            "headline": f"{second:.2f} s (first sync after a restart {first:.2f} s); "
                        f"writes {writes}; 2 syncs: {requests_text(counts)}",
        },
        floor={
            "what": "one paginated list of the CronJobs (limit 500) + one SELECT of the alerts",
            "wall_seconds": floor_wall, "walls": floors,
            "headline": f"{floor_wall:.2f} s (list + SELECT)",
        },
        ratios={"wall_vs_floor": ratio(second, floor_wall),
                "first_sync_vs_floor": ratio(first, floor_wall)},
        goals=[Goal("writes", writes, 0, unit="", exact=True),
               Goal("wall vs floor", ratio(second, floor_wall), 2.0)],
    )
