"""The operator's end-to-end harness: a Kubernetes API emulator over HTTP and the real operator.

- :class:`Emulator`: the test API server of tests/apiserver (``batch/v1`` cronjobs and jobs,
  ``v1`` events...) on 127.0.0.1, in a thread with its own event loop (so that the operator's
  loop, the server's loop and the test never block one another). Tests talk to it over real
  HTTP (so that watch streams see their changes) and read its objects and requests.
- :class:`OperatorProcess`: the real operator (``alert_operator.main.operate``: kopf's event loop
  with our handlers) in a thread, logged in through a kubeconfig that points at the emulator.
- A real PostgreSQL per test (``database_url`` from tests/conftest.py).

The server stores the way a real kube-apiserver does (tests/apiserver: pruning, defaults,
quantities, resourceVersion/generation, selectors, watch from a version, validation); its known
limits (no field selectors, no garbage collection of dependents, no finalizers, no RBAC, no
strategic merge by key) are listed in the README ("Test API server").

Observability's tests may reuse ``emulator``, ``operator_factory``, ``db`` and ``wait_for``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import kmock
import pytest

from alert_core.settings import Settings
from alert_operator.state import OperatorState
from tests.apiserver import media
from tests.apiserver.server import ApiServer
from tests.apiserver.serving import ThreadedApiServer
from tests.operator.log_capture import json_lines  # noqa: F401 (a fixture for the tests here)

NAMESPACE = "alerts"
CRONJOBS = kmock.resource("batch", "v1", "cronjobs")
JOBS = kmock.resource("batch", "v1", "jobs")
EVENTS = kmock.resource("", "v1", "events")
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
T = TypeVar("T")


def wait_for(
    condition: Callable[[], T], *, timeout: float = 15.0, interval: float = 0.05, what: str = ""
) -> T:
    """Poll until ``condition()`` is truthy and return it; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


def start_on_a_taken_port(operator_factory: Any, port_setting: str) -> tuple[Any, int]:
    """Start an operator whose ``port_setting`` port another socket holds; wait until it gives
    up. Its operator and the port."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        op = operator_factory(**{port_setting: port})
        wait_for(lambda: not op._thread.is_alive(), what="the operator to give up")
    return op, port


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Emulator(ThreadedApiServer):
    """The test API server (tests/apiserver) on its own thread, with a tester's helpers."""

    @property
    def handler(self) -> ApiServer:
        return self.api

    # --- reading --------------------------------------------------------------------------
    def objects(self, resource: Any = CRONJOBS) -> dict[str, dict[str, Any]]:
        """Live (not deleted) objects of a resource in the namespace, by name."""

        def _read() -> dict[str, dict[str, Any]]:
            found = {}
            for (res, namespace, name), obj in self.handler.objects.items():
                if res == resource and namespace == NAMESPACE and not obj.deleted:
                    found[name] = json.loads(json.dumps(obj.raw))
            return found

        return self.run(_read)

    def cronjobs(self) -> dict[str, dict[str, Any]]:
        return self.objects(CRONJOBS)

    def requests(self) -> list[tuple[str, str]]:
        """Every request so far as (METHOD, path)."""
        return self.run(lambda: [(str(r.method.value).upper(), r.url.path) for r in self.handler])

    def cronjob_reads(self, since: int = 0) -> list[tuple[str, bool]]:
        """The CronJob reads (lists and single objects; not watches) from request ``since``
        on, as (path, whether its Accept asked for a metadata-only list first)."""
        return self.run(lambda: [
            (r.url.path, media.asked_as(r.headers) == media.LIST)
            for r in list(self.handler)[since:]
            if str(r.method.value).upper() == "GET" and "/cronjobs" in r.url.path
            and r.url.query.get("watch") not in ("1", "true")])

    def cronjob_requests(self, action: Any) -> list[dict[str, str]]:
        """The query parameters of each request on cronjobs with this kmock action (e.g.
        ``kmock.action.WATCH``; injected failures included)."""
        return self.run(lambda: [dict(r.params) for r in self.handler if r.action == action
                                 and r.resource is not None and r.resource.plural == "cronjobs"])

    def sent(self, event_type: str) -> int:
        """Watch events of this type the server sent on CronJob watches."""
        return self.run(lambda: self.api.sent["cronjobs", event_type])

    def writes(self, since: int = 0) -> list[tuple[str, str]]:
        """Write requests (POST/PATCH/PUT/DELETE) among the requests from index ``since`` on,
        events excluded (they are reports, not changes of the cluster's schedules)."""
        return [
            (method, path)
            for method, path in self.requests()[since:]
            if method in WRITE_METHODS and "/events" not in path
        ]

    # --- acting as a person with kubectl -------------------------------------------------------
    def http(self, method: str, path: str, body: Any = None, content_type: str = "") -> int:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", content_type or "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def cronjob_path(self, name: str = "") -> str:
        base = f"/apis/batch/v1/namespaces/{NAMESPACE}/cronjobs"
        return f"{base}/{name}" if name else base

    def create_cronjob(self, body: dict[str, Any]) -> int:
        return self.http("POST", self.cronjob_path(), body)

    def patch_cronjob(self, name: str, patch: dict[str, Any]) -> int:
        return self.http("PATCH", self.cronjob_path(name), patch, "application/merge-patch+json")

    def delete_cronjob(self, name: str) -> int:
        return self.http("DELETE", self.cronjob_path(name))

    # --- error injection ------------------------------------------------------------------------
    def fail_next(self, method: str, *statuses: int) -> None:
        """Answer the next ``method`` requests on cronjobs (``WATCH``: watches) with these
        statuses, one each (an answered error changes nothing)."""
        self.run(lambda: self.api.fail_next(method, *statuses))

    def close_watches(self) -> None:
        self.call(self.api.close_watches())

    def expire_watches(self) -> None:
        self.call(self.api.expire_watches())

    def send_watch_line(self, payload: bytes) -> None:
        self.call(self.api.send_watch_line(payload))

    def watching(self) -> int:
        """Open watch streams of cronjobs."""
        return self.run(lambda: sum(bus.consumer_count for resource, bus in
                                    self.api._buses.items() if resource.plural == "cronjobs"))


@contextmanager
def started_emulator() -> Iterator[Emulator]:
    emu = Emulator()
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with started_emulator() as emu:
        yield emu


@pytest.fixture
def kubeconfig(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kubeconfig whose current context is the emulator; the operator logs in with it."""
    path = write_kubeconfig(tmp_path / "kubeconfig.json", emulator)
    monkeypatch.setenv("KUBECONFIG", str(path))
    return path


def write_kubeconfig(path: Path, emulator: Emulator) -> Path:
    """Write a kubeconfig (JSON is YAML) whose current context is the emulator."""
    path.write_text(json.dumps({
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "emulator",
        "clusters": [{"name": "emulator", "cluster": {"server": emulator.url}}],
        "users": [{"name": "tester", "user": {"token": "test-token"}}],
        "contexts": [{"name": "emulator", "context": {
            "cluster": "emulator", "user": "tester", "namespace": NAMESPACE}}],
    }))
    return path


@pytest.fixture
def operator_settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        namespace=NAMESPACE,
        resync_interval_seconds=60,
        liveness_port=free_port(),
        status_port=free_port(),
        log_format="text",
        log_level="DEBUG",
        mass_delete_min=3,
    )


class OperatorProcess:
    """The real operator (kopf and our handlers) running in a thread until stopped."""

    def __init__(self, settings: Settings, *, kopf: bool = True, kube_login: Any = None) -> None:
        self.settings = settings
        self.kube_login = kube_login  # None: KubeLogin() (KUBECONFIG, as the fixture sets it)
        self.state = OperatorState(dry_run=settings.dry_run)
        self._kopf = kopf
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        from alert_operator.main import operate, operate_without_cluster

        try:
            if self._kopf:
                asyncio.run(operate(self.settings, state=self.state, stop_flag=self._stop,
                                    kube_login=self.kube_login))
            else:
                asyncio.run(operate_without_cluster(self.settings, self.state, self._stop))
        except BaseException as error:  # reported by stop()
            self._error = error

    def start(self) -> OperatorProcess:
        self._thread.start()
        return self

    def wait_synced(self, count: int = 1, timeout: float = 20) -> None:
        """Wait until ``count`` full syncs have completed since the start."""
        wait_for(
            lambda: self.state.full_syncs >= count or self._error,
            timeout=timeout, what=f"{count} full sync(s)",
        )
        if self._error:
            raise self._error

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        assert not self._thread.is_alive(), "the operator did not stop within 30 s"
        if self._error is not None:
            raise self._error


@pytest.fixture
def operator_factory(
    kubeconfig: Path, operator_settings: Settings
) -> Iterator[Callable[..., OperatorProcess]]:
    """Start the real operator: ``operator_factory(**setting_overrides)``; stopped at teardown."""
    started: list[OperatorProcess] = []

    def _start(*, kopf: bool = True, kube_login: Any = None, **overrides: Any) -> OperatorProcess:
        settings = operator_settings.model_copy(update=overrides)
        process = OperatorProcess(settings, kopf=kopf, kube_login=kube_login).start()
        started.append(process)
        return process

    yield _start
    for process in started:
        if process._thread.is_alive():
            process.stop()


class Database:
    """Plain SQL against the test database (the application's side of the table)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def execute(self, statement: str, *args: Any) -> Any:
        async def _run() -> Any:
            conn = await asyncpg.connect(self.url)
            try:
                return await conn.fetch(statement, *args)
            finally:
                await conn.close()

        return asyncio.run(_run())

    def add_alert(
        self,
        name: str = "alert",
        frequency: dict[str, Any] | None = None,
        *,
        active: bool = True,
        alert_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        frequency = frequency or {"type": "daily", "time": "09:00", "timezone": "UTC"}
        alert_id = alert_id or uuid.uuid4()
        self.execute(
            "INSERT INTO app.alerts (id, client_id, name, frequency, is_active)"
            " VALUES ($1, $2, $3, $4::jsonb, $5)",
            alert_id, uuid.uuid4(), name, json.dumps(frequency), active,
        )
        return alert_id


@pytest.fixture
def db(database_url: str) -> Database:
    return Database(database_url)
