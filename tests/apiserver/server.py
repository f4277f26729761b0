"""The test API server: kmock's ``KubernetesEmulator`` with a real server's storage semantics.

kmock serves discovery, routing and error rendering; this class owns writes, lists and watches:

- create/patch store :func:`.storage.stored` of the object (validated -> 422, pruned, defaulted,
  quantities canonical); 409 on creating a live name, 404 on patching/deleting a missing one;
- ``metadata.uid``/``creationTimestamp`` on create; ``resourceVersion`` from one increasing
  counter, bumped only when the stored object changes; ``generation`` bumped only when ``spec``
  changes; a patch that changes nothing returns the object as it was and emits no event;
- JSON merge patches (RFC 7386; what kube.py sends) and JSON patches; a strategic-merge patch
  is applied as a merge patch (our objects have no lists it would merge by key);
- lists honour ``labelSelector`` (equality, sets, existence), ``limit`` and ``continue`` (a page
  seeks to its token in the keys kept in list order: its cost is its size, not the count of all);
- a list whose ``Accept`` asks for ``as=PartialObjectMetadataList`` (meta.k8s.io/v1) first gets
  the objects' metadata only, and so do the events of a watch asking ``as=PartialObjectMetadata``
  (:mod:`.media`); any other ``Accept`` gets the full objects;
- a watch with a ``resourceVersion`` sends only the later events from a bounded history, and
  ``410 Gone`` (an ERROR event) when that version is older than the history; ``timeoutSeconds``
  ends it (with a ``BOOKMARK`` of the current version first when ``allowWatchBookmarks=true``,
  as kube-apiserver sends one just before a watch times out);
- open watches can be ended (:meth:`ApiServer.close_watches`, as a restarted server or a proxy
  does), expired (:meth:`ApiServer.expire_watches`: an ERROR 410, as after a compaction) or sent
  a raw line (:meth:`ApiServer.send_watch_line`: what a broken server could send);
- ``fail_next(method, *statuses)`` answers the next requests (``WATCH``: watches) with errors
  without applying them;
- counters: requests by verb, requests started and finished, objects examined by lists, watch
  events sent by resource and type.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import copy
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import aiohttp.web
import attrs
import kmock
from kmock._internal import dicts, k8s, rendering

from tests.apiserver import media, storage
from tests.apiserver.selectors import SelectorError, parse_selector
from tests.apiserver.watches import WatchControl, bookmark, expired, timeout_of

KINDS = {"cronjobs": "CronJob", "jobs": "Job", "pods": "Pod", "events": "Event",
         "namespaces": "Namespace", "leases": "Lease",
         "customresourcedefinitions": "CustomResourceDefinition"}
HISTORY = 1_000  # watch events kept for watches that start from a resourceVersion (memory)
WATCH = "WATCH"  # fail_next's key for watch requests
MUTATIONS = {"POST": kmock.action.CREATE, "PATCH": kmock.action.UPDATE,
             "PUT": kmock.action.UPDATE, "DELETE": kmock.action.DELETE}


@attrs.frozen
class ApiError(k8s.KubernetesError):
    """An error answered with its own status code."""

    status: int = 500
    reason: str = "InternalError"
    message: str = "injected"


def list_order(entry: tuple[str, str, Any]) -> tuple[str, str]:
    """A list's order: by namespace, then name (a continue token names the last of a page)."""
    return entry[0], entry[1]


def verb_of(request: rendering.Request) -> str:
    """The Kubernetes verb of a request, as the API server's audit log would name it."""
    if request.resource is None:
        return "other"
    action = request.action
    if action == kmock.action.LIST:
        return "list"
    if action == kmock.action.WATCH:
        return "watch"
    if action == kmock.action.FETCH:
        return "get"
    method = str(request.method.value).upper() if request.method else ""
    return {"POST": "create", "PATCH": "patch", "PUT": "update", "DELETE": "delete"}.get(
        method, "other")


class ApiServer(kmock.KubernetesEmulator):
    """kmock's emulator storing the way a real API server does (see the module docstring)."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._versions = itertools.count(1)
        self.version = 0  # the resourceVersion of the last change
        self.history: collections.deque[tuple[int, Any, dict[str, Any]]] = collections.deque(
            maxlen=HISTORY)
        self.verbs: collections.Counter[str] = collections.Counter()
        self.started = 0
        self.finished = 0
        self._injected: dict[tuple[str, str], collections.deque[int]] = (
            collections.defaultdict(collections.deque))
        # The keys (namespace, name) of each resource in list order, so that a list page seeks
        # to its continue token instead of sorting every object; rebuilt when keys were added
        # (kmock keeps a deleted object's key, so the count of keys only grows).
        self._ordered: dict[Any, list[tuple[str, str, Any]]] = {}
        self._ordered_count = -1
        self.examined = 0  # objects a list or watch looked at (paging costs its pages, not N)
        self.sent: collections.Counter[tuple[str, str]] = collections.Counter()  # (plural, type)

    # --- counters and error injection -------------------------------------------------------
    def fail_next(self, method: str, *statuses: int, plural: str = "cronjobs") -> None:
        """Answer the next ``method`` requests on ``plural`` with these statuses (one each);
        an answered error changes nothing."""
        self._injected[method.upper(), plural].extend(statuses)

    async def close_watches(self, plural: str = "cronjobs") -> None:
        """End every open watch of ``plural`` (cleanly: the stream just ends)."""
        await self._control(plural, WatchControl("close"))

    async def expire_watches(self, plural: str = "cronjobs") -> None:
        """End every open watch of ``plural`` with an ERROR 410 (its version was compacted)."""
        await self._control(plural, WatchControl("expire"))

    async def send_watch_line(self, payload: bytes, plural: str = "cronjobs") -> None:
        """Send ``payload`` (one line, as is) to every open watch of ``plural``."""
        await self._control(plural, WatchControl("line", payload=payload))

    async def _control(self, plural: str, control: WatchControl) -> None:
        async with self._lock:  # after the events of the writes in progress
            for resource, bus in list(self._buses.items()):
                if str(resource.plural) == plural:
                    await bus.put(control)

    def writes(self) -> int:
        return sum(self.verbs[verb] for verb in ("create", "patch", "update", "delete"))

    # --- request handling -----------------------------------------------------------------
    async def _handle(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        self.started += 1
        try:
            self.verbs[verb_of(request)] += 1
            method = str(request.method.value).upper() if request.method else ""
            if request.action == kmock.action.WATCH and request.resource is not None:
                injected = self._injected.get((WATCH, str(request.resource.plural)))
                if injected:
                    raise ApiError(status=injected.popleft())
            if request.resource is None or method not in MUTATIONS:
                return await super()._handle(request)
            injected = self._injected.get((method, str(request.resource.plural)))
            if injected:
                raise ApiError(status=injected.popleft())
            async with self._lock:
                if request.action == kmock.action.CREATE:
                    await self._create(request)
                elif request.name is not None and request.action == kmock.action.UPDATE:
                    await self._patch(request)
                elif request.name is not None and request.action == kmock.action.DELETE:
                    return aiohttp.web.json_response(await self._delete(request))
            return await k8s.KubernetesScaffold._handle(self, request)
        finally:
            self.finished += 1

    def _kind(self, request: rendering.Request) -> str:
        assert request.resource is not None
        return KINDS.get(str(request.resource.plural), "Object")

    async def _emit(self, resource: Any, kind: str, obj: dict[str, Any]) -> None:
        version = int(obj["metadata"]["resourceVersion"])
        event = {"type": kind, "object": obj}
        self.history.append((version, resource, event))
        await self._buses[resource].put(event)

    def _next_version(self) -> str:
        self.version = next(self._versions)
        return str(self.version)

    async def _create(self, request: rendering.Request) -> None:
        data = copy.deepcopy(request.data) if isinstance(request.data, dict) else {}
        metadata = data.setdefault("metadata", {})
        namespace = request.namespace or metadata.get("namespace")
        if namespace:
            metadata["namespace"] = namespace
        key: Any = (request.resource, namespace, metadata.get("name"))
        if key in self._objects and not self._objects[key].deleted:
            raise k8s.KubernetesObjectConflictError()
        obj = self._stored(request, data)
        obj["metadata"].update(
            uid=str(uuid.uuid4()), resourceVersion=self._next_version(), generation=1,
            creationTimestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        if key in self._objects:
            self._objects[key].history[:] = [obj]  # one version kept (10,000 in the bench)
        else:
            self._objects[key] = obj
        await self._emit(request.resource, "ADDED", obj)

    def _stored(self, request: rendering.Request, data: dict[str, Any]) -> dict[str, Any]:
        try:
            return storage.stored(self._kind(request), data)
        except storage.InvalidError as error:
            raise ApiError(status=422, reason="Invalid", message=str(error)) from None

    async def _patch(self, request: rendering.Request) -> None:
        key: Any = (request.resource, request.namespace, request.name)
        if key not in self._objects or self._objects[key].deleted:
            raise k8s.KubernetesObjectNotFoundError()
        old = copy.deepcopy(self._objects[key].raw)
        server_set = {name: old["metadata"].get(name) for name in
                      ("uid", "creationTimestamp", "resourceVersion", "generation", "name",
                       "namespace")}
        patched = dict(dicts.patch_dict(copy.deepcopy(old), request.data or {}))
        new = self._stored(request, patched)
        new.setdefault("metadata", {}).update(server_set)
        if new == old:
            return  # nothing changed: same resourceVersion, no event
        if new.get("spec") != old.get("spec"):
            new["metadata"]["generation"] = int(old["metadata"].get("generation") or 1) + 1
        new["metadata"]["resourceVersion"] = self._next_version()
        self._objects[key].history[:] = [new]
        await self._emit(request.resource, "MODIFIED", new)

    async def _delete(self, request: rendering.Request) -> dict[str, Any]:
        """Delete at once (no finalizers, no garbage collection of dependents: the policy in
        ``propagationPolicy`` is accepted and only recorded)."""
        key: Any = (request.resource, request.namespace, request.name)
        if key not in self._objects or self._objects[key].deleted:
            raise k8s.KubernetesObjectNotFoundError()
        obj: dict[str, Any] = copy.deepcopy(self._objects[key].raw)
        obj["metadata"]["resourceVersion"] = self._next_version()
        self._objects[key].delete()
        await self._emit(request.resource, "DELETED", obj)
        return obj

    # --- reading --------------------------------------------------------------------------
    def _KubernetesEmulator__get_objs(
        self, request: rendering.Request, strict: bool
    ) -> list[Any]:
        # A named request is a dict lookup instead of kmock's scan of every object.
        objects = self._objects._objects
        if request.name is not None and (strict or request.namespace is not None):
            key: Any = (request.resource, request.namespace, request.name)
            found = objects.get(key)
            return [] if found is None else [found]
        return [obj for (resource, namespace, name), obj in objects.items()
                if resource == request.resource
                and (request.namespace is None or namespace == request.namespace)
                and (request.name is None or name == request.name)]

    def _matcher(self, request: rendering.Request) -> Any:
        try:
            return parse_selector(request.params.get("labelSelector", ""))
        except SelectorError as error:
            raise ApiError(status=400, reason="BadRequest", message=str(error)) from None

    def _keys_in_order(self, resource: Any) -> list[tuple[str, str, Any]]:
        """(namespace or "", name, the stored key) of every object of ``resource``, sorted."""
        objects = self._objects._objects
        if len(objects) != self._ordered_count:
            grouped: dict[Any, list[tuple[str, str, Any]]] = collections.defaultdict(list)
            for key in objects:
                kind, namespace, name = key
                grouped[kind].append((namespace or "", name, key))
            self._ordered = {kind: sorted(keys, key=list_order) for kind, keys in grouped.items()}
            self._ordered_count = len(objects)
        return self._ordered.get(resource, [])

    def _known(self, resource: Any) -> bool:
        """Served: stored objects of it, or declared (kmock's own check hashes every object's
        key, a cost per list page of all objects)."""
        return bool(self._keys_in_order(resource)) or resource in k8s.KubernetesScaffold.\
            _get_resources(self)

    def _live(self, request: rendering.Request,
              after: tuple[str, str] | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """The live objects of the request's resource (and namespace) that its selector matches,
        in list order, starting after ``after``; a page costs its size, not the count of all."""
        matcher = self._matcher(request)
        objects = self._objects._objects
        keys = self._keys_in_order(request.resource)
        wanted = request.namespace
        position = 0 if wanted is None else bisect.bisect_left(keys, (wanted, ""), key=list_order)
        if after is not None:
            position = max(position, bisect.bisect_right(keys, after, key=list_order))
        for namespace, name, key in itertools.islice(keys, position, None):
            if wanted is not None and namespace != wanted:
                break
            obj = objects[key]
            self.examined += 1
            if not obj.deleted and matcher(obj.raw.get("metadata", {}).get("labels", {})):
                yield namespace, name, obj.raw

    async def _serve_list(self, request: rendering.Request) -> dict[str, Any]:
        if not self._known(request.resource):
            raise k8s.KubernetesResourceNotFoundError()
        limit = int(request.params.get("limit") or 0)
        token = request.params.get("continue") or ""
        namespace, slash, name = token.partition("/")
        after = (namespace, name) if slash else None
        items: list[dict[str, Any]] = []
        token = ""
        async with self._lock:
            for *_, raw in self._live(request, after):
                if limit and len(items) == limit:
                    last = items[-1]["metadata"]
                    token = f"{last.get('namespace', '')}/{last['name']}"
                    break
                items.append(raw)
        metadata: dict[str, Any] = {"resourceVersion": str(self.version)}
        if token:
            metadata["continue"] = token
        if media.asked_as(request.headers) == media.LIST:
            return {"apiVersion": media.META_API_VERSION, "kind": media.LIST,
                    "metadata": metadata, "items": [media.partial(item) for item in items]}
        resource = request.resource
        assert resource is not None
        api_version = f"{resource.group}/{resource.version}" if resource.group else \
            str(resource.version)
        return {"apiVersion": api_version, "kind": f"{self._kind(request)}List",
                "metadata": metadata, "items": items}

    async def _serve_watch(self, request: rendering.Request) -> AsyncIterator[Any]:
        try:  # before the headers: a 400 is still an answer
            timeout = timeout_of(request.params)
        except ValueError:
            raise ApiError(status=400, reason="BadRequest",
                           message="invalid timeoutSeconds") from None
        yield b""  # the headers go out at once
        matcher = self._matcher(request)
        since = request.params.get("resourceVersion") or ""
        async with self._lock:
            bus = self._buses[request.resource]  # type: ignore[index]
            mark = await bus.mark()
            backlog = self._backlog(request, since)
        for event in backlog:
            if event["type"] == "ERROR" or self._wanted(request, matcher, event):
                yield self._sending(request, event)
            if event["type"] == "ERROR":
                return
        token = object()
        timer = None if timeout is None else asyncio.get_running_loop().call_later(
            timeout, lambda: asyncio.ensure_future(self._time_out(bus, token)))
        try:
            async for event in mark:
                if not isinstance(event, WatchControl):
                    if self._wanted(request, matcher, event):
                        yield self._sending(request, event)
                elif event.kind == "line":
                    yield event.payload
                elif event.kind in ("close", "expire") or event.token is token:
                    for last in self._last_events(request, event, since):
                        yield last
                    return
        finally:
            if timer is not None:
                timer.cancel()

    def _backlog(self, request: rendering.Request, since: str) -> list[dict[str, Any]]:
        """What a new watch sends first: the current objects (no version), a 410 (a version
        older than the history) or the later events of the history."""
        if since in ("", "0"):
            return [{"type": "ADDED", "object": raw} for _, _, raw in self._live(request)]
        if self.history and int(since) < self.history[0][0] - 1 \
                and len(self.history) == self.history.maxlen:
            return [expired(since)]
        return [event for version, resource, event in self.history
                if version > int(since) and resource == request.resource]

    def _last_events(self, request: rendering.Request, control: WatchControl,
                     since: str) -> list[dict[str, Any]]:
        if control.kind == "expire":
            return [self._sending(request, expired(since))]
        if control.kind == "timeout" and request.params.get("allowWatchBookmarks") == "true":
            resource = request.resource
            assert resource is not None
            api_version = f"{resource.group}/{resource.version}" if resource.group else \
                str(resource.version)
            return [self._sending(request, bookmark(api_version, self._kind(request),
                                                    control.version))]
        return []

    async def _time_out(self, bus: Any, token: object) -> None:
        async with self._lock:  # the version of the events already on the bus
            await bus.put(WatchControl("timeout", token, version=str(self.version)))

    def _sending(self, request: rendering.Request, event: dict[str, Any]) -> dict[str, Any]:
        assert request.resource is not None
        self.sent[str(request.resource.plural), str(event["type"])] += 1
        if event["type"] != "ERROR" and media.asked_as(request.headers) == media.OBJECT:
            return {"type": event["type"], "object": media.partial(event["object"])}
        return event

    @staticmethod
    def _wanted(request: rendering.Request, matcher: Any, event: dict[str, Any]) -> bool:
        metadata = event["object"].get("metadata", {})
        return bool((request.namespace is None or metadata.get("namespace") == request.namespace)
                    and matcher(metadata.get("labels", {})))
