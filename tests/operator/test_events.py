"""Events on the CronJobs: their shape, the rate limits, failures that must not raise."""

from __future__ import annotations

import uuid

import kubernetes_validate

from alert_core.settings import Settings
from alert_operator.events import MAX_MESSAGE_BYTES, EventRecorder, truncate_message
from alert_operator.metrics import REGISTRY
from tests.operator.observability_fixtures import FakeEventsApi

SETTINGS = Settings(namespace="alerts")
ALERT = uuid.UUID("0b7e1c5e-8a64-4a55-9d4e-0b1d9a3e7f10")
CRONJOB = f"alert-{ALERT}"


class Clock:
    """A clock the test moves (the recorder's windows are about time, not about this test)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def events_metric(result: str) -> float:
    return REGISTRY.get_sample_value("alert_operator_events_total", {"result": result}) or 0.0


async def test_event_on_the_cronjob_is_a_valid_core_v1_event() -> None:
    api = FakeEventsApi()
    recorder = EventRecorder(api, SETTINGS, instance="alert-operator-abc")
    await recorder.record(CRONJOB, ALERT, "Warning", "RunFailed", "Job x failed", uid="u-1")
    [(namespace, body)] = api.created
    assert namespace == "alerts"
    kubernetes_validate.validate(body, "1.30", strict=True)
    assert body["involvedObject"] == {
        "apiVersion": "batch/v1", "kind": "CronJob", "name": CRONJOB, "namespace": "alerts",
        "uid": "u-1",
    }
    assert body["type"] == "Warning" and body["reason"] == "RunFailed"
    assert body["message"] == "Job x failed"
    assert body["source"] == {"component": "alert-operator"}
    assert body["reportingComponent"] == "alert-operator"
    assert body["reportingInstance"] == "alert-operator-abc"
    assert body["count"] == 1
    assert body["metadata"]["name"].startswith(CRONJOB + ".")
    assert body["metadata"]["labels"]["alert-operator/alert-id"] == str(ALERT)


async def test_uid_noted_from_a_watch_is_used_later() -> None:
    api = FakeEventsApi()
    recorder = EventRecorder(api, SETTINGS)
    recorder.note_object(CRONJOB, "uid-from-watch")
    await recorder.record(CRONJOB, ALERT, "Warning", "ReconcileFailed", "422")
    assert api.created[0][1]["involvedObject"]["uid"] == "uid-from-watch"


async def test_same_object_and_reason_once_per_window_with_a_count() -> None:
    api, clock = FakeEventsApi(), Clock()
    recorder = EventRecorder(api, SETTINGS, window_seconds=60, clock=clock)
    before = events_metric("suppressed")
    for _ in range(5):
        await recorder.record(CRONJOB, ALERT, "Warning", "RunFailed", "boom")
    assert len(api.created) == 1
    assert events_metric("suppressed") == before + 4
    # Another reason, or another CronJob, is not held back by this one.
    await recorder.record(CRONJOB, ALERT, "Warning", "InvalidFrequency", "bad")
    await recorder.record("alert-other", None, "Warning", "RunFailed", "boom")
    assert len(api.created) == 3

    clock.now += 61
    await recorder.record(CRONJOB, ALERT, "Warning", "RunFailed", "boom again")
    body = api.created[-1][1]
    assert body["message"].startswith("boom again (4 similar events held back since ")
    assert body["count"] == 5
    assert body["firstTimestamp"] <= body["lastTimestamp"]
    # The count starts again after it was reported.
    clock.now += 61
    await recorder.record(CRONJOB, ALERT, "Warning", "RunFailed", "quiet")
    assert api.created[-1][1]["message"] == "quiet"
    assert api.created[-1][1]["count"] == 1


async def test_global_token_bucket() -> None:
    api, clock = FakeEventsApi(), Clock()
    recorder = EventRecorder(api, SETTINGS, rate_per_second=10, burst=20, clock=clock)
    for i in range(50):
        await recorder.record(f"alert-{i}", None, "Warning", "RunFailed", "boom")
    assert len(api.created) == 20
    clock.now += 0.5  # five tokens back
    for i in range(50, 60):
        await recorder.record(f"alert-{i}", None, "Warning", "RunFailed", "boom")
    assert len(api.created) == 25
    # A key held back by the bucket (not by its window) may post once a token is free,
    # and says what was held back.
    clock.now += 1.0
    await recorder.record("alert-30", None, "Warning", "RunFailed", "boom")
    assert api.created[-1][1]["metadata"]["name"].startswith("alert-30.")
    assert api.created[-1][1]["count"] == 2


async def test_api_failure_is_logged_not_raised() -> None:
    api = FakeEventsApi(fail=True)
    recorder = EventRecorder(api, SETTINGS)
    before = events_metric("failed")
    await recorder.record(CRONJOB, ALERT, "Warning", "RunFailed", "boom")
    assert events_metric("failed") == before + 1


async def test_dry_run_posts_nothing() -> None:
    api = FakeEventsApi()
    recorder = EventRecorder(api, Settings(namespace="alerts", dry_run=True))
    before = events_metric("dry_run")
    await recorder.record(CRONJOB, ALERT, "Warning", "RunFailed", "boom")
    assert api.created == []
    assert events_metric("dry_run") == before + 1


async def test_long_messages_are_cut_to_the_limit() -> None:
    api = FakeEventsApi()
    recorder = EventRecorder(api, SETTINGS)
    await recorder.record(CRONJOB, ALERT, "Warning", "RunFailed", "é" * 5000)
    message = api.created[0][1]["message"]
    assert len(message.encode()) <= MAX_MESSAGE_BYTES
    assert message.endswith("…")
    assert truncate_message("short") == "short"
    assert len(truncate_message("x" * 2000)) == MAX_MESSAGE_BYTES - 2  # the marker is 3 bytes


async def test_memory_is_bounded() -> None:
    api, clock = FakeEventsApi(), Clock()
    recorder = EventRecorder(api, SETTINGS, max_keys=10, rate_per_second=1000, burst=1000,
                             clock=clock)
    for i in range(100):
        await recorder.record(f"alert-{i}", None, "Warning", "RunFailed", "boom", uid=str(i))
    assert len(recorder._held) == 10
    assert len(recorder._uids) == 10
