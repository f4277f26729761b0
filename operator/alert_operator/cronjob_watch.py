"""The operator's own watch of its CronJobs: one stream, one ``json.loads`` per event.

kopf's ``on.event`` spent, per watch event of our own creates, a worker task, Body, Patch and
logger objects and a handler invocation (about a fifth of a cold sync's CPU: BENCHMARKS.md);
the reconciler needs only the CronJob's name, uid, alert id and digest. So the Runtime runs
this informer-style loop as one of its tasks (kopf keeps login, the Job watch and the
lifecycle):

- **Start** from the ``resourceVersion`` of a list of at most one managed CronJob
  (``limit=1``: its ``metadata.resourceVersion`` is the current one), not from an unversioned
  watch, which would first send every existing CronJob as ``ADDED`` (10,000 events at a restart
  over 10,000, each only to be found equal to what the full sync reads anyway); and not from
  the full sync's own list, which would tie the watch to the sync's paging and make it wait for
  a whole sync. The Runtime starts its first full sync once this version is known
  (:attr:`CronJobWatch.ready`): a change before it is in the sync's list, a change after it
  comes as an event.
- **Events**: ``ADDED``/``MODIFIED``/``DELETED`` of an object carrying our label (checked again
  here: a server may ignore the selector) go to ``on_event`` (the Runtime's reduction to
  (alert id, digest)); ``BOOKMARK`` only moves the version on. A line is parsed and dropped:
  no body is kept. The watch asks for metadata only (``as=PartialObjectMetadata``): the
  reduction needs nothing else, and the server sends a fifth of the bytes (a server that sends
  whole objects is read the same).
- **Expired version** (an ``ERROR`` event or an answer with 410 Gone): a fresh version, then
  ``on_expired`` (a full sync: the re-list of an informer).
- **Anything else** (another ``ERROR``, a failed connection, a 5xx, a line that is not an
  event): one log line per problem, no traceback; the watch reconnects from the last version
  it saw, with a bounded backoff. A stream the server ends (``timeoutSeconds``) is resumed at
  once. A 401 makes the API client log in again (:class:`alert_operator.kube.HttpKubeApi`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any, Protocol

from alert_core import json_codec
from alert_operator.kube import ApiError, is_managed

log = logging.getLogger(__name__)

WATCH_TIMEOUT_SECONDS = 300  # the server ends each stream after this; it is resumed at once
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
CHANGES = frozenset({"ADDED", "MODIFIED", "DELETED"})
EXPIRED = 410


class WatchApi(Protocol):
    """The two calls of the watch (:class:`alert_operator.kube.HttpKubeApi` has them)."""

    async def cronjobs_version(self, namespace: str) -> str: ...

    def watch_cronjobs(
        self, namespace: str, resource_version: str, timeout_seconds: int
    ) -> AsyncGenerator[bytes, None]: ...


class ExpiredVersionError(Exception):
    """The server no longer has the events since our version (410 Gone)."""


class CronJobWatch:
    def __init__(
        self,
        api: WatchApi,
        namespace: str,
        on_event: Callable[[str, Mapping[str, Any]], None],
        on_expired: Callable[[], None],
        *,
        resource_version: str = "",
        timeout_seconds: int = WATCH_TIMEOUT_SECONDS,
        backoff: tuple[float, ...] = BACKOFF_SECONDS,
    ) -> None:
        self.api, self.namespace = api, namespace
        self.on_event, self.on_expired = on_event, on_expired
        self.version = resource_version  # the last one seen; "" = ask the server for it
        self.timeout_seconds = timeout_seconds
        self.backoff = backoff
        self.ready = asyncio.Event()  # set once the first version is known (or could not be)

    async def run(self) -> None:
        """Forever (until cancelled): stream, reconnect, re-list when the version expired."""
        failures, relist = 0, False
        while True:
            try:
                if not self.version:
                    self.version = await self.api.cronjobs_version(self.namespace)
                    if relist:
                        self.on_expired()
                        relist = False
                self.ready.set()
                if await self._stream():
                    failures = 0
                    continue
                delay = self._delay(failures)  # an empty stream: no problem, but no hot loop
            except ExpiredVersionError as error:
                log.warning("CronJob watch: %s; reading the current version, then a full sync",
                            error)
                self.version, relist = "", True
                delay = self._delay(failures)
            except ApiError as error:
                delay = self._delay(failures)
                log.warning("CronJob watch: %s; again in %.1f s", error, delay)
            except Exception:  # a bug must not end the watch for good
                delay = self._delay(failures)
                log.exception("CronJob watch crashed; again in %.1f s", delay)
            self.ready.set()  # the first sync must not wait for a cluster that does not answer
            failures += 1
            await asyncio.sleep(delay)

    def _delay(self, failures: int) -> float:
        return self.backoff[min(failures, len(self.backoff) - 1)]

    async def _stream(self) -> bool:
        """One watch request until the server ends it; whether it sent anything."""
        lines = self.api.watch_cronjobs(self.namespace, self.version, self.timeout_seconds)
        sent = False
        try:
            async with contextlib.aclosing(lines):  # a failed event closes the response at once
                async for line in lines:
                    sent = True
                    self._handle(line)
        except ApiError as error:
            if error.status == EXPIRED:
                raise ExpiredVersionError(str(error)) from None
            raise
        return sent

    def _handle(self, line: bytes) -> None:
        try:
            event = json_codec.loads(line)
        except ValueError as error:  # UnicodeDecodeError too
            log.warning("CronJob watch: skipped a line that is not JSON (%s)", error)
            return
        kind = event.get("type") if isinstance(event, dict) else None
        kind = kind if isinstance(kind, str) else None
        body = event.get("object") if isinstance(event, dict) else None
        metadata = body.get("metadata") if isinstance(body, dict) else None
        if kind == "ERROR":
            self._error(body if isinstance(body, dict) else {})
            return
        if not isinstance(body, dict) or not isinstance(metadata, dict) or (
                kind not in CHANGES and kind != "BOOKMARK"):
            log.warning("CronJob watch: skipped an event without a type, an object or its "
                        "metadata (type %.40r)", kind)
            return
        version = metadata.get("resourceVersion")
        if isinstance(version, str) and version:
            self.version = version
        if kind in CHANGES:
            try:
                if is_managed(body):
                    self.on_event(kind, body)
            except Exception as error:  # one odd object must not end the stream
                log.error("CronJob watch: an event of %.100r not handled: %s",
                          metadata.get("name"), error)

    @staticmethod
    def _error(status: Mapping[str, Any]) -> None:
        code = status.get("code")
        if code == EXPIRED:
            raise ExpiredVersionError(f"ERROR 410: {status.get('message') or ''}"[:300])
        reason = str(status.get("reason") or "ERROR")
        raise ApiError("watch", code if isinstance(code, int) else 0, reason,
                       str(status.get("message") or "")[:300])
