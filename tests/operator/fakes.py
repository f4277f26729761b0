"""In-memory fakes of the reconciler's seams (AlertSource, KubeApi, Clock) for fast unit tests.

Like a real API server, the fake cluster fills defaults the desired object lacks (uid,
resourceVersion, generation, creationTimestamp, status), bumps resourceVersion only when the
stored object changes and generation only when its spec does, serves metadata-only lists
(unless told not to, as a server may not), and answers errors queued for a verb with the typed
errors of ``alert_operator.kube``.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from alert_core.db.alerts import AlertRow
from alert_core.db.pauses import Pauses
from alert_operator.kube import (
    Body,
    NotFoundError,
    PermanentApiError,
    RetryableApiError,
    is_managed,
)
from alert_operator.source import SourceError

DAILY = {"type": "daily", "time": "09:00", "timezone": "UTC"}


class FakeClock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def monotonic(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.seconds)

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


class FakeAlertSource:
    """The alerts table; ``error`` set: every read fails as the database would."""

    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, AlertRow] = {}
        self.paused: set[uuid.UUID] = set()
        self.everything_paused = False
        self.error: SourceError | None = None

    def add(self, name: str = "a", frequency: Any = None, *, active: bool = True) -> uuid.UUID:
        alert_id = uuid.uuid4()
        self.rows[alert_id] = AlertRow(alert_id, uuid.uuid4(), name, frequency or DAILY, active)
        return alert_id

    def _pauses(self) -> Pauses:
        return Pauses(self.everything_paused, frozenset(self.paused))

    async def read_all(self) -> tuple[list[AlertRow], Pauses]:
        if self.error is not None:
            raise self.error
        return list(self.rows.values()), self._pauses()

    async def read_one(self, alert_id: uuid.UUID) -> tuple[AlertRow | None, Pauses]:
        if self.error is not None:
            raise self.error
        return self.rows.get(alert_id), self._pauses()


class FakeCluster:
    """The KubeApi of the reconciler, over a dict of CronJobs in one namespace."""

    def __init__(self, page_size: int = 7, *, serves_metadata_lists: bool = True) -> None:
        self.cronjobs: dict[str, Body] = {}
        self.serves_metadata_lists = serves_metadata_lists
        self.writes: list[tuple[str, str]] = []  # (verb, name) of every write attempted
        self.failures: dict[str, deque[int]] = defaultdict(deque)  # verb -> statuses to answer
        self.page_size = page_size
        self._version = 0
        self.hold: asyncio.Event | None = None  # set: creates wait for it (writes in flight)
        self.creates_started = 0
        self.creates_finished = 0
        self.lists: list[bool] = []  # per list: whether it asked for metadata only
        self.gets = 0
        self.before_get: Callable[[str], None] | None = None  # someone else acts first

    def fail_next(self, verb: str, *statuses: int) -> None:
        self.failures[verb].extend(statuses)

    def _answer(self, verb: str) -> None:
        if self.failures[verb]:
            status = self.failures[verb].popleft()
            error = RetryableApiError if status in (0, 409, 429) or status >= 500 else \
                PermanentApiError
            raise error(verb, status, "Injected", f"injected {status}")

    def _store(self, body: Body) -> Body:
        self._version += 1
        body["metadata"]["resourceVersion"] = str(self._version)
        self.cronjobs[body["metadata"]["name"]] = body
        return copy.deepcopy(body)

    async def list_managed_cronjobs(self, namespace: str) -> list[Body]:
        return [item async for page in self.managed_cronjob_pages(namespace) for item in page]

    async def managed_cronjob_pages(
        self, namespace: str, *, metadata_only: bool = False
    ) -> AsyncIterator[list[Body]]:
        self._answer("list")
        self.lists.append(metadata_only)
        partial = metadata_only and self.serves_metadata_lists
        items = [copy.deepcopy({"metadata": b["metadata"]} if partial else b)
                 for _, b in sorted(self.cronjobs.items()) if is_managed(b)]
        for start in range(0, max(len(items), 1), self.page_size):
            yield items[start:start + self.page_size]

    async def get_cronjob(self, namespace: str, name: str) -> Body | None:
        self._answer("get")
        self.gets += 1
        if self.before_get is not None:
            self.before_get(name)
        body = self.cronjobs.get(name)
        return None if body is None else copy.deepcopy(body)

    async def create_cronjob(self, namespace: str, body: Body) -> Body:
        name = body["metadata"]["name"]
        self.writes.append(("create", name))
        self.creates_started += 1
        if self.hold is not None:
            await self.hold.wait()
        self.creates_finished += 1
        self._answer("create")
        if name in self.cronjobs:
            raise RetryableApiError("create", 409, "AlreadyExists", f"{name} exists")
        stored = copy.deepcopy(body)
        stored["metadata"].update(uid=str(uuid.uuid4()), creationTimestamp="2026-01-01T00:00:00Z",
                                  generation=1)
        stored["status"] = {}
        return self._store(stored)

    async def patch_cronjob(self, namespace: str, name: str, patch: Body) -> Body:
        self.writes.append(("patch", name))
        self._answer("patch")
        if name not in self.cronjobs:
            raise NotFoundError("patch", 404, "NotFound", name)
        return self._changed(name, _merge(copy.deepcopy(self.cronjobs[name]), patch))

    def hand_edit(self, name: str, change: Callable[[Body], None]) -> None:
        """Someone else's write (kubectl edit): ``change`` applied to the stored object."""
        edited = copy.deepcopy(self.cronjobs[name])
        change(edited)
        self._changed(name, edited)

    def _changed(self, name: str, new: Body) -> Body:
        old = self.cronjobs[name]
        if new == old:
            return copy.deepcopy(new)
        if new.get("spec") != old.get("spec"):
            new["metadata"]["generation"] = int(old["metadata"].get("generation") or 0) + 1
        return self._store(new)

    async def delete_cronjob(
        self, namespace: str, name: str, *, propagation: str = "Background"
    ) -> None:
        self.writes.append(("delete", name))
        self._answer("delete")
        self.cronjobs.pop(name, None)

    async def create_event(self, namespace: str, body: Body) -> None:
        self._answer("event")


def _merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result
