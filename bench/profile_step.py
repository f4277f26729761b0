"""Profile a bench step with pyinstrument: ``python -m bench.child bench.profile_step:reconcile``.

Writes the text profile of the *last* full sync to ``bench/results/profile-<step>.txt``.
"""

from __future__ import annotations

from typing import Any

from pyinstrument import Profiler

from bench import steps
from bench.results import RESULTS_DIR


async def reconcile(**args: Any) -> dict[str, Any]:
    profiler = Profiler(interval=0.002, async_mode="enabled")
    profiler.start()
    result = await steps.reconcile(**args)
    profiler.stop()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "profile-reconcile.txt").write_text(
        profiler.output_text(unicode=False, show_all=False))
    return result
