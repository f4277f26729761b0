"""Run one measured step in a fresh child process, so that its peak RSS and CPU are its own.

    python -m bench.child MODULE:FUNCTION < args.json      # prints one JSON line

The function is ``async def f(**args) -> dict``; the child adds its own ``peak_rss_mb`` (the
kernel's high-water mark of this process) and ``cpu_seconds``.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARKER = "BENCH-RESULT "


def run_child(target: str, args: dict[str, Any], timeout: float = 900.0) -> dict[str, Any]:
    """Run ``target`` (``module:function``) in a child process and return its result, with
    ``started_at``: CLOCK_MONOTONIC just before the exec (the emulator stamps the same clock)."""
    started_at = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", "bench.child", target],
        input=json.dumps(args), capture_output=True, text=True, timeout=timeout, cwd=ROOT,
        env=env, check=False,
    )
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith(MARKER):
            result: dict[str, Any] = json.loads(line.removeprefix(MARKER))
            result["started_at"] = started_at
            return result
    raise RuntimeError(
        f"{target} failed (exit {completed.returncode}): {completed.stderr.strip()[-3000:]}"
    )


def main() -> None:
    module_name, _, function_name = sys.argv[1].partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    args = json.loads(sys.stdin.read() or "{}")
    result = asyncio.run(function(**args))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result.setdefault("peak_rss_mb", round(usage.ru_maxrss / 1024, 1))
    result.setdefault("cpu_seconds", round(usage.ru_utime + usage.ru_stime, 3))
    print(MARKER + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
