"""The operator's CronJob watch (alert_operator.cronjob_watch) over the real API client and the
test API server: where it starts, what it hands on, what it skips, how it recovers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import kmock
import pytest

from alert_core.cronjob import MANAGED_BY, MANAGED_BY_LABEL
from alert_operator.cronjob_watch import CronJobWatch
from alert_operator.kube import HttpKubeApi
from alert_operator.planner import digest
from tests.operator.conftest import NAMESPACE, Emulator, wait_for
from tests.operator.test_watch_events import PlainHttp

LOGGER = "alert_operator.cronjob_watch"


def cronjob(name: str, *, managed: bool = True) -> dict[str, Any]:
    labels = {MANAGED_BY_LABEL: MANAGED_BY} if managed else {"app": "other"}
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "labels": labels},
            "spec": {"schedule": "0 9 * * *", "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "c", "image": "r:1"}]}}}}}}


class Seen:
    """What the watch handed on, and how often it asked for a full sync."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.bodies: list[Mapping[str, Any]] = []
        self.expired = 0
        self.changed = asyncio.Event()

    def on_event(self, kind: str, body: Mapping[str, Any]) -> None:
        self.events.append((kind, str(body["metadata"]["name"])))
        self.bodies.append(body)
        self.changed.set()

    def on_expired(self) -> None:
        self.expired += 1

    async def until(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.events) < count:
                self.changed.clear()
                await self.changed.wait()


def run_watch(emulator: Emulator, steps: Callable[[CronJobWatch, Seen], Awaitable[None]],
              **options: Any) -> None:
    async def _main() -> None:
        api = HttpKubeApi(PlainHttp(emulator.url))
        seen = Seen()
        watch = CronJobWatch(api, NAMESPACE, seen.on_event, seen.on_expired,
                             backoff=(0.05,), **options)
        task = asyncio.create_task(watch.run())
        try:
            async with asyncio.timeout(10):
                await watch.ready.wait()
            await asyncio.to_thread(wait_for, emulator.watching, what="the watch")
            await steps(watch, seen)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await api.close()

    asyncio.run(_main())


async def create(emulator: Emulator, body: dict[str, Any]) -> None:
    assert await asyncio.to_thread(emulator.create_cronjob, body) in (200, 201)


def test_starts_at_the_current_version_without_an_added_event_per_existing_cronjob(
    emulator: Emulator
) -> None:
    for name in ("old-a", "old-b"):
        assert emulator.create_cronjob(cronjob(name)) in (200, 201)

    async def steps(watch: CronJobWatch, seen: Seen) -> None:
        await create(emulator, cronjob("new"))
        await seen.until(1)
        assert seen.events == [("ADDED", "new")]

    run_watch(emulator, steps)
    assert emulator.sent("ADDED") == 1  # not the two CronJobs that existed before
    lists = emulator.cronjob_requests(kmock.action.LIST)
    assert [params.get("limit") for params in lists] == ["1"]
    watch, = emulator.cronjob_requests(kmock.action.WATCH)
    assert watch["resourceVersion"] == "2" and watch["allowWatchBookmarks"] == "true"
    assert watch["labelSelector"] == f"{MANAGED_BY_LABEL}={MANAGED_BY}"


def test_events_come_as_metadata_only_with_the_digest_of_the_whole_object(
    emulator: Emulator
) -> None:
    async def steps(watch: CronJobWatch, seen: Seen) -> None:
        await create(emulator, cronjob("new"))
        await seen.until(1)
        [body] = seen.bodies
        whole = await asyncio.to_thread(lambda: emulator.cronjobs()["new"])
        assert body["kind"] == "PartialObjectMetadata" and "spec" not in body
        assert digest(body) == digest(whole)
        assert body["metadata"]["uid"] == whole["metadata"]["uid"]

    run_watch(emulator, steps)


def test_unmanaged_and_hostile_lines_are_skipped_with_one_line_each(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    foreign = {"type": "ADDED", "object": cronjob("foreign", managed=False)}

    async def steps(watch: CronJobWatch, seen: Seen) -> None:
        for line in (json.dumps(foreign).encode(),  # a server that ignored the selector
                     b"\x00not json\x1b[31m", b'{"type": "MODIFIED", "object": {}}',
                     b'["a list"]', b'{"type": "ADDED", "object": {"metadata": "x"}}',
                     b'{"type": ["ADDED"], "object": {"metadata": {}}}',
                     b'{"type": "MODIFIED", "object": {"metadata": {"labels": ["x"]}}}'):
            await asyncio.to_thread(emulator.send_watch_line, line + b"\n")
        await create(emulator, cronjob("after"))
        await seen.until(1)
        assert seen.events == [("ADDED", "after")]  # the same stream went on

    run_watch(emulator, steps)
    warnings = [r for r in caplog.records if r.name == LOGGER]
    assert len(warnings) == 6 and all(r.exc_info is None for r in warnings)
    assert "not JSON" in warnings[0].getMessage()
    assert len(emulator.cronjob_requests(kmock.action.WATCH)) == 1


def test_a_version_too_old_at_connect_gets_a_fresh_one_and_a_full_sync(
    emulator: Emulator
) -> None:
    emulator.run(lambda: setattr(emulator.api, "history",
                                 type(emulator.api.history)(maxlen=2)))
    for name in "abcd":
        assert emulator.create_cronjob(cronjob(name)) in (200, 201)

    async def steps(watch: CronJobWatch, seen: Seen) -> None:
        await create(emulator, cronjob("after"))
        await seen.until(1)
        assert seen.expired == 1 and seen.events == [("ADDED", "after")]

    run_watch(emulator, steps, resource_version="1")
    first, resumed = emulator.cronjob_requests(kmock.action.WATCH)
    assert first["resourceVersion"] == "1" and resumed["resourceVersion"] == "4"
    assert len(emulator.cronjob_requests(kmock.action.LIST)) == 1


def test_a_stream_the_server_closes_resumes_from_its_last_version(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)

    async def steps(watch: CronJobWatch, seen: Seen) -> None:
        await create(emulator, cronjob("a"))
        await seen.until(1)
        emulator.fail_next("WATCH", 503, 500)  # then the reconnects are refused twice
        await asyncio.to_thread(emulator.close_watches)
        await create(emulator, cronjob("b"))  # while the stream is down (or just resumed)
        await seen.until(2)
        assert seen.events == [("ADDED", "a"), ("ADDED", "b")]

    run_watch(emulator, steps)
    watches = emulator.cronjob_requests(kmock.action.WATCH)
    a_version = "1"
    assert [params["resourceVersion"] for params in watches] == ["0", a_version, a_version,
                                                                 a_version]
    assert emulator.sent("ADDED") == 2  # nothing twice, nothing lost
    assert len([r for r in caplog.records if r.name == LOGGER]) == 2  # one per refusal


def test_a_timed_out_stream_resumes_from_its_bookmark(emulator: Emulator) -> None:
    async def steps(watch: CronJobWatch, seen: Seen) -> None:
        await create(emulator, cronjob("a"))
        await seen.until(1)
        await create(emulator, cronjob("foreign", managed=False))  # not sent: a new version
        await asyncio.to_thread(
            wait_for, lambda: len(emulator.cronjob_requests(kmock.action.WATCH)) >= 2,
            what="the watch to resume")

    run_watch(emulator, steps, timeout_seconds=1)
    first, resumed = emulator.cronjob_requests(kmock.action.WATCH)[:2]
    assert first["timeoutSeconds"] == "1" and emulator.sent("BOOKMARK") >= 1
    assert resumed["resourceVersion"] == "2"  # the bookmark's, past the last event's 1
