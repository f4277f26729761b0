"""Serving :class:`.server.ApiServer` over HTTP(S): on the current loop (:func:`serve`) or on a
thread of its own (:class:`ThreadedApiServer`, so that the test, the operator's loop and the
server never block one another).

``middlewares`` wrap every request (aiohttp middlewares: e.g. authentication) and
``ssl_context`` serves TLS.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

import aiohttp.web
import kmock

from tests.apiserver.server import ApiServer

T = TypeVar("T")
VERBS = {"get", "list", "watch", "create", "patch", "delete"}
# name -> (kind, namespaced, verbs). Namespaces and CRDs are discoverable on every real server
# (discovery needs no rights): kopf waits for them in discovery even with scanning disabled.
RESOURCES: dict[str, tuple[str, bool, set[str]]] = {
    "batch/v1/cronjobs": ("CronJob", True, VERBS),
    "batch/v1/jobs": ("Job", True, VERBS),
    "v1/pods": ("Pod", True, VERBS),
    "v1/events": ("Event", True, VERBS),
    "events.k8s.io/v1/events": ("Event", True, VERBS),
    "coordination.k8s.io/v1/leases": ("Lease", True, VERBS),
    "v1/namespaces": ("Namespace", False, {"list", "watch"}),
    "apiextensions.k8s.io/v1/customresourcedefinitions": (
        "CustomResourceDefinition", False, {"list", "watch"}),
}

Middleware = Callable[..., Awaitable[aiohttp.web.StreamResponse]]


def new_api_server() -> ApiServer:
    """An :class:`ApiServer` knowing the resources of :data:`RESOURCES`."""
    api = ApiServer()
    for key, (kind, namespaced, verbs) in RESOURCES.items():
        api.resources[key] = kmock.ResourceInfo(
            kind=kind, singular=kind.lower(), namespaced=namespaced, verbs=verbs)
    return api


async def serve(
    api: ApiServer, handler: Callable[[aiohttp.web.Request], Awaitable[Any]] | None = None,
    *, port: int = 0, middlewares: Iterable[Middleware] = (),
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[aiohttp.web.AppRunner, str]:
    """Start serving ``api`` (through ``handler`` if given) on 127.0.0.1; (runner, base URL)."""
    app = aiohttp.web.Application(middlewares=list(middlewares), client_max_size=64 * 2 ** 20)
    target = handler or api

    async def route(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        response: aiohttp.web.StreamResponse = await target(request)
        return response

    app.router.add_route("*", "/{tail:.*}", route)
    # Open watch streams would hold a clean shutdown for its whole timeout (60 s by default).
    runner = aiohttp.web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", port, ssl_context=ssl_context, backlog=1024)
    await site.start()
    bound = runner.addresses[0][1]
    scheme = "https" if ssl_context else "http"
    return runner, f"{scheme}://127.0.0.1:{bound}"


class ThreadedApiServer:
    """An :class:`ApiServer` served on its own thread and event loop."""

    def __init__(self, *, middlewares: Iterable[Middleware] = (),
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._middlewares = list(middlewares)
        self._ssl = ssl_context
        self._runner: aiohttp.web.AppRunner | None = None
        self.api = new_api_server()
        self.url = ""

    def start(self) -> None:
        self._thread.start()
        self.call(self._start())

    async def _start(self) -> None:
        await self.api.__aenter__()
        self._runner, self.url = await serve(
            self.api, middlewares=self._middlewares, ssl_context=self._ssl)

    def stop(self) -> None:
        async def _stop() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
            await self.api.__aexit__(None, None, None)
            # Watch streams still waiting for events: end them before the loop stops.
            pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        try:
            self.call(_stop(), timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the server's loop (its state is only touched from there)."""

        async def _call() -> T:
            return fn()

        return self.call(_call())
