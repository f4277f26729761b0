"""Lists and watches: label selectors, pagination, watch from a resourceVersion, 410 Gone;
request counters; middlewares."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import aiohttp.web
import pytest

from tests.apiserver.conftest import BASE, Client, cronjob
from tests.apiserver.selectors import SelectorError, parse_selector
from tests.apiserver.serving import ThreadedApiServer


def names(client: Client, query: str) -> list[str]:
    status, body = client.request("GET", f"{BASE}?{query}")
    assert status == 200, body
    return [item["metadata"]["name"] for item in body["items"]]


def make(client: Client, name: str, **labels: str) -> Any:
    body = cronjob(name)
    body["metadata"]["labels"] = labels
    return client.create(body)[1]


def list_pages(client: Client, query: str, accept: str | None = None) -> list[Any]:
    """Every page of a list (``query`` plus limit/continue), in order, each answered 200."""
    pages: list[Any] = []
    token = ""
    while True:
        status, body = client.request("GET", f"{BASE}?{query}&continue={token}", accept=accept)
        assert status == 200, body
        pages.append(body)
        token = body["metadata"].get("continue", "")
        if not token:
            return pages


def page_names(pages: list[Any]) -> list[str]:
    return [item["metadata"]["name"] for body in pages for item in body["items"]]


def test_label_selectors_on_list(client: Client) -> None:
    make(client, "a", tier="web", env="prod")
    make(client, "b", tier="db", env="prod")
    make(client, "c", tier="web")
    assert names(client, "labelSelector=tier%3Dweb") == ["a", "c"]
    assert names(client, "labelSelector=tier!%3Dweb") == ["b"]
    assert names(client, "labelSelector=env,tier+in+(web,db)") == ["a", "b"]
    assert names(client, "labelSelector=tier+notin+(web)") == ["b"]
    assert names(client, "labelSelector=!env") == ["c"]
    with pytest.raises(SelectorError):
        parse_selector("tier in web")


def test_pagination_with_limit_and_continue(client: Client) -> None:
    for name in "edcba":
        make(client, name)
    pages = list_pages(client, "limit=2")
    assert page_names(pages) == ["a", "b", "c", "d", "e"] and len(pages) == 3


METADATA_ACCEPT = ("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
                   "application/json")


def test_a_metadata_only_list_pages_the_same_objects_without_their_spec(client: Client) -> None:
    for name in "cba":
        make(client, name, tier="web")
    make(client, "d", tier="db")
    full = client.get("a")
    pages = list_pages(client, "labelSelector=tier%3Dweb&limit=2", METADATA_ACCEPT)
    assert [body["kind"] for body in pages] == ["PartialObjectMetadataList"] * 2
    items = [item for body in pages for item in body["items"]]
    assert [item["metadata"]["name"] for item in items] == ["a", "b", "c"]
    assert {(item["apiVersion"], item["kind"]) for item in items} == {
        ("meta.k8s.io/v1", "PartialObjectMetadata")}
    assert all(set(item) == {"apiVersion", "kind", "metadata"} for item in items)
    assert items[0]["metadata"] == full["metadata"]  # uid, generation, labels, versions


def test_a_list_that_prefers_full_objects_gets_them(client: Client) -> None:
    make(client, "a")
    for accept in (None, "application/json", "application/json, " + METADATA_ACCEPT):
        status, body = client.request("GET", BASE, accept=accept)
        assert status == 200 and body["kind"] == "CronJobList", (accept, body)
        assert "spec" in body["items"][0]


def test_paging_at_size_costs_its_pages_and_seeks_per_namespace(
        server: ThreadedApiServer, client: Client) -> None:
    # 120 CronJobs in two namespaces, created out of name order; a page looks at the objects
    # of its own page (and one more, to know there is a next), not at all of them.
    for number in reversed(range(60)):
        for namespace in ("ns", "other"):
            body = cronjob(f"cj-{number:03d}")
            status = client.request(
                "POST", f"/apis/batch/v1/namespaces/{namespace}/cronjobs", body)[0]
            assert status == 200
    client.request("DELETE", f"{BASE}/cj-030")
    before = server.api.examined
    pages = list_pages(client, "limit=10")
    expected = [f"cj-{number:03d}" for number in range(60) if number != 30]
    assert page_names(pages) == expected and len(pages) == 6
    assert server.api.examined - before <= 60 + len(pages)  # a scan per page would be 6 x 120
    everywhere = client.request("GET", "/apis/batch/v1/cronjobs?limit=50")[1]
    assert [item["metadata"]["namespace"] for item in everywhere["items"]] == ["ns"] * 50
    rest = client.request(
        "GET", f"/apis/batch/v1/cronjobs?limit=100&continue={everywhere['metadata']['continue']}")
    names_rest = [(item["metadata"]["namespace"], item["metadata"]["name"])
                  for item in rest[1]["items"]]
    assert len(names_rest) == 9 + 60 and names_rest[9] == ("other", "cj-000")
    assert "continue" not in rest[1]["metadata"]


def watch(server: ThreadedApiServer, query: str, count: int) -> Iterator[dict[str, Any]]:
    url = f"{server.url}{BASE}?watch=true&{query}"
    with urllib.request.urlopen(url, timeout=5) as response:
        for _ in range(count):
            yield json.loads(response.readline())


def test_watch_from_a_version_sends_only_later_events(
    client: Client, server: ThreadedApiServer
) -> None:
    make(client, "before", tier="web")
    version = client.request("GET", BASE)[1]["metadata"]["resourceVersion"]
    make(client, "other", tier="db")
    make(client, "after", tier="web")
    events = list(watch(server, f"resourceVersion={version}&labelSelector=tier%3Dweb", 1))
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "after")]
    # Without a version: the current objects first, as ADDED.
    replay = list(watch(server, "labelSelector=tier%3Dweb", 2))
    assert sorted(e["object"]["metadata"]["name"] for e in replay) == ["after", "before"]


def test_a_too_old_version_is_410_gone(client: Client, server: ThreadedApiServer) -> None:
    server.run(lambda: setattr(server.api, "history", type(server.api.history)(maxlen=2)))
    for name in "abcd":
        make(client, name)
    event = next(watch(server, "resourceVersion=1", 1))
    assert event["type"] == "ERROR" and event["object"]["code"] == 410


def test_requests_counted_by_verb_started_and_finished(
    client: Client, server: ThreadedApiServer
) -> None:
    make(client, "a")
    client.patch("a", {"spec": {"suspend": True}})
    client.get("a")
    client.request("GET", BASE)
    api = server.api
    assert (api.verbs["create"], api.verbs["patch"], api.verbs["get"], api.verbs["list"]) == (
        1, 1, 1, 1)
    assert api.writes() == 2 and api.started == api.finished == 4


def test_middlewares_wrap_every_request() -> None:
    @aiohttp.web.middleware
    async def deny(request: aiohttp.web.Request, handler: Any) -> aiohttp.web.StreamResponse:
        if request.headers.get("Authorization") != "Bearer good":
            return aiohttp.web.json_response({"code": 401}, status=401)
        response: aiohttp.web.StreamResponse = await handler(request)
        return response

    server = ThreadedApiServer(middlewares=[deny])
    server.start()
    try:
        assert Client(server).request("GET", BASE)[0] == 401
        request = urllib.request.Request(server.url + BASE,
                                         headers={"Authorization": "Bearer good"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
        assert server.api.started == 1  # the denied request never reached the server
    finally:
        server.stop()
