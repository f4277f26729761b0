"""The few Kubernetes API calls the operator makes: a small interface and its aiohttp client.

Every call names the (group, resource, verb) it needs and is refused unless
:data:`alert_operator.permissions.OPERATOR_RULES` grants it, so the client and the RBAC Role
cannot drift apart. Errors are typed: :class:`RetryableApiError` (409, 429, 5xx, connection
problems: worth another try) and :class:`PermanentApiError` (422, 403, ...: the same request
would fail again); 404 is :class:`NotFoundError`.
"""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from alert_core import json_codec
from alert_core.cronjob import MANAGED_BY, MANAGED_BY_LABEL, MANAGED_SELECTOR
from alert_operator.metrics import API_ERRORS
from alert_operator.permissions import allowed

Body = dict[str, Any]
LIST_PAGE_SIZE = 500
REQUEST_TIMEOUT_SECONDS = 30.0
WATCH_READ_MARGIN_SECONDS = 30.0  # silence beyond the server's own timeoutSeconds: dead stream
MERGE_PATCH = "application/merge-patch+json"
# The objects' metadata only (meta.k8s.io/v1 PartialObjectMetadataList, as client-go's metadata
# client asks), else the full objects: a server may not serve the first.
METADATA_LIST_ACCEPT = ("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
                        "application/json")
# A watch's events the same way: what the watch reduces an event to is all metadata.
METADATA_WATCH_ACCEPT = ("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,"
                         "application/json")
RETRYABLE_STATUSES = frozenset({409, 429}) | frozenset(range(500, 600))


class ApiError(Exception):
    """An answer other than 2xx (``status`` 0 = no answer: the connection failed)."""

    def __init__(self, verb: str, status: int, reason: str, message: str) -> None:
        super().__init__(f"{verb}: HTTP {status} {reason}: {message}"[:500])
        self.verb, self.status, self.reason, self.message = verb, status, reason, message


class RetryableApiError(ApiError):
    """409 (conflict, or an object still terminating), 429, 5xx, or no answer at all."""


class PermanentApiError(ApiError):
    """422 (invalid object), 403 (not allowed), 400...: retrying the same request cannot help."""


class NotFoundError(PermanentApiError):
    """404: the object (or the namespace) does not exist."""


class ForbiddenCallError(PermissionError):
    """A call the operator's declared permissions do not include (a bug, never sent)."""


def is_managed(body: Mapping[str, Any]) -> bool:
    """Our managed-by label, checked client-side (a server may ignore a selector)."""
    labels = (body.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(MANAGED_BY_LABEL) == MANAGED_BY)


class KubeApi(Protocol):
    """What the reconciler, the applier and the recorders need from the cluster."""

    async def list_managed_cronjobs(self, namespace: str) -> list[Body]: ...

    def managed_cronjob_pages(
        self, namespace: str, *, metadata_only: bool = False
    ) -> AsyncIterator[list[Body]]:
        """The same, one page at a time (a full sync reduces each page before the next).
        ``metadata_only``: each item may have its ``metadata`` only (a server may send more)."""
        ...

    async def get_cronjob(self, namespace: str, name: str) -> Body | None: ...

    async def create_cronjob(self, namespace: str, body: Body) -> Body: ...

    async def patch_cronjob(self, namespace: str, name: str, patch: Body) -> Body: ...

    async def delete_cronjob(
        self, namespace: str, name: str, *, propagation: str = "Background"
    ) -> None: ...

    async def create_event(self, namespace: str, body: Body) -> None: ...


def _error(verb: str, status: int, text: str) -> ApiError:
    reason, message = "", text[:300]
    try:
        status_body = json.loads(text)
        reason = str(status_body.get("reason") or "")
        message = str(status_body.get("message") or "")[:300]
    except (ValueError, AttributeError):
        pass
    API_ERRORS.labels(verb=verb, status=str(status)).inc()
    if status == 404:
        return NotFoundError(verb, status, reason, message)
    if status in RETRYABLE_STATUSES:
        return RetryableApiError(verb, status, reason, message)
    return PermanentApiError(verb, status, reason, message)


def _expired(connection: Any) -> bool:
    expiration = getattr(connection, "expiration", None)
    if expiration is None:
        return False
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=datetime.UTC)
    return bool(datetime.datetime.now(datetime.UTC) >= expiration)


async def _lines(stream: aiohttp.StreamReader) -> AsyncIterator[bytes]:
    """The non-empty lines of a stream, each as soon as it is complete (no length limit: a
    line is one watch event, as long as its object)."""
    pending = b""
    async for chunk in stream.iter_any():
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            if line.strip():
                yield line
    if pending.strip():
        yield pending


class HttpKubeApi:
    """:class:`KubeApi` over aiohttp, from kopf's ``ConnectionInfo`` (server, CA, token, certs).

    ``relogin`` (alert_operator.login.KubeLogin.login: the kubernetes client's configuration
    loading) gives new credentials when these have expired (an exec plugin's ExecCredential
    expiry, the service-account token's re-read period) or the server answered 401; the request
    is then sent once more. Its ``as_ssl_context()`` and ``as_http_headers()`` cover CA
    data/path, ``insecure``, client certificates and keys, bearer tokens and basic auth.
    """

    def __init__(
        self, connection: Any, relogin: Callable[[], Any] | None = None, *,
        ui_actions: bool = False,
    ) -> None:
        self._ui_actions = ui_actions  # permissions.UI_ACTION_RULES too (the web UI's run-now)
        self.server = str(connection.server).rstrip("/")
        connector = aiohttp.TCPConnector(limit=64, ssl=connection.as_ssl_context())
        self._connection = connection
        self._auth_headers: dict[str, str] = dict(connection.as_http_headers())
        self._relogin = relogin
        self._relogin_lock = asyncio.Lock()
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": "alert-operator"},
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS),
            proxy=getattr(connection, "proxy_url", None),
            trust_env=bool(getattr(connection, "trust_env", False)),
        )

    def update_credentials(self, connection: Any) -> None:
        """Use the credentials of a new login (kopf's, or our own after an expiry or a 401);
        the connection pool is kept."""
        self._connection = connection
        self._auth_headers = dict(connection.as_http_headers())

    async def _fresh_credentials(self, used: Any) -> None:
        """Log in again unless someone else already did since ``used`` was taken (one plugin
        run for many requests that failed at once). The loading blocks: in a thread."""
        async with self._relogin_lock:
            if self._connection is not used or self._relogin is None:
                return
            try:
                connection = await asyncio.to_thread(self._relogin)
            except Exception as error:  # LoginFailure: its message is one line, no secrets
                raise RetryableApiError("login", 401, "LoginFailed", str(error)) from error
            self.update_credentials(connection)

    async def close(self) -> None:
        await self._session.close()

    async def _before_call(self, permission: tuple[str, str, str]) -> None:
        """Refuse a call the declared permissions do not include; log in again first when the
        credentials have expired."""
        group, resource, verb = permission
        if not self._allows(group, resource, verb):
            raise ForbiddenCallError(f"{verb} {group or 'core'}/{resource} is not in "
                                     "OPERATOR_RULES")
        if _expired(self._connection):
            await self._fresh_credentials(self._connection)

    async def _request(
        self,
        permission: tuple[str, str, str],
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Body | None = None,
        content_type: str = "application/json",
        accept: str | None = None,
    ) -> Body:
        verb = permission[2]
        data = None if body is None else json_codec.dumps(body)
        await self._before_call(permission)
        for attempt in (1, 2):
            used = self._connection
            status, raw = await self._send(verb, method, path, params, data, content_type,
                                           accept)
            if status == 401 and attempt == 1 and self._relogin is not None:
                await self._fresh_credentials(used)  # rotated or revoked: log in, try once more
                continue
            if status >= 300:
                raise _error(verb, status, raw.decode("utf-8", "replace"))
            break
        try:
            return dict(json_codec.loads(raw)) if raw else {}
        except ValueError as error:
            raise RetryableApiError(verb, 0, "InvalidJSON", str(error)) from error

    async def _send(
        self, verb: str, method: str, path: str, params: Mapping[str, str] | None,
        data: bytes | None, content_type: str, accept: str | None = None,
    ) -> tuple[int, bytes]:
        headers = dict(self._auth_headers)
        if data is not None:
            headers["Content-Type"] = content_type
        if accept is not None:
            headers["Accept"] = accept
        try:
            async with self._session.request(
                method, self.server + path, params=params, data=data, headers=headers
            ) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            API_ERRORS.labels(verb=verb, status="0").inc()
            raise RetryableApiError(verb, 0, type(error).__name__, str(error)) from error

    @staticmethod
    def _cronjobs(namespace: str, name: str = "") -> str:
        path = f"/apis/batch/v1/namespaces/{quote(namespace)}/cronjobs"
        return f"{path}/{quote(name)}" if name else path

    async def _pages(self, resource: str, path: str,
                     accept: str | None = None) -> AsyncIterator[list[Body]]:
        """Page by page (limit/continue); labels re-checked here: a server may ignore selectors."""
        token = ""
        while True:
            params = {"labelSelector": MANAGED_SELECTOR, "limit": str(LIST_PAGE_SIZE)}
            if token:
                params["continue"] = token
            page = await self._request(("batch", resource, "list"), "GET", path, params=params,
                                       accept=accept)
            token = str((page.get("metadata") or {}).get("continue") or "")
            items = [item for item in page.get("items") or [] if is_managed(item)]
            del page
            yield items
            del items  # a consumer that reduces each page holds one page at a time, not two
            if not token:
                return

    async def _list(self, resource: str, path: str) -> list[Body]:
        return [item async for page in self._pages(resource, path) for item in page]

    async def list_managed_cronjobs(self, namespace: str) -> list[Body]:
        return await self._list("cronjobs", self._cronjobs(namespace))

    def managed_cronjob_pages(
        self, namespace: str, *, metadata_only: bool = False
    ) -> AsyncIterator[list[Body]]:
        return self._pages("cronjobs", self._cronjobs(namespace),
                           METADATA_LIST_ACCEPT if metadata_only else None)

    async def cronjobs_version(self, namespace: str) -> str:
        """The current resourceVersion of the managed CronJobs (a list of at most one: its
        metadata carries the version; where the operator's watch starts)."""
        page = await self._request(
            ("batch", "cronjobs", "list"), "GET", self._cronjobs(namespace),
            params={"labelSelector": MANAGED_SELECTOR, "limit": "1"},
        )
        return str((page.get("metadata") or {}).get("resourceVersion") or "")

    async def watch_cronjobs(
        self, namespace: str, resource_version: str, timeout_seconds: int
    ) -> AsyncGenerator[bytes, None]:
        """The lines of one watch of the managed CronJobs from ``resource_version`` (bookmarks
        asked for; each object's metadata only, where the server serves that), until the
        server ends it after ``timeout_seconds``. Errors as
        :meth:`_request`'s; a 401 logs in again first (the caller reconnects)."""
        await self._before_call(("batch", "cronjobs", "watch"))
        used = self._connection
        params = {"watch": "true", "labelSelector": MANAGED_SELECTOR, "allowWatchBookmarks": "true",
                  "resourceVersion": resource_version, "timeoutSeconds": str(timeout_seconds)}
        timeout = aiohttp.ClientTimeout(total=None, connect=REQUEST_TIMEOUT_SECONDS,
                                        sock_read=timeout_seconds + WATCH_READ_MARGIN_SECONDS)
        try:
            async with self._session.get(
                self.server + self._cronjobs(namespace), params=params,
                headers={**self._auth_headers, "Accept": METADATA_WATCH_ACCEPT}, timeout=timeout,
            ) as response:
                if response.status == 401 and self._relogin is not None:
                    await self._fresh_credentials(used)  # the next watch has the new ones
                if response.status >= 300:
                    raise _error("watch", response.status, await response.text())
                async for line in _lines(response.content):
                    yield line
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            API_ERRORS.labels(verb="watch", status="0").inc()
            raise RetryableApiError("watch", 0, type(error).__name__, str(error)) from error

    async def get_cronjob(self, namespace: str, name: str) -> Body | None:
        try:
            return await self._request(
                ("batch", "cronjobs", "get"), "GET", self._cronjobs(namespace, name)
            )
        except NotFoundError:
            return None

    async def create_cronjob(self, namespace: str, body: Body) -> Body:
        return await self._request(
            ("batch", "cronjobs", "create"), "POST", self._cronjobs(namespace), body=body
        )

    async def patch_cronjob(self, namespace: str, name: str, patch: Body) -> Body:
        return await self._request(
            ("batch", "cronjobs", "patch"), "PATCH", self._cronjobs(namespace, name),
            body=patch, content_type=MERGE_PATCH,
        )

    async def delete_cronjob(
        self, namespace: str, name: str, *, propagation: str = "Background"
    ) -> None:
        """Delete; an object already gone (404) counts as deleted."""
        options = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation}
        try:
            await self._request(
                ("batch", "cronjobs", "delete"), "DELETE", self._cronjobs(namespace, name),
                body=options,
            )
        except NotFoundError:
            return

    async def create_event(self, namespace: str, body: Body) -> None:
        await self._request(
            ("", "events", "create"), "POST", f"/api/v1/namespaces/{quote(namespace)}/events",
            body=body,
        )

    @staticmethod
    def _jobs(namespace: str, name: str = "") -> str:
        path = f"/apis/batch/v1/namespaces/{quote(namespace)}/jobs"
        return f"{path}/{quote(name)}" if name else path

    async def create_job(self, namespace: str, body: Body) -> Body:
        """A manual run's Job (alertctl run-now; the web UI's run-now when its actions are on)."""
        return await self._request(
            ("batch", "jobs", "create"), "POST", self._jobs(namespace), body=body
        )

    async def list_events(self, namespace: str, object_name: str) -> list[Body]:
        """The Events about one object (the field selector narrows it on a real server; the
        name is checked again here)."""
        page = await self._request(
            ("", "events", "list"), "GET", f"/api/v1/namespaces/{quote(namespace)}/events",
            params={"fieldSelector": f"involvedObject.name={object_name}", "limit": "500"},
        )
        return [item for item in page.get("items") or []
                if (item.get("involvedObject") or {}).get("name") == object_name]

    def _allows(self, group: str, resource: str, verb: str) -> bool:
        """The operator's declared permissions; alertctl's client (alert_ctl.cluster) adds the
        few its users need (create a Job for ``alertctl run-now``)."""
        return allowed(group, resource, verb, ui_actions=self._ui_actions)
