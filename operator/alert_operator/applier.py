"""Apply a plan's actions: concurrently (bounded), retrying what is worth retrying.

409/429/5xx and connection errors are retried with exponential backoff and jitter; a permanent
error (422 invalid, 403...) is recorded against that alert and the other actions go on. In
dry-run every action is logged and nothing is written, except to a shadow of the cluster
(:mod:`alert_operator.shadow`: dry-run without one), so the next sync sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from alert_core.settings import Settings
from alert_operator import change_latency
from alert_operator.compare import matches
from alert_operator.kube import (
    ApiError,
    KubeApi,
    PermanentApiError,
    RetryableApiError,
    is_managed,
)
from alert_operator.logs import log_context
from alert_operator.metrics import ACTIONS
from alert_operator.planner import Action, digest, merge_patch
from alert_operator.shadow import ShadowCluster

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 5
BASE_DELAY_SECONDS = 0.2
MAX_DELAY_SECONDS = 5.0
# After a delete, the name may stay taken while the object terminates (409 on create).
RECREATE_ATTEMPTS = 10


class EventSink(Protocol):
    """observability's EventRecorder (``events.py``), as far as the applier uses it."""

    async def record(
        self, cronjob_name: str, alert_id: uuid.UUID | None, type_: str, reason: str, message: str
    ) -> None: ...


@dataclass
class Applied:
    """What :meth:`Applier.apply` did."""

    applied: list[Action] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # CronJob name -> error
    # alert id -> digest of the CronJob as the server stored it after our create/patch
    stored: dict[uuid.UUID, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


class Progress(Protocol):
    """Told the number of actions, then once per action done (alertctl's progress bar)."""

    def start(self, total: int) -> None: ...

    def advance(self) -> None: ...


def _backoff(attempt: int) -> float:
    delay = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** (attempt - 1))
    return random.uniform(delay / 2, delay)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    attempts: int = ATTEMPTS,
    retry_conflicts: bool = True,
    stopping: asyncio.Event | None = None,
) -> T:
    """``call()``, retried on retryable API errors with exponential backoff and jitter; never
    retried once ``stopping`` is set."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryableApiError as error:
            if attempt == attempts or (error.status == 409 and not retry_conflicts):
                raise
            if stopping is not None and stopping.is_set():
                raise
            log.warning("%s: %s; retry %d/%d", what, error, attempt, attempts - 1)
            await asyncio.sleep(_backoff(attempt))
    raise AssertionError("unreachable")


class Applier:
    """The concurrent, retrying shell around the API writes.

    Each action is sent by a task of its own, shielded from the cancellation of the sync that
    started it: at shutdown the sync is cancelled (no new action starts), :meth:`drain` waits
    for the writes already sent, and no retry starts from then on.
    """

    def __init__(
        self, settings: Settings, api: KubeApi, events: EventSink | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.settings = settings
        self.api = api
        self.events = events
        self.progress = progress
        self._in_flight: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    @property
    def writes(self) -> bool:
        """Whether the actions are written to ``api``: always, but in dry-run only to a shadow."""
        return not self.settings.dry_run or isinstance(self.api, ShadowCluster)

    async def apply(
        self, actions: Sequence[Action],
        lock: Callable[[uuid.UUID], asyncio.Lock] | None = None,
    ) -> Applied:
        """The actions, in order, by ``max_concurrency`` workers (not one task each at once: a
        cold sync of 10,000 would hold 10,000 tasks); each under ``lock(alert id)`` if given."""
        result = Applied()
        if self.progress is not None:
            self.progress.start(len(actions))
        todo = iter(actions)

        async def worker() -> None:
            for action in todo:  # shared: each action is taken by one worker
                if self._stopping.is_set():
                    return
                guard = (contextlib.nullcontext() if lock is None or action.alert_id is None
                         else lock(action.alert_id))
                async with guard:
                    await self._send(action, result)

        workers = min(len(actions), self.settings.max_concurrency)
        await asyncio.gather(*(worker() for _ in range(workers)))
        return result

    async def _send(self, action: Action, result: Applied) -> None:
        task = asyncio.create_task(self._apply_one(action, result))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        await asyncio.shield(task)  # a cancelled sync (shutdown) lets this write finish
        if self.progress is not None:
            self.progress.advance()

    async def drain(self, grace_seconds: float) -> None:
        """Shutdown: start nothing new (no action, no retry); wait (bounded) for the writes
        in flight."""
        self._stopping.set()
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=grace_seconds)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def _retry(self, call: Callable[[], Awaitable[T]], what: str,
                     retry_conflicts: bool = True) -> T:
        return await with_retries(call, what=what, retry_conflicts=retry_conflicts,
                                  stopping=self._stopping)

    async def _apply_one(self, action: Action, result: Applied) -> None:
        # Its retries, Events and errors are about this alert too: their lines say so.
        with log_context(action.log_fields()):
            await self._apply_in_context(action, result)

    async def _apply_in_context(self, action: Action, result: Applied) -> None:
        ACTIONS.labels(kind=action.kind, dry_run=str(self.settings.dry_run).lower()).inc()
        if self.settings.dry_run:
            log.info("dry-run: would %s CronJob %s%s (%s)", action.kind, action.name,
                     action.describe(), action.reason)
            result.applied.append(action)
            if self.writes:  # the shadow: the next sync compares with what was "applied"
                try:
                    await self._write(action)
                except ApiError as error:
                    log.warning("dry-run: the shadow of the cluster refused: %s", error)
            return
        try:
            stored = await self._write(action)
        except ApiError as error:
            result.failed[action.name] = str(error)
            log.error("%s CronJob %s failed: %s", action.kind, action.name, error)
            if self.events is not None:
                await self.events.record(
                    action.name, action.alert_id, "Warning", "ReconcileFailed",
                    f"{action.kind} failed: {error}",
                )
            return
        change_latency.cronjob_written()
        log.info("%s CronJob %s%s (%s)", action.kind, action.name, action.describe(),
                 action.reason)
        result.applied.append(action)
        if stored is not None and action.alert_id is not None:
            result.stored[action.alert_id] = digest(stored)

    async def _write(self, action: Action) -> dict[str, Any] | None:
        """Send the action; the object as the server stored it, when its answer has one."""
        namespace, name = self.settings.namespace, action.name
        what = f"{action.kind} CronJob {name}"
        if action.kind == "delete":
            await self._retry(lambda: self.api.delete_cronjob(namespace, name), what)
            return None
        # Built here, for this request only: a plan of 10,000 creates holds no manifests.
        manifest = action.manifest
        assert manifest is not None
        if action.kind in ("update", "suspend"):
            return await self._retry(
                lambda: self.api.patch_cronjob(namespace, name, manifest), what)
        if action.kind == "recreate":  # see planner.RECREATE_WHY for why not a patch
            await self._retry(
                lambda: self.api.delete_cronjob(namespace, name, propagation="Orphan"), what)
        return await self._create(manifest, what)

    async def _patch(self, name: str, patch: dict[str, Any], what: str) -> None:
        namespace = self.settings.namespace
        await self._retry(lambda: self.api.patch_cronjob(namespace, name, patch), what)

    async def _create(self, body: dict[str, Any], what: str) -> dict[str, Any] | None:
        """Create; on 409 look at what holds the name.

        Still terminating (after our delete): wait and try again. Ours and alive (a create that
        got an error answer but happened, or a concurrent sync): patch it to the desired state.
        Not ours: never touched, reported.
        """
        namespace, name = self.settings.namespace, body["metadata"]["name"]
        for attempt in range(1, RECREATE_ATTEMPTS + 1):
            try:
                return await self._retry(
                    lambda: self.api.create_cronjob(namespace, body), what, retry_conflicts=False)
            except RetryableApiError as error:
                if error.status != 409:
                    raise
                conflict = error
            live = await self._retry(lambda: self.api.get_cronjob(namespace, name), what)
            if live is not None and not (live.get("metadata") or {}).get("deletionTimestamp"):
                if not is_managed(live):
                    raise PermanentApiError(
                        "create", 409, "AlreadyExists", f"{name} exists and is not ours"
                    )
                if not matches(live, body):
                    await self._patch(name, merge_patch(body), what)
                return None
            if self._stopping.is_set():
                raise conflict
            log.info("%s: the old object is still terminating; retry %d", what, attempt)
            await asyncio.sleep(_backoff(attempt))
        raise conflict
