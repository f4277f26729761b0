"""The Kubernetes API emulator the benchmarks talk to, served over real HTTP in its own process.

    python -m bench.emulator [--port 0]     # prints "PORT <n>" once it listens

It is the test API server of tests/apiserver (the one every e2e test uses: it stores objects
the way a real kube-apiserver does, so the writes counted here are the writes a cluster would
get), with kmock's per-request logs cleared (a benchmark sends tens of thousands).

Side endpoints under ``/_bench/`` (not counted as API requests): ``stats`` (the server's own
request counters by verb, live objects, and on CLOCK_MONOTONIC: now, the first API request, the
first and the last CronJob created since the last reset), ``reset`` (zero them), ``clear``
(drop every object too), ``seen?name=&schedule=`` (the CLOCK_MONOTONIC time a CronJob first
had that schedule: the same clock in every process on a Linux host, so a latency is measured
without polling), ``schedules`` (name -> schedule).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time

import aiohttp.web
import kmock

from bench.gc_clock import GcClock
from tests.apiserver.server import ApiServer
from tests.apiserver.serving import new_api_server
from tests.apiserver.serving import serve as serve_api

CRONJOB_RESOURCE = kmock.resource(group="batch", version="v1", plural="cronjobs")
VERBS = ("list", "watch", "get", "create", "patch", "update", "delete", "other")
WRITES = {"POST", "PATCH", "PUT"}


class Frontend:
    """Records schedules and creations as they land (server clock), and serves ``/_bench/``.

    Requests are counted by the server itself (:attr:`ApiServer.verbs`, named as an audit log
    names them); this class only adds the times a benchmark needs."""

    def __init__(self, emulator: ApiServer) -> None:
        self.emulator = emulator
        self.collector = GcClock()  # the server's cyclic GC grows with what it stores
        self.seen: dict[tuple[str, str], float] = {}
        self.first_request_at: float | None = None  # since the last clear/reset
        self.first_create_at: float | None = None  # the first and the last CronJob stored
        self.last_create_at: float | None = None  # by a create

    async def __call__(self, request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        if request.path.startswith("/_bench/"):
            return self._control(request)
        if self.first_request_at is None:
            self.first_request_at = time.monotonic()
        response = await self.emulator(request)
        # kmock keeps every request for assertions, in the root and in each reaction, and
        # matches the next request by scanning them: the server would slow down as a benchmark
        # goes on (tens of thousands of requests), hurting whatever runs late.
        self.emulator._requests.clear()
        for payload in self.emulator._payloads:
            payload._requests.clear()
        if request.method in WRITES and "/cronjobs" in request.path and response.status < 300:
            await self._record_schedule(request)
        return response

    async def _record_schedule(self, request: aiohttp.web.BaseRequest) -> None:
        now = time.monotonic()
        parts = [p for p in request.path.split("/") if p]
        namespace = parts[4] if len(parts) > 4 and parts[3] == "namespaces" else None
        name = parts[-1]
        if name == "cronjobs":  # a creation names the object in its (already read) body
            self.last_create_at = now
            if self.first_create_at is None:
                self.first_create_at = now
            try:
                name = json.loads(await request.read())["metadata"]["name"]
            except (ValueError, KeyError, TypeError):
                return
        obj = self.emulator._objects._objects.get((CRONJOB_RESOURCE, namespace, name))
        if obj is None or obj.deleted:
            return
        schedule = obj.raw.get("spec", {}).get("schedule", "")
        self.seen.setdefault((name, schedule), now)

    def _reset(self) -> None:
        self.emulator.verbs.clear()
        self.first_request_at = self.first_create_at = self.last_create_at = None

    def _stats(self) -> dict[str, object]:
        verbs = self.emulator.verbs
        counts = {verb: verbs.get(verb, 0) for verb in VERBS}
        counts["writes"] = self.emulator.writes()
        live = sum(1 for o in self.emulator._objects._objects.values() if not o.deleted)
        return {"requests": counts, "objects": live, "now": time.monotonic(),
                "cpu_seconds": time.process_time(),  # the server's own CPU (its share of a run)
                "gc_seconds": self.collector.seconds,
                "first_request_at": self.first_request_at,
                "first_create_at": self.first_create_at,
                "last_create_at": self.last_create_at}

    def _control(self, request: aiohttp.web.BaseRequest) -> aiohttp.web.Response:
        action = request.path.removeprefix("/_bench/")
        if action == "stats":
            return aiohttp.web.json_response(self._stats())
        if action == "reset":
            self._reset()
            return aiohttp.web.json_response({"ok": True})
        if action == "clear":
            self.emulator._objects._objects.clear()
            self._reset()
            self.seen.clear()
            return aiohttp.web.json_response({"ok": True})
        if action == "seen":
            at = self.seen.get((request.query.get("name", ""), request.query.get("schedule", "")))
            return aiohttp.web.json_response({"at": at})
        if action == "schedules":
            return aiohttp.web.json_response({
                name: obj.raw.get("spec", {}).get("schedule")
                for (resource, _, name), obj in self.emulator._objects._objects.items()
                if str(resource.plural) == "cronjobs" and not obj.deleted
            })
        return aiohttp.web.json_response({"error": f"unknown {action}"}, status=404)


async def serve(port: int) -> None:
    emulator = new_api_server()
    async with emulator:
        runner, url = await serve_api(emulator, Frontend(emulator), port=port)
        print(f"PORT {url.rsplit(':', 1)[1]}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.emulator")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
