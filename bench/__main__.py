"""``make bench`` / ``python -m bench``: run the benchmarks, write results, regenerate the table.

    python -m bench [--quick] [--only herd,runner,cold_sync,restart,resync,memory,latency,ui]

Environment: BENCH_QUICK=1 (same as --quick), BENCH_HUGE=1 (100,000 alerts: ``make
bench-100k``), BENCH_ONLY, BENCH_N (one size for all),
BENCH_DATABASE_URL (an existing server's maintenance database instead of a throwaway one).
A benchmark that fails is reported and the others go on; the exit code says whether all ran.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import herd, report, results
from bench.context import Context, Sizes
from bench.results import Goal, Result
from bench.services import emulator, postgres
from bench.suite_latency import change_latency
from bench.suite_memory import operator_memory
from bench.suite_runner import runner
from bench.suite_sync import cold_sync, restart, resync
from bench.suite_ui import ui_pages

ALL = ("herd", "runner", "cold_sync", "restart", "resync", "memory", "latency", "ui")


async def herd_result(ctx: Context) -> Result:
    analysis = herd.analyse()
    off = analysis["scenarios"][0]
    ten = next(s for s in analysis["scenarios"] if s["spread_minutes"] == 10)
    return Result(
        name="herd", title="Thundering herd: 5,000 alerts at 0 9 * * * (simulated)",
        params={"jobs": analysis["jobs"], "qps": analysis["qps"], "burst": analysis["burst"],
                "starting_deadline_seconds": analysis["deadline_seconds"]},
        figures={**analysis, "headline": (
            f"spread off: {off['missed']:,} of {off['jobs']:,} runs skipped; "
            f"10-minute spread: worst delay {ten['max_delay_seconds']:.0f} s")},
        goals=[Goal("runs skipped with a 10-minute spread", ten["missed"], 0, unit="")],
    )


Step = tuple[str, Callable[[], Awaitable[Result]]]


def _steps(ctx: Context, only: set[str]) -> list[Step]:
    sizes, steps = ctx.sizes, list[Step]()
    if "herd" in only:
        steps.append(("herd", lambda: herd_result(ctx)))
    if "runner" in only:
        steps.append(("runner", lambda: runner(ctx)))
    if "cold_sync" in only:
        for count in sizes.cold:
            steps.append((f"cold_sync {count}", functools.partial(cold_sync, ctx, count)))
    if "restart" in only:
        steps.append(("restart", lambda: restart(ctx, sizes.resync)))
    if "resync" in only:
        steps.append(("resync", lambda: resync(ctx, sizes.resync)))
    if "memory" in only:
        steps.append(("memory", lambda: operator_memory(ctx)))
    if "latency" in only:
        steps.append(("latency", lambda: change_latency(ctx)))
    if "ui" in only:  # the web UI's pages (bench/suite_ui.py)
        steps.append(("ui", lambda: ui_pages(ctx, sizes.resync)))
    return steps


def _directory(quick: bool) -> Path:
    # Quick (smoke) results never replace the full ones that BENCHMARKS.md is made from.
    return results.RESULTS_DIR / "quick" if quick else results.RESULTS_DIR


async def run(quick: bool, only: set[str]) -> int:
    failures = 0
    with emulator() as api, postgres() as database:
        ctx = Context(api, database, Sizes.from_env(quick), quick)
        for label, step in _steps(ctx, only):
            started = time.monotonic()
            print(f"bench: {label} ...", flush=True)
            try:
                result = await step()
            except Exception:
                failures += 1
                print(f"bench: {label} FAILED\n{traceback.format_exc()}", file=sys.stderr)
                continue
            path = results.write(result, quick=quick, directory=_directory(quick))
            goals = "; ".join(
                f"{g.what} {g.value:.3g}{g.unit} {'ok' if g.met else 'MISSED'}"
                for g in result.goals)
            print(f"bench: {label} done in {time.monotonic() - started:.0f}s -> "
                  f"{path.name}: {result.figures.get('headline', '')} [{goals}]", flush=True)
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true",
                        default=os.environ.get("BENCH_QUICK", "") not in ("", "0"))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ",".join(ALL)))
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - set(ALL)
    if unknown:
        print(f"bench: unknown benchmark(s): {', '.join(sorted(unknown))} "
              f"(known: {', '.join(ALL)})", file=sys.stderr)
        return 2
    started = time.monotonic()
    failures = asyncio.run(run(args.quick, only))
    if args.quick:
        quick_results = results.read_all(_directory(True))
        print(report.results_table(quick_results))
    else:
        report.main([])
    print(f"bench: finished in {time.monotonic() - started:.0f}s"
          + (f", {failures} benchmark(s) failed" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
