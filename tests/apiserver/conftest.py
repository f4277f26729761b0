"""A running test API server per test and a small JSON client for it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.apiserver.serving import ThreadedApiServer

BASE = "/apis/batch/v1/namespaces/ns/cronjobs"
MERGE = "application/merge-patch+json"


class Client:
    def __init__(self, server: ThreadedApiServer) -> None:
        self.server = server

    def request(self, method: str, path: str, body: Any = None,
                content_type: str = "application/json",
                accept: str | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.server.url + path, data=data, method=method)
        request.add_header("Content-Type", content_type)
        if accept is not None:
            request.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return int(error.code), json.loads(error.read() or b"null")

    def create(self, body: dict[str, Any]) -> tuple[int, Any]:
        return self.request("POST", BASE, body)

    def patch(self, name: str, patch: Any) -> tuple[int, Any]:
        return self.request("PATCH", f"{BASE}/{name}", patch, MERGE)

    def get(self, name: str) -> Any:
        status, body = self.request("GET", f"{BASE}/{name}")
        assert status == 200, body
        return body


def cronjob(name: str = "cj", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "labels": {"app": "x"}},
            "spec": {"schedule": "0 9 * * *", "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "c", "image": "runner:1.0"}]}}}}, **spec}}


@pytest.fixture
def server() -> Iterator[ThreadedApiServer]:
    running = ThreadedApiServer()
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(server: ThreadedApiServer) -> Client:
    return Client(server)
