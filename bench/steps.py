"""The operator's own code, run inside a child process (see :mod:`bench.child`).

``reconcile`` builds what ``alert-operator run`` builds around the reconciler (settings, source,
the aiohttp API client, state) but without kopf, so that the child's peak RSS and wall time are
those of the sync itself. It imports nothing from kopf.
"""

from __future__ import annotations

import gc
import resource
import time
from typing import Any

from alert_core.settings import Settings
from alert_operator.kube import HttpKubeApi
from alert_operator.reconciler import Reconciler
from alert_operator.source import PostgresAlertSource
from alert_operator.state import OperatorState
from bench.gc_clock import GcClock


class PlainHttp:
    """The parts of kopf's ConnectionInfo that HttpKubeApi reads, for a plain-HTTP server."""

    trust_env = False

    def __init__(self, server: str) -> None:
        self.server = server

    def as_ssl_context(self) -> bool:
        return True  # aiohttp's default; unused over http://

    def as_http_headers(self) -> dict[str, str]:
        return {}


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def reconcile(
    api_url: str, database_url: str, namespace: str, concurrency: int, syncs: int = 1
) -> dict[str, Any]:
    """``syncs`` full syncs one after another; wall time, actions and RSS after each."""
    settings = Settings(database_url=database_url, namespace=namespace,
                        max_concurrency=concurrency)
    source = PostgresAlertSource(settings)
    api = HttpKubeApi(PlainHttp(api_url))
    reconciler = Reconciler(settings, source, api, OperatorState())
    runs = []
    collector = GcClock()
    try:
        for _ in range(syncs):
            started, gc_before = time.perf_counter(), collector.seconds
            result = await reconciler.full_sync()
            wall = time.perf_counter() - started
            gc_seconds = collector.seconds - gc_before
            gc.collect()
            runs.append({"wall_seconds": wall, "gc_seconds": round(gc_seconds, 3),
                         "ok": result.ok, "actions": result.actions,
                         "failed": len(result.failed), "rss_mb": round(_rss_mb(), 1)})
    finally:
        await api.close()
        await source.close()
    return {"syncs": runs}
