"""Authentication in front of the test API server, as a real kube-apiserver does it.

:class:`TokenAuthority` issues one bearer token at a time and rotates it (every ``lifetime``
seconds, or when a test says so); its state file is what the exec plugin
(tests/apiserver/exec_plugin.py) hands out. :class:`AuthFront` is an HTTP(S) server on its own
thread that answers 401 unless the request carries the current token (or, over TLS, a client
certificate the server's CA signed) and forwards everything else, watch streams included, to
the emulator behind it. It counts what it accepted and rejected.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import secrets
import ssl
import sys
import threading
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

T = TypeVar("T")
PLUGIN = Path(__file__).parent / "exec_plugin.py"
HOP_HEADERS = frozenset({"host", "authorization", "content-length", "transfer-encoding",
                         "connection"})


class TokenAuthority:
    """The one token the server accepts now; ``state_path`` holds it with its expiry."""

    def __init__(self, directory: Path, lifetime: float | None = None, token: str = "") -> None:
        self.state_path = directory / "token-state.json"
        self.lifetime = lifetime
        self.rotations = 0
        self._token = ""
        self.set(token or secrets.token_hex(16))

    def set(self, token: str) -> None:
        lifetime = self.lifetime if self.lifetime is not None else 3600.0
        expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=lifetime)
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps({
            "token": token, "expirationTimestamp": expiry.isoformat().replace("+00:00", "Z"),
        }))
        os.replace(temporary, self.state_path)
        self._token = token

    def rotate(self) -> None:
        # Counted after the new token is in place: a test that waits for the count reads it.
        self.set(secrets.token_hex(16))
        self.rotations += 1

    @property
    def token(self) -> str:
        return self._token


class AuthFront:
    """The authenticating front server; ``url`` is what kubeconfigs point at."""

    def __init__(
        self,
        upstream: str,
        authority: TokenAuthority | None,
        *,
        server_ssl: ssl.SSLContext | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.authority = authority
        self.server_ssl = server_ssl
        self.accepted: list[str] = []
        self.rejected: list[str] = []
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._rotator: asyncio.Task[None] | None = None

    def start(self) -> AuthFront:
        self._thread.start()
        self._call(self._start())
        return self

    def stop(self) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _call(self, coro: Awaitable[T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]
        return future.result(10)

    async def _start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.server_ssl)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        scheme = "https" if self.server_ssl else "http"
        self.url = f"{scheme}://127.0.0.1:{port}"
        if self.authority is not None and self.authority.lifetime is not None:
            self._rotator = asyncio.create_task(self._rotate(self.authority))

    async def _rotate(self, authority: TokenAuthority) -> None:
        assert authority.lifetime is not None
        while True:
            await asyncio.sleep(authority.lifetime)
            authority.rotate()

    async def _stop(self) -> None:
        if self._rotator is not None:
            self._rotator.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rotator
        if self._session is not None:  # ends the watch streams we forward, then their handlers
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def _authenticated(self, request: web.Request) -> bool:
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport else None
        if ssl_object is not None and ssl_object.getpeercert():
            return True  # the handshake already checked it against our CA
        if self.authority is None:
            return False
        return request.headers.get("Authorization") == f"Bearer {self.authority.token}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if not self._authenticated(request):
            self.rejected.append(request.path)
            status = {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                      "reason": "Unauthorized", "message": "Unauthorized", "code": 401}
            return web.json_response(status, status=401)
        self.accepted.append(request.path)
        assert self._session is not None
        headers = {key: value for key, value in request.headers.items()
                   if key.lower() not in HOP_HEADERS}
        body = await request.read()
        async with self._session.request(
            request.method, self.upstream + request.path_qs, headers=headers,
            data=body or None,
        ) as upstream:
            response = web.StreamResponse(status=upstream.status)
            if upstream.content_type:
                response.content_type = upstream.content_type
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response


def write_kubeconfig(path: Path, clusters: dict[str, dict[str, Any]],
                     users: dict[str, dict[str, Any]], contexts: dict[str, tuple[str, str]],
                     current: str) -> Path:
    """A kubeconfig (JSON is YAML) from name -> cluster/user dicts and name -> (cluster, user)."""
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": current,
        "clusters": [{"name": name, "cluster": cluster} for name, cluster in clusters.items()],
        "users": [{"name": name, "user": user} for name, user in users.items()],
        "contexts": [{"name": name, "context": {"cluster": cluster, "user": user,
                                                "namespace": "alerts"}}
                     for name, (cluster, user) in contexts.items()],
    }))
    return path


def exec_user(authority: TokenAuthority, runs: Path, **env: str) -> dict[str, Any]:
    """A kubeconfig user whose credentials come from the exec plugin (runs counted in ``runs``)."""
    variables = {"TOKEN_STATE": str(authority.state_path), "PLUGIN_RUNS": str(runs), **env}
    return {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable,
        "args": [str(PLUGIN)], "interactiveMode": "Never",
        "env": [{"name": key, "value": value} for key, value in variables.items()],
    }}


def plugin_runs(runs: Path) -> int:
    return len(runs.read_text().splitlines()) if runs.exists() else 0
