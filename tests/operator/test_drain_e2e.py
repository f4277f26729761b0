"""End to end: stopping the operator in the middle of a large sync drains the writes in flight.

The real operator (kopf) talks to the emulator through a counting proxy that holds every
CronJob create for a while, so that a stop lands while writes are in flight. The proxy counts
the creates it received and those whose answer reached the operator: after the stop every
create sent has been answered (none cut off), no create arrives any more, and the operator
exited within kopf's grace period (OperatorProcess.stop waits 30 s at most).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.operator.conftest import NAMESPACE, Database, Emulator, free_port, wait_for

DAILY = {"type": "daily", "time": "09:00", "timezone": "UTC"}
HOLD_SECONDS = 1.5
ALERTS = 40
CONCURRENCY = 4
HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}


class CountingProxy:
    """Forwards everything to the emulator; holds and counts CronJob creates."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.creates_started = 0
        self.creates_answered = 0
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.ServerRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    async def _start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        # A client gone (the operator stopped): its handler is cancelled, the upstream watch
        # closed, so the emulator can stop.
        server = web.Server(self._forward, handler_cancellation=True)
        self._runner = web.ServerRunner(server)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        async def _stop() -> None:
            if self._session is not None:
                await self._session.close()  # ends the streams still open upstream
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _forward(self, request: web.BaseRequest) -> web.StreamResponse:
        assert self._session is not None
        create = request.method == "POST" and request.path.endswith("/cronjobs")
        if create:
            self.creates_started += 1
            await asyncio.sleep(HOLD_SECONDS)
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS
                   and k.lower() != "host"}
        async with self._session.request(request.method, self.upstream + request.path_qs,
                                         data=body or None, headers=headers) as upstream:
            response = web.StreamResponse(status=upstream.status, headers={
                k: v for k, v in upstream.headers.items() if k.lower() not in HOP_HEADERS})
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_any():  # watches stream
                    await response.write(chunk)
                await response.write_eof()
            except (aiohttp.ClientError, ConnectionError):
                return response  # one side went away: a watch ended by a stop
        if create:
            self.creates_answered += 1
        return response


@pytest.fixture
def proxy(emulator: Emulator, kubeconfig: Path) -> Iterator[CountingProxy]:
    counting = CountingProxy(emulator.url)
    counting.start()
    config: dict[str, Any] = json.loads(kubeconfig.read_text())
    config["clusters"][0]["cluster"]["server"] = counting.url
    kubeconfig.write_text(json.dumps(config))  # the operator logs in through the proxy
    try:
        yield counting
    finally:
        counting.stop()


def test_a_stop_during_a_large_sync_lets_the_writes_in_flight_finish(
    proxy: CountingProxy, emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    for i in range(ALERTS):
        db.add_alert(f"a{i}", DAILY)
    op = operator_factory(max_concurrency=CONCURRENCY)
    wait_for(lambda: proxy.creates_started >= CONCURRENCY, what="creates in flight")
    assert proxy.creates_answered < proxy.creates_started  # the stop lands mid-write
    op.stop()  # kopf's stop flag: the same shutdown as SIGTERM
    started = proxy.creates_started
    assert proxy.creates_answered == started  # every create sent was answered, none cut off
    assert started < ALERTS  # the sync stopped: no new create after the stop
    time.sleep(HOLD_SECONDS)
    assert proxy.creates_started == started
    # And at the test API server: every create the operator sent reached it and was stored.
    assert emulator.handler.verbs["create"] == started
    cronjobs = emulator.cronjobs()
    assert len(cronjobs) == started and all(
        body["metadata"]["namespace"] == NAMESPACE for body in cronjobs.values())
