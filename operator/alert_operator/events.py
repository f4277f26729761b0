"""Kubernetes Events on our CronJobs (``kubectl describe cronjob`` shows them), rate-limited.

A bad day (the database down, every Job failing) must not flood the cluster with Events:

- per (CronJob, reason), at most one Event per ``window``; the ones held back are counted and
  the next Event says how many (and carries them in ``count``);
- across everything, a token bucket (``rate`` per second, ``burst`` at once).

Posting never raises: a failure is logged and counted, and the operator goes on.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from alert_core.cronjob import ALERT_ID_LABEL, MANAGED_BY, MANAGED_BY_LABEL
from alert_core.settings import Settings
from alert_operator.logs import alert_fields
from alert_operator.metrics import EVENTS

log = logging.getLogger(__name__)

COMPONENT = "alert-operator"
MAX_MESSAGE_BYTES = 1024  # events.k8s.io's limit on a note; core/v1 Events follow it here
MAX_REASON_LENGTH = 128


class EventsApi(Protocol):
    """The one call the recorder makes (kube.py implements it)."""

    async def create_event(self, namespace: str, body: dict[str, Any]) -> None: ...


@dataclass
class _Held:
    """The last Event of one (object, reason), and what was held back since."""

    posted_at: float
    suppressed: int = 0
    first_suppressed_at: datetime | None = None


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._updated = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


def truncate_message(message: str, limit: int = MAX_MESSAGE_BYTES) -> str:
    """At most ``limit`` bytes of UTF-8 (so at most ``limit`` characters), marked when cut."""
    if len(message.encode()) <= limit:
        return message
    marker = "…"
    cut = message.encode()[: limit - len(marker.encode())].decode(errors="ignore")
    return cut + marker


def default_instance() -> str:
    """Who reports: the pod's name in a cluster (its hostname), else this host."""
    return (os.environ.get("POD_NAME") or socket.gethostname() or COMPONENT)[:128]


class EventRecorder:
    """Posts core/v1 Events about managed CronJobs; see the module docstring."""

    def __init__(
        self,
        api: EventsApi,
        settings: Settings,
        *,
        window_seconds: float = 60.0,
        rate_per_second: float = 10.0,
        burst: int = 20,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        instance: str | None = None,
    ) -> None:
        self._api = api
        self._settings = settings
        self._window = window_seconds
        self._bucket = TokenBucket(rate_per_second, burst, clock)
        self._max_keys = max_keys
        self._clock = clock
        self._instance = instance or default_instance()
        self._held: OrderedDict[tuple[str, str], _Held] = OrderedDict()
        self._uids: OrderedDict[str, str] = OrderedDict()

    def note_object(self, cronjob_name: str, uid: str | None) -> None:
        """Remember a CronJob's uid: ``kubectl describe`` matches Events by uid too."""
        if not uid:
            return
        self._uids[cronjob_name] = uid
        self._uids.move_to_end(cronjob_name)
        while len(self._uids) > self._max_keys:
            self._uids.popitem(last=False)

    async def record(
        self,
        cronjob_name: str,
        alert_id: uuid.UUID | None,
        type_: str,
        reason: str,
        message: str,
        *,
        uid: str | None = None,
    ) -> None:
        """Post one Event on the CronJob ``cronjob_name``, unless the rate limits hold it back."""
        self.note_object(cronjob_name, uid)
        now = self._clock()
        key = (cronjob_name, reason)
        held = self._held.get(key)
        if held is not None and now - held.posted_at < self._window:
            self._hold(held)
            return
        if not self._bucket.take():
            if held is None:
                # Dated a window back: the next one may post as soon as a token is free.
                held = self._remember(key, now - self._window)
            self._hold(held)
            return
        suppressed, first = (held.suppressed, held.first_suppressed_at) if held else (0, None)
        self._remember(key, now)
        body = self._body(cronjob_name, alert_id, type_, reason, message, suppressed, first)
        await self._post(body, cronjob_name, alert_id)

    async def record_action(
        self, cronjob_name: str | None, alert_id: uuid.UUID | None, reason: str, message: str
    ) -> None:
        """A person's action (the web UI's pause, run-now...): posted at once, never held back
        by the per-object window (an audit trail must not lose the second of two pauses).
        ``cronjob_name`` None: an action on every alert, posted about the namespace."""
        body = self._body(cronjob_name or self._settings.namespace, alert_id, "Normal", reason,
                          message, 0, None)
        if cronjob_name is None:
            body["involvedObject"] = {"apiVersion": "v1", "kind": "Namespace",
                                      "name": self._settings.namespace}
        await self._post(body, cronjob_name or f"namespace/{self._settings.namespace}", alert_id)

    async def _post(
        self, body: dict[str, Any], cronjob_name: str, alert_id: uuid.UUID | None
    ) -> None:
        type_, reason = body["type"], body["reason"]
        if self._settings.dry_run:
            EVENTS.labels(result="dry_run").inc()
            log.info("dry-run: would post %s Event %s on cronjob/%s: %s",
                     type_, reason, cronjob_name, body["message"],
                     extra=alert_fields(alert_id, None, cronjob_name, event=reason))
            return
        try:
            await self._api.create_event(self._settings.namespace, body)
        except Exception as error:
            # Events are a courtesy to whoever runs kubectl describe: never worth failing for.
            EVENTS.labels(result="failed").inc()
            log.warning("could not post Event %s on cronjob/%s: %s",
                        reason, cronjob_name, _first_line(error),
                        extra=alert_fields(alert_id, None, cronjob_name, event=reason))
            return
        EVENTS.labels(result="posted").inc()

    def _hold(self, held: _Held) -> None:
        held.suppressed += 1
        if held.first_suppressed_at is None:
            held.first_suppressed_at = datetime.now(UTC)
        EVENTS.labels(result="suppressed").inc()

    def _remember(self, key: tuple[str, str], posted_at: float) -> _Held:
        held = _Held(posted_at)
        self._held[key] = held
        self._held.move_to_end(key)
        while len(self._held) > self._max_keys:
            # The oldest key is the one least likely to still be inside its window.
            self._held.popitem(last=False)
        return held

    def _body(
        self,
        cronjob_name: str,
        alert_id: uuid.UUID | None,
        type_: str,
        reason: str,
        message: str,
        suppressed: int,
        first_suppressed_at: datetime | None,
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        if suppressed:
            message = (
                f"{message} ({suppressed} similar event{'s' if suppressed > 1 else ''}"
                f" held back since {_timestamp(first_suppressed_at or now)})"
            )
        namespace = self._settings.namespace
        involved: dict[str, Any] = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": cronjob_name,
            "namespace": namespace,
        }
        if cronjob_name in self._uids:
            involved["uid"] = self._uids[cronjob_name]
        labels = {MANAGED_BY_LABEL: MANAGED_BY}
        if alert_id is not None:
            labels[ALERT_ID_LABEL] = str(alert_id)
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                # client-go names Events <object>.<unique hex>; ours stay unique the same way.
                "name": f"{cronjob_name}.{uuid.uuid4().hex[:16]}",
                "namespace": namespace,
                "labels": labels,
            },
            "involvedObject": involved,
            "type": type_ if type_ in ("Normal", "Warning") else "Warning",
            "reason": reason[:MAX_REASON_LENGTH],
            "message": truncate_message(message),
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": self._instance,
            "firstTimestamp": _timestamp(first_suppressed_at or now),
            "lastTimestamp": _timestamp(now),
            "count": suppressed + 1,
        }


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0][:300]}" if text else type(error).__name__
