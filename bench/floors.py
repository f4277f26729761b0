"""Floors: the least work that could do each job, measured beside the real thing in the same run.

Each floor runs in its own child process (see :mod:`bench.child`) against the same emulator and
database as the operator, with the same concurrency, so that a ratio compares code, not machines.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import asyncpg

from alert_core.cronjob import MANAGED_SELECTOR, desired_cronjob
from alert_core.settings import Settings
from bench import data

PAGE_SIZE = 500  # kubectl's default chunk size
METADATA_LIST_ACCEPT = ("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
                        "application/json")


def cronjobs_path(namespace: str) -> str:
    return f"/apis/batch/v1/namespaces/{namespace}/cronjobs"


async def cold_sync(api_url: str, namespace: str, count: int, concurrency: int) -> dict[str, Any]:
    """Build ``count`` desired CronJobs and POST them with ``concurrency`` requests in flight."""
    settings = Settings(namespace=namespace)
    started = time.perf_counter()
    manifests = [desired_cronjob(alert, settings) for alert in data.to_alerts(
        data.make_rows(count))]
    built = time.perf_counter()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for manifest in manifests:
        queue.put_nowait(manifest)
    url = api_url + cronjobs_path(namespace)
    failures = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        while not queue.empty():
            manifest = queue.get_nowait()
            async with session.post(url, json=manifest) as response:
                await response.read()
                failures += response.status >= 400

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    finished = time.perf_counter()
    return {"wall_seconds": finished - started, "build_seconds": built - started,
            "failures": failures, "requests": count}


async def list_and_select(api_url: str, namespace: str, database_url: str,
                          metadata_only: bool = False) -> dict[str, Any]:
    """One paginated list of the managed CronJobs (``metadata_only``: of their metadata, as
    kube.METADATA_LIST_ACCEPT asks) and one SELECT of every alert."""
    started = time.perf_counter()
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT id, client_id, name, frequency, is_active FROM app.alerts")
    finally:
        await conn.close()
    selected = time.perf_counter()
    items = pages = 0
    token = ""
    headers = {"Accept": METADATA_LIST_ACCEPT} if metadata_only else {}
    async with aiohttp.ClientSession(headers=headers) as session:
        while True:
            params = {"labelSelector": MANAGED_SELECTOR, "limit": str(PAGE_SIZE)}
            if token:
                params["continue"] = token
            async with session.get(api_url + cronjobs_path(namespace), params=params) as resp:
                body = await resp.json()
            pages += 1
            items += len(body["items"])
            token = body["metadata"].get("continue", "")
            if not token:
                break
    finished = time.perf_counter()
    return {"wall_seconds": finished - started, "select_seconds": selected - started,
            "list_seconds": finished - selected, "rows": len(rows), "items": items,
            "pages": pages}
