"""Watch streams ending as a real server ends them: ``timeoutSeconds`` (with a bookmark when
asked for), a closed or expired stream, an injected raw line or error; events sent counted."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.apiserver.conftest import BASE, Client, cronjob
from tests.apiserver.serving import ThreadedApiServer


def whole_stream(server: ThreadedApiServer, query: str,
                 accept: str | None = None) -> list[bytes]:
    """Every line of a watch until the server ends it."""
    request = urllib.request.Request(f"{server.url}{BASE}?watch=true&{query}")
    if accept is not None:
        request.add_header("Accept", accept)
    with urllib.request.urlopen(request, timeout=10) as response:
        return [line for line in response.read().split(b"\n") if line]


def events(lines: list[bytes]) -> list[tuple[str, Any]]:
    parsed = [json.loads(line) for line in lines]
    return [(e["type"], e["object"]["metadata"].get("name") or
             e["object"]["metadata"].get("resourceVersion")) for e in parsed]


def test_timeout_seconds_ends_the_stream_after_a_bookmark_when_asked(
    client: Client, server: ThreadedApiServer
) -> None:
    client.create(cronjob("a"))
    version = client.request("GET", BASE)[1]["metadata"]["resourceVersion"]
    client.create(cronjob("b"))
    now = client.request("GET", BASE)[1]["metadata"]["resourceVersion"]
    lines = whole_stream(server, f"resourceVersion={version}&timeoutSeconds=1"
                         "&allowWatchBookmarks=true")
    assert events(lines) == [("ADDED", "b"), ("BOOKMARK", now)]
    assert json.loads(lines[-1])["object"]["kind"] == "CronJob"
    # Not asked for: no bookmark, the stream just ends.
    assert events(whole_stream(server, f"resourceVersion={now}&timeoutSeconds=1")) == []
    assert server.api.sent["cronjobs", "ADDED"] == 1
    assert server.api.sent["cronjobs", "BOOKMARK"] == 1


def test_a_watch_asking_for_metadata_only_gets_events_of_metadata_only(
    client: Client, server: ThreadedApiServer
) -> None:
    client.create(cronjob("before"))  # version "0" would mean "now, with every object"
    version = client.request("GET", BASE)[1]["metadata"]["resourceVersion"]
    client.create(cronjob("a"))
    full = client.get("a")
    assert client.patch("a", {"metadata": {"labels": {"tier": "web"}}})[0] == 200
    accept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
    lines = whole_stream(server, f"resourceVersion={version}&timeoutSeconds=1"
                         "&allowWatchBookmarks=true", accept)
    parsed = [json.loads(line) for line in lines]
    assert [event["type"] for event in parsed] == ["ADDED", "MODIFIED", "BOOKMARK"]
    assert {(event["object"]["apiVersion"], event["object"]["kind"]) for event in parsed} == {
        ("meta.k8s.io/v1", "PartialObjectMetadata")}
    assert all(set(event["object"]) == {"apiVersion", "kind", "metadata"} for event in parsed)
    assert parsed[0]["object"]["metadata"] == full["metadata"]
    assert parsed[1]["object"]["metadata"]["labels"]["tier"] == "web"
    plain = whole_stream(server, f"resourceVersion={version}&timeoutSeconds=1")
    assert "spec" in json.loads(plain[0])["object"]


def test_a_bad_timeout_is_400(client: Client) -> None:
    assert client.request("GET", f"{BASE}?watch=true&timeoutSeconds=soon")[0] == 400


def open_watch(server: ThreadedApiServer, query: str) -> tuple[list[bytes], threading.Thread]:
    """A watch read on a thread until the server ends it (its lines, the thread)."""
    lines: list[bytes] = []

    def read() -> None:
        lines.extend(whole_stream(server, query))

    reader = threading.Thread(target=read)
    reader.start()
    return lines, reader


def wait_for_watchers(server: ThreadedApiServer, count: int) -> None:
    """Until exactly ``count`` watches are open (an ended one may linger a moment)."""
    def watching() -> int:
        return sum(bus.consumer_count for bus in server.api._buses.values())

    for _ in range(200):
        if server.run(watching) == count:
            return
        threading.Event().wait(0.05)
    raise AssertionError("the watch did not start")


def test_open_watches_closed_expired_or_fed_a_raw_line(
    client: Client, server: ThreadedApiServer
) -> None:
    version = client.request("GET", BASE)[1]["metadata"]["resourceVersion"]
    lines, reader = open_watch(server, f"resourceVersion={version}")
    wait_for_watchers(server, 1)
    server.call(server.api.send_watch_line(b"not json\n"))
    client.create(cronjob("a"))
    server.call(server.api.close_watches())
    reader.join(timeout=10)
    assert lines[0] == b"not json" and events(lines[1:]) == [("ADDED", "a")]
    wait_for_watchers(server, 0)

    lines, reader = open_watch(server, f"resourceVersion={version}")
    wait_for_watchers(server, 1)
    server.call(server.api.expire_watches())
    reader.join(timeout=10)
    last = json.loads(lines[-1])
    assert last["type"] == "ERROR" and last["object"]["code"] == 410


def test_fail_next_watch_answers_the_next_watch_with_an_error(
    client: Client, server: ThreadedApiServer
) -> None:
    server.run(lambda: server.api.fail_next("WATCH", 503))
    with pytest.raises(urllib.error.HTTPError) as failed:
        whole_stream(server, "resourceVersion=0")
    assert failed.value.code == 503
    assert server.api.writes() == 0
    client.create(cronjob("a"))
    assert events(whole_stream(server, "timeoutSeconds=1")) == [("ADDED", "a")]
