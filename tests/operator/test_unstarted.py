"""Runs that cannot start (unstarted.py), against a clock of the test's: which Jobs are reported,
when, and how often."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from alert_core.settings import Settings
from alert_operator.events import EventRecorder
from alert_operator.state import OperatorState
from alert_operator.unstarted import UnstartedRuns
from tests.operator.observability_fixtures import FakeEventsApi

ALERT = uuid.UUID("0b7e1c5e-8a64-4a55-9d4e-0b1d9a3e7f10")
CRONJOB = f"alert-{ALERT}"
CREATED = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def job(name: str = f"{CRONJOB}-28575900", status: dict[str, Any] | None = None,
        *, suspend: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"template": {"spec": {"serviceAccountName": "runner-sa"}}}
    if suspend:
        spec["suspend"] = True
    body: dict[str, Any] = {
        "metadata": {"name": name, "namespace": "alerts", "uid": f"uid-{name}",
                     "creationTimestamp": CREATED.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "labels": {"app.kubernetes.io/managed-by": "alert-operator",
                                "alert-operator/alert-id": str(ALERT)},
                     "ownerReferences": [{"kind": "CronJob", "name": CRONJOB, "uid": "cj"}]},
        "spec": spec,
    }
    if status is not None:
        body["status"] = status
    return body


class Clock:
    def __init__(self) -> None:
        self.now = CREATED

    def __call__(self) -> datetime:
        return self.now


def watcher(settings: Settings) -> tuple[UnstartedRuns, Clock, FakeEventsApi, OperatorState]:
    clock, api, state = Clock(), FakeEventsApi(), OperatorState()
    tuned = settings.model_copy(update={"run_start_grace_seconds": 60, "namespace": "alerts"})
    return UnstartedRuns(tuned, state, EventRecorder(api, tuned), clock=clock), clock, api, state


async def test_reported_once_after_the_grace_with_the_pod_templates_account(
    settings: Settings,
) -> None:
    runs, clock, api, state = watcher(settings)
    runs.note("ADDED", job())
    runs.note("MODIFIED", job(status={"startTime": "2024-05-01T09:00:01Z", "ready": 0}))
    clock.now = CREATED + timedelta(seconds=59)
    await runs.check()
    assert api.created == [] and state.runs_not_started == {}
    clock.now = CREATED + timedelta(seconds=60)
    await runs.check()
    [(_, event)] = api.created
    assert event["reason"] == "RunNotStarted" and "'runner-sa'" in event["message"]
    assert "runner-sa" in state.runs_not_started[CRONJOB]
    runs.note("MODIFIED", job(status={"startTime": "2024-05-01T09:00:01Z"}))  # a replay
    clock.now += timedelta(hours=1)
    await runs.check()
    assert len(api.created) == 1


async def test_a_job_with_a_pod_a_suspended_or_a_deleted_one_is_not_reported(
    settings: Settings,
) -> None:
    runs, clock, api, _ = watcher(settings)
    runs.note("ADDED", job("a"))
    runs.note("MODIFIED", job("a", {"active": 1}))
    runs.note("ADDED", job("b", suspend=True))
    runs.note("ADDED", job("c"))
    runs.note("DELETED", job("c"))
    runs.note("ADDED", job("d", {"conditions": [{"type": "Complete", "status": "True"}]}))
    runs.note("ADDED", job("e", {"active": True}))  # not a count: no pod for all we know
    clock.now += timedelta(minutes=5)
    await runs.check()
    assert [body["message"].split()[1] for _, body in api.created] == ["e"]


async def test_a_job_with_a_pod_clears_its_cronjobs_problem(settings: Settings) -> None:
    runs, clock, _, state = watcher(settings)
    runs.note("ADDED", job("first"))
    clock.now += timedelta(minutes=2)
    await runs.check()
    assert CRONJOB in state.runs_not_started
    runs.note("ADDED", job("second", {"succeeded": 1}))
    assert state.runs_not_started == {}
    runs.note("ADDED", job("third"))
    clock.now += timedelta(minutes=2)
    await runs.check()
    runs.forget_cronjob(CRONJOB)
    assert state.runs_not_started == {}


async def test_after_a_restart_an_old_job_is_reported_at_once(settings: Settings) -> None:
    runs, clock, api, _ = watcher(settings)
    clock.now = CREATED + timedelta(minutes=9)  # the replayed Job waited before this process
    runs.note("ADDED", job())
    await runs.check()
    assert len(api.created) == 1
