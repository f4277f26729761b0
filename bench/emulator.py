"""The Kubernetes API emulator the benchmarks talk to, served over real HTTP in its own process.

    python -m bench.emulator [--port 0]     # prints "PORT <n>" once it listens

It is kmock's ``KubernetesEmulator`` (the one the tests use) with three changes that a benchmark
needs and a test does not:

- objects are found by key, not by scanning every stored object per request (kmock's scan makes
  10,000 creations quadratic, which would measure kmock instead of our code);
- lists honour ``labelSelector`` (equality terms), ``limit`` and ``continue``, like a real API
  server, so a paginated list costs as many requests here as it would in a cluster;
- created objects get ``uid``, ``resourceVersion`` and ``creationTimestamp``.

Side endpoints under ``/_bench/`` (not counted as API requests): ``stats`` (requests by verb),
``reset`` (zero the counters), ``clear`` (drop every object), ``seen?name=&schedule=`` (the
CLOCK_MONOTONIC time a CronJob first had that schedule: the same clock in every process on a
Linux host, so a latency is measured without polling), ``schedules`` (name → schedule).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import aiohttp.web
import kmock
from kmock._internal import rendering

CRONJOBS = "batch/v1/cronjobs"
CRONJOB_RESOURCE = kmock.resource(group="batch", version="v1", plural="cronjobs")
RESOURCES: dict[str, dict[str, Any]] = {
    CRONJOBS: {"kind": "CronJob", "namespaced": True, "singular": "cronjob"},
    "batch/v1/jobs": {"kind": "Job", "namespaced": True, "singular": "job"},
    "v1/pods": {"kind": "Pod", "namespaced": True, "singular": "pod"},
    "v1/events": {"kind": "Event", "namespaced": True, "singular": "event"},
    "v1/namespaces": {"kind": "Namespace", "namespaced": False, "singular": "namespace"},
    "events.k8s.io/v1/events": {"kind": "Event", "namespaced": True, "singular": "event"},
    "coordination.k8s.io/v1/leases": {"kind": "Lease", "namespaced": True, "singular": "lease"},
}
VERBS = ("list", "watch", "get", "create", "patch", "update", "delete", "other")
WRITE_VERBS = ("create", "patch", "update", "delete")


def _labels_match(labels: dict[str, str], selector: str) -> bool:
    """Equality-based label selector terms (``a=b``, ``a==b``, ``a!=b``, ``a``)."""
    for term in filter(None, (part.strip() for part in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif term not in labels:
            return False
    return True


class BenchEmulator(kmock.KubernetesEmulator):
    """kmock's emulator, indexed and paginating (see the module docstring)."""

    _versions = itertools.count(1)

    def _KubernetesEmulator__get_objs(  # noqa: N802 (overrides kmock's name-mangled helper)
        self, request: rendering.Request, strict: bool
    ) -> list[Any]:
        # A named request is a dict lookup instead of kmock's scan of every object.
        if request.name is not None and request.resource is not None:
            objects = self._objects._objects
            namespaces = [request.namespace] if strict or request.namespace else [None]
            if not strict and request.namespace is None:
                return [o for (r, _, n), o in objects.items()
                        if r == request.resource and n == request.name]
            found = [objects.get((request.resource, ns, request.name)) for ns in namespaces]
            return [obj for obj in found if obj is not None]
        return [
            obj for (resource, namespace, _), obj in self._objects._objects.items()
            if resource == request.resource
            and (request.namespace is None or namespace == request.namespace)
        ]

    async def _handle(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        data = request.data if isinstance(request.data, dict) else None
        if data is not None and request.action == kmock.action.CREATE:
            metadata = data.setdefault("metadata", {})
            metadata.setdefault("uid", str(uuid.uuid4()))
            metadata["resourceVersion"] = str(next(self._versions))
            metadata.setdefault(
                "creationTimestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            )
            metadata.setdefault("generation", 1)
        elif data is not None and request.action == kmock.action.UPDATE:
            data.setdefault("metadata", {})["resourceVersion"] = str(next(self._versions))
        return await super()._handle(request)

    async def _serve_list(self, request: rendering.Request) -> dict[str, Any]:
        if request.resource not in list(self._get_resources()):
            raise kmock.KubernetesResourceNotFoundError()
        selector = request.params.get("labelSelector", "")
        limit = int(request.params.get("limit") or 0)
        after = request.params.get("continue") or ""
        async with self._lock:
            candidates = sorted(
                (
                    (namespace or "", name, obj)
                    for (resource, namespace, name), obj in self._objects._objects.items()
                    if resource == request.resource
                    and (request.namespace is None or namespace == request.namespace)
                    and not obj.deleted
                ),
                key=lambda item: (item[0], item[1]),
            )
            items: list[dict[str, Any]] = []
            token = ""
            for namespace, name, obj in candidates:
                if after and f"{namespace}/{name}" <= after:
                    continue
                raw = obj.raw
                if selector and not _labels_match(raw.get("metadata", {}).get("labels", {}),
                                                  selector):
                    continue
                if limit and len(items) == limit:
                    token = f"{items[-1]['metadata'].get('namespace', '')}/" \
                            f"{items[-1]['metadata']['name']}"
                    break
                items.append(raw)
        metadata: dict[str, Any] = {"resourceVersion": str(next(self._versions))}
        if token:
            metadata["continue"] = token
        kind = RESOURCES.get(_resource_key(request), {}).get("kind", "Object")
        return {"apiVersion": _api_version(request), "kind": f"{kind}List",
                "metadata": metadata, "items": items}


def _resource_key(request: rendering.Request) -> str:
    resource = request.resource
    assert resource is not None  # only list requests of known resources get here
    group = f"{resource.group}/" if resource.group else ""
    return f"{group}{resource.version}/{resource.plural}"


def _api_version(request: rendering.Request) -> str:
    resource = request.resource
    assert resource is not None
    return f"{resource.group}/{resource.version}" if resource.group else str(resource.version)


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

    def __init__(self, emulator: BenchEmulator) -> None:
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
    emulator = BenchEmulator()
    for key, info in RESOURCES.items():
        emulator.resources[key] = kmock.ResourceInfo(
            verbs={"list", "watch", "get", "create", "patch", "delete"}, **info
        )
    async with emulator:
        server = aiohttp.web.Server(Frontend(emulator), access_log=None)
        runner = aiohttp.web.ServerRunner(server, access_log=None)
        await runner.setup()
        site = aiohttp.web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
        await site.start()
        port = runner.addresses[0][1]
        print(f"PORT {port}", flush=True)
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
