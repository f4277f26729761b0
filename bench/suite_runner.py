"""Benchmark 4: one real ``alert-runner`` process (record executor), end to end.

Wall time is from spawn to exit; peak RSS is the kernel's high-water mark for that one child
(``os.wait4``). Floor: ``python -c "import asyncpg"`` plus one query, the least a runner that
reads its alert must do. Runs alternate (runner, floor, ...) and the figures are medians.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import data
from bench.context import Context, median
from bench.results import Goal, Result, ratio

FLOOR_CODE = (
    "import asyncio, os, asyncpg\n"
    "async def main():\n"
    "    conn = await asyncpg.connect(os.environ['DATABASE_URL'])\n"
    "    await conn.fetchrow('SELECT id, client_id, name, frequency, is_active FROM app.alerts "
    "WHERE id = $1', __import__('uuid').UUID(os.environ['ALERT_ID']))\n"
    "    await conn.close()\n"
    "asyncio.run(main())\n"
)
TOP = 10
ROOT = Path(__file__).resolve().parent.parent


def _spawn(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS MB, exit code, stderr) of one child, spawned by bench.spawn."""
    spawner = [sys.executable, "-S", "-m", "bench.spawn", *command]
    completed = subprocess.run(spawner, env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                               capture_output=True, text=True, check=True)
    answer = json.loads(completed.stdout)
    return (answer["wall_seconds"], answer["peak_rss_mb"], answer["exit_code"],
            answer["stderr"])


def import_times(stderr: str) -> list[dict[str, Any]]:
    """The ten slowest imports by cumulative time, from ``-X importtime``'s stderr."""
    found: list[dict[str, Any]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        parts = line.removeprefix("import time:").split("|")
        found.append({"module": parts[2].rstrip(), "self_ms": int(parts[0]) / 1000,
                      "cumulative_ms": int(parts[1]) / 1000})
    # Cumulative times nest (a package includes its submodules): the names keep Python's
    # indentation, so that the nesting stays visible.
    return sorted(found, key=lambda item: float(item["cumulative_ms"]), reverse=True)[:TOP]


async def runner(ctx: Context) -> Result:
    url = await ctx.database.fresh("runner")
    rows = data.make_rows(5)
    await data.load(url, rows)
    alert_id, client_id = rows[0][0], rows[0][1]
    bindir = Path(sys.executable).parent
    base_env = {**os.environ, "DATABASE_URL": url, "POD_NAME": "bench-pod",
                "ALERT_EXECUTOR": "record", "ALERT_LOG_FORMAT": "json",
                "ALERT_ID": str(alert_id)}
    args = ["--alert-id", str(alert_id), "--client-id", str(client_id)]
    walls, rss, floors, floor_rss = [], [], [], []
    for rep in range(ctx.sizes.runner_reps):
        env = {**base_env, "JOB_NAME": f"alert-{alert_id}"[:52] + f"-{29000000 + rep}"}
        wall, peak, code, stderr = _spawn([str(bindir / "alert-runner"), *args], env)
        if code != 0:
            raise RuntimeError(f"alert-runner exited {code}: {stderr.strip()[-1000:]}")
        walls.append(wall)
        rss.append(peak)
        wall, peak, code, stderr = _spawn([sys.executable, "-c", FLOOR_CODE], base_env)
        if code != 0:
            raise RuntimeError(f"floor exited {code}: {stderr.strip()[-1000:]}")
        floors.append(wall)
        floor_rss.append(peak)
    env = {**base_env, "JOB_NAME": f"alert-{alert_id}"[:52] + "-29999999"}
    _, _, _, stderr = _spawn([sys.executable, "-X", "importtime", "-m", "alert_runner", *args],
                             env)
    top = import_times(stderr)
    wall, floor_wall, peak = median(walls), median(floors), max(rss)
    return Result(
        name="runner",
        title="Runner: one alert-runner process (record executor)",
        params={"repetitions": ctx.sizes.runner_reps, "executor": "record"},
        figures={
            "wall_seconds": wall, "walls": walls, "peak_rss_mb": peak,
            "importtime_top10": top,
            "headline": f"{1000 * wall:.0f} ms, peak RSS {peak:.0f} MB; slowest imports: "
                        + ", ".join(f"{item['module'].strip()} {item['cumulative_ms']:.0f} ms"
                                    for item in top[:4]),
        },
        floor={
            "what": "python -c 'import asyncpg' + connect + one SELECT",
            "wall_seconds": floor_wall, "walls": floors, "peak_rss_mb": max(floor_rss),
            "headline": f"{1000 * floor_wall:.0f} ms, peak RSS {max(floor_rss):.0f} MB",
        },
        ratios={"wall_vs_floor": ratio(wall, floor_wall),
                "rss_vs_floor": ratio(peak, max(floor_rss))},
        goals=[Goal("wall vs floor", ratio(wall, floor_wall), 2.0),
               Goal("peak RSS", peak, 60, unit="MB")],
    )
