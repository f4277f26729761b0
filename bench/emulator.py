"""The Kubernetes API emulator the benchmarks talk to, served over real HTTP in its own process.

    python -m bench.emulator [--port 0]     # prints "PORT <n>" once it listens

It is the test API server of tests/apiserver (the one every e2e test uses: it stores objects
the way a real kube-apiserver does, so the writes counted here are the writes a cluster would
get), with kmock's per-request log cleared (a benchmark sends tens of thousands).

Side endpoints under ``/_bench/`` (not counted as API requests): ``stats`` (requests by verb),
``reset`` (zero the counters), ``clear`` (drop every object), ``seen?name=&schedule=`` (the
CLOCK_MONOTONIC time a CronJob first had that schedule: the same clock in every process on a
Linux host, so a latency is measured without polling), ``schedules`` (name → schedule).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections import Counter

import aiohttp.web
import kmock

from tests.apiserver.server import ApiServer
from tests.apiserver.serving import new_api_server
from tests.apiserver.serving import serve as serve_api

CRONJOB_RESOURCE = kmock.resource(group="batch", version="v1", plural="cronjobs")
VERBS = ("list", "watch", "get", "create", "patch", "update", "delete", "other")
WRITE_VERBS = ("create", "patch", "update", "delete")


def classify(method: str, path: str, query: dict[str, str]) -> str:
    """The Kubernetes verb of a request, as the API server's audit log would name it."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["apis"]:
        parts = parts[3:]
    elif parts[:1] == ["api"]:
        parts = parts[2:]
    else:
        return "other"
    if parts[:1] == ["namespaces"] and len(parts) >= 3:
        parts = parts[2:]
    named = len(parts) >= 2
    if method == "GET":
        if query.get("watch") in {"true", "1"}:
            return "watch"
        return "get" if named else "list"
    return {"POST": "create", "PATCH": "patch", "PUT": "update", "DELETE": "delete"}.get(
        method, "other"
    )


class Frontend:
    """Counts requests by verb, records schedules as they land, and serves ``/_bench/``."""

    def __init__(self, emulator: ApiServer) -> None:
        self.emulator = emulator
        self.counts: Counter[str] = Counter()
        self.seen: dict[tuple[str, str], float] = {}

    async def __call__(self, request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        if request.path.startswith("/_bench/"):
            return self._control(request)
        verb = classify(request.method, request.path, dict(request.query))
        self.counts[verb] += 1
        response = await self.emulator(request)
        # kmock keeps every request for assertions; a benchmark sends tens of thousands.
        self.emulator._requests.clear()
        if verb in {"create", "patch", "update"} and "/cronjobs" in request.path:
            await self._record_schedule(request)
        return response

    async def _record_schedule(self, request: aiohttp.web.BaseRequest) -> None:
        now = time.monotonic()
        parts = [p for p in request.path.split("/") if p]
        namespace = parts[4] if len(parts) > 4 and parts[3] == "namespaces" else None
        name = parts[-1]
        if name == "cronjobs":  # a creation names the object in its (already read) body
            try:
                name = json.loads(await request.read())["metadata"]["name"]
            except (ValueError, KeyError, TypeError):
                return
        obj = self.emulator._objects._objects.get((CRONJOB_RESOURCE, namespace, name))
        if obj is None or obj.deleted:
            return
        schedule = obj.raw.get("spec", {}).get("schedule", "")
        self.seen.setdefault((name, schedule), now)

    def _control(self, request: aiohttp.web.BaseRequest) -> aiohttp.web.Response:
        action = request.path.removeprefix("/_bench/")
        if action == "stats":
            counts = {verb: self.counts.get(verb, 0) for verb in VERBS}
            counts["writes"] = sum(self.counts.get(verb, 0) for verb in WRITE_VERBS)
            live = sum(1 for o in self.emulator._objects._objects.values() if not o.deleted)
            return aiohttp.web.json_response({"requests": counts, "objects": live})
        if action == "reset":
            self.counts.clear()
            return aiohttp.web.json_response({"ok": True})
        if action == "clear":
            self.emulator._objects._objects.clear()
            self.counts.clear()
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
