"""Benchmark 5: the real operator's memory with N managed CronJobs, over many re-syncs.

``alert-operator run`` (kopf and all) starts against a namespace the cold-sync benchmark left
populated, with a short resync interval; RSS is read after each full sync. An hour at the
default 300-second interval is 12 re-syncs. Growth is measured from the second sync (after the
first one has warmed every cache) to the last.
"""

from __future__ import annotations

from bench.context import Context
from bench.operator_process import OperatorProcess
from bench.results import Goal, Result
from bench.suite_sync import loaded_database

RESYNC_SECONDS = 1.0
GROWTH_LIMIT_MB = 10.0  # allocator noise, not a trend
PEAK_LIMITS_MB = {100_000: 800.0}  # issue 15's goals by size; 250 MB up to 10,000


async def operator_memory(ctx: Context) -> Result:
    count, resyncs = ctx.sizes.memory_alerts, ctx.sizes.memory_resyncs
    url = await loaded_database(ctx, count)
    if (await ctx.emulator.stats())["objects"] != count:
        await ctx.emulator.control("clear")  # the operator's first sync creates them
    operator = OperatorProcess(ctx.emulator.url, url, RESYNC_SECONDS)
    samples = []
    try:
        for sync in range(1, resyncs + 2):
            operator.wait_for_syncs(sync, 600)
            samples.append(operator.memory_mb()["rss_mb"])
        peak = operator.memory_mb()["peak_rss_mb"]
    finally:
        operator.stop()
    growth = samples[-1] - samples[min(1, len(samples) - 1)]
    return Result(
        name=f"operator_memory_{count}",
        title=f"Operator memory, N={count:,}, {resyncs} re-syncs",
        params={"n": count, "resyncs": resyncs, "resync_interval_seconds": RESYNC_SECONDS},
        figures={
            "rss_after_each_sync_mb": samples, "peak_rss_mb": peak, "growth_mb": growth,
            "headline": f"RSS {samples[0]:.0f} MB after the first sync, {samples[-1]:.0f} MB "
                        f"after {resyncs} more (growth {growth:+.1f} MB); peak {peak:.0f} MB",
        },
        floor={"headline": "— (absolute goal)"},
        goals=[Goal("peak RSS", peak, PEAK_LIMITS_MB.get(count, 250.0), unit="MB"),
               Goal("growth over the re-syncs", max(growth, 0.0), GROWTH_LIMIT_MB, unit="MB")],
    )
