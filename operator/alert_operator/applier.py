"""Apply a plan's actions: concurrently (bounded), retrying what is worth retrying.

409/429/5xx and connection errors are retried with exponential backoff and jitter; a permanent
error (422 invalid, 403...) is recorded against that alert and the other actions go on. In
dry-run every action is logged and nothing is written.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from alert_core.settings import Settings
from alert_operator.compare import matches
from alert_operator.kube import (
    ApiError,
    KubeApi,
    PermanentApiError,
    RetryableApiError,
    is_managed,
)
from alert_operator.metrics import ACTIONS
from alert_operator.planner import Action, digest, merge_patch

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
class ApplyResult:
    applied: list[Action] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # CronJob name -> error
    # alert id -> digest of the CronJob as the server stored it after our create/patch
    stored: dict[uuid.UUID, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


def _backoff(attempt: int) -> float:
    delay = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** (attempt - 1))
    return random.uniform(delay / 2, delay)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    attempts: int = ATTEMPTS,
    retry_conflicts: bool = True,
) -> T:
    """``call()``, retried on retryable API errors with exponential backoff and jitter."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryableApiError as error:
            if attempt == attempts or (error.status == 409 and not retry_conflicts):
                raise
            log.warning("%s: %s; retry %d/%d", what, error, attempt, attempts - 1)
            await asyncio.sleep(_backoff(attempt))
    raise AssertionError("unreachable")


class Applier:
    def __init__(
        self, settings: Settings, api: KubeApi, events: EventSink | None = None
    ) -> None:
        self.settings = settings
        self.api = api
        self.events = events
        self._limit = asyncio.Semaphore(settings.max_concurrency)
        self._in_flight: set[asyncio.Task[Any]] = set()

    async def apply(self, actions: Iterable[Action]) -> ApplyResult:
        result = ApplyResult()
        tasks = [asyncio.create_task(self._bounded(action, result)) for action in actions]
        self._in_flight.update(tasks)
        try:
            # shield: a cancelled sync (shutdown) still lets the writes in flight finish.
            await asyncio.shield(asyncio.gather(*tasks, return_exceptions=True))
        finally:
            self._in_flight.difference_update(tasks)
        return result

    async def drain(self, grace_seconds: float) -> None:
        """Wait (bounded) for the writes in flight: used at shutdown."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=grace_seconds)

    async def _bounded(self, action: Action, result: ApplyResult) -> None:
        async with self._limit:
            await self.apply_one(action, result)

    async def apply_one(self, action: Action, result: ApplyResult) -> None:
        ACTIONS.labels(kind=action.kind, dry_run=str(self.settings.dry_run).lower()).inc()
        if self.settings.dry_run:
            log.info("dry-run: would %s CronJob %s%s (%s)", action.kind, action.name,
                     action.describe(), action.reason)
            result.applied.append(action)
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
            await with_retries(lambda: self.api.delete_cronjob(namespace, name), what=what)
            return None
        # Built here, for this request only: a plan of 10,000 creates holds no manifests.
        manifest = action.manifest
        assert manifest is not None
        if action.kind in ("update", "suspend"):
            return await with_retries(
                lambda: self.api.patch_cronjob(namespace, name, manifest), what=what
            )
        if action.kind == "recreate":  # see planner.RECREATE_WHY for why not a patch
            await with_retries(
                lambda: self.api.delete_cronjob(namespace, name, propagation="Orphan"), what=what
            )
        return await self._create(manifest, what)

    async def _patch(self, name: str, patch: dict[str, Any], what: str) -> None:
        namespace = self.settings.namespace
        await with_retries(lambda: self.api.patch_cronjob(namespace, name, patch), what=what)

    async def _create(self, body: dict[str, Any], what: str) -> dict[str, Any] | None:
        """Create; on 409 look at what holds the name.

        Still terminating (after our delete): wait and try again. Ours and alive (a create that
        got an error answer but happened, or a concurrent sync): patch it to the desired state.
        Not ours: never touched, reported.
        """
        namespace, name = self.settings.namespace, body["metadata"]["name"]
        for attempt in range(1, RECREATE_ATTEMPTS + 1):
            try:
                return await with_retries(
                    lambda: self.api.create_cronjob(namespace, body), what=what,
                    retry_conflicts=False,
                )
            except RetryableApiError as error:
                if error.status != 409:
                    raise
                conflict = error
            live = await with_retries(lambda: self.api.get_cronjob(namespace, name), what=what)
            if live is not None and not (live.get("metadata") or {}).get("deletionTimestamp"):
                if not is_managed(live):
                    raise PermanentApiError(
                        "create", 409, "AlreadyExists", f"{name} exists and is not ours"
                    )
                if not matches(live, body):
                    await self._patch(name, merge_patch(body), what)
                return None
            log.info("%s: the old object is still terminating; retry %d", what, attempt)
            await asyncio.sleep(_backoff(attempt))
        raise conflict
