"""Job outcomes recorded in a real PostgreSQL's alert_runs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from alert_core.db.engine import make_engine
from alert_core.db.tables import SYSTEM_USER_ID
from alert_core.jobname import job_name_for, scheduled_time_from_job_name
from alert_core.settings import Settings
from alert_operator.events import EventRecorder
from alert_operator.jobs import JobOutcomeRecorder, finished_job
from alert_operator.metrics import REGISTRY
from alert_operator.overdue import OVERDUE
from tests.operator.observability_fixtures import FakeEventsApi

ALERT = uuid.UUID("0b7e1c5e-8a64-4a55-9d4e-0b1d9a3e7f10")
CLIENT = uuid.UUID("11111111-1111-4111-8111-111111111111")
CRONJOB = f"alert-{ALERT}"
SCHEDULED = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
SCHEDULED_JOB = job_name_for(CRONJOB, SCHEDULED)
BACKOFF = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")


def job(
    name: str = SCHEDULED_JOB,
    *,
    condition: str | None = "Failed",
    reason: str = BACKOFF[0],
    message: str = BACKOFF[1],
    failed_pods: int = 4,
    managed: bool = True,
    uid: str | None = None,
) -> dict[str, Any]:
    """A Job as the API server returns it for a CronJob's run."""
    labels = {"alert-operator/alert-id": str(ALERT), "alert-operator/client-id": str(CLIENT),
              "batch.kubernetes.io/job-name": name}
    if managed:
        labels["app.kubernetes.io/managed-by"] = "alert-operator"
    status: dict[str, Any] = {"startTime": "2024-05-01T12:30:01Z", "failed": failed_pods}
    if condition:
        status["conditions"] = [
            {"type": "FailureTarget" if condition == "Failed" else "SuccessCriteriaMet",
             "status": "True", "reason": reason, "lastTransitionTime": "2024-05-01T12:31:00Z"},
            {"type": condition, "status": "True", "reason": reason, "message": message,
             "lastTransitionTime": "2024-05-01T12:31:02Z"},
        ]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name, "namespace": "alerts", "uid": uid or str(uuid.uuid4()),
            "labels": labels,
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": CRONJOB,
                                 "uid": "cronjob-uid", "controller": True}],
        },
        "status": status,
    }


def runs_metric(outcome: str) -> float:
    return REGISTRY.get_sample_value("alert_operator_runs_total", {"outcome": outcome}) or 0.0


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


async def runs(db: asyncpg.Connection) -> list[asyncpg.Record]:
    return await db.fetch("SELECT * FROM alert_operator.alert_runs ORDER BY job_name")


async def add_run(db: asyncpg.Connection, status: str, error: str | None = None,
                  attempts: int = 1) -> None:
    await db.execute(
        "INSERT INTO alert_operator.alert_runs (alert_id, client_id, job_name, trigger,"
        " scheduled_for, status, attempts, started_at, finished_at, error, pod_name)"
        " VALUES ($1, $2, $3, 'schedule', $4, $5::varchar, $6, now(),"
        " CASE WHEN $5::varchar = 'running' THEN NULL ELSE now() END, $7, 'pod-a')",
        ALERT, CLIENT, SCHEDULED_JOB, SCHEDULED, status, attempts, error,
    )


async def test_failure_the_runner_never_recorded_is_inserted(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection
) -> None:
    api = FakeEventsApi()
    recorder = JobOutcomeRecorder(lambda: engine, settings, EventRecorder(api, settings))
    before = runs_metric("failed")
    await recorder.handle(job())
    [row] = await runs(db)
    assert row["status"] == "failed"
    assert row["error"] == "BackoffLimitExceeded: Job has reached the specified backoff limit"
    assert row["trigger"] == "schedule"
    assert row["scheduled_for"] == SCHEDULED
    assert (row["alert_id"], row["client_id"]) == (ALERT, CLIENT)
    assert row["attempts"] == 4
    assert row["triggered_by"] == uuid.UUID(SYSTEM_USER_ID)
    assert row["started_at"] == datetime(2024, 5, 1, 12, 30, 1, tzinfo=UTC)
    assert row["finished_at"] == datetime(2024, 5, 1, 12, 31, 2, tzinfo=UTC)
    assert runs_metric("failed") == before + 1
    [(namespace, event)] = api.created
    assert namespace == "alerts"
    assert event["type"] == "Warning" and event["reason"] == "RunFailed"
    assert event["involvedObject"]["name"] == CRONJOB
    assert event["involvedObject"]["uid"] == "cronjob-uid"
    assert SCHEDULED_JOB in event["message"] and "BackoffLimitExceeded" in event["message"]
    assert "recorded nothing" in event["message"]


async def test_repeated_watch_events_and_restarts_change_nothing(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection
) -> None:
    api = FakeEventsApi()
    recorder = JobOutcomeRecorder(lambda: engine, settings, EventRecorder(api, settings))
    failed = job(uid="job-uid-1")
    await recorder.handle(failed)
    first = await runs(db)
    before = runs_metric("failed")
    for _ in range(3):
        await recorder.handle(failed)
    assert runs_metric("failed") == before
    assert len(api.created) == 1
    # A restarted operator sees the Job again: the row stays as it was.
    await JobOutcomeRecorder(lambda: engine, settings, None).handle(failed)
    assert await runs(db) == first


async def test_run_left_running_by_a_killed_pod_becomes_failed(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection
) -> None:
    await add_run(db, "running", attempts=2)
    api = FakeEventsApi()
    recorder = JobOutcomeRecorder(lambda: engine, settings, EventRecorder(api, settings))
    await recorder.handle(job(reason="DeadlineExceeded",
                              message="Job was active longer than specified deadline",
                              failed_pods=1))
    [row] = await runs(db)
    assert row["status"] == "failed"
    assert row["error"] == "DeadlineExceeded: Job was active longer than specified deadline"
    assert row["finished_at"] == datetime(2024, 5, 1, 12, 31, 2, tzinfo=UTC)
    assert row["attempts"] == 2  # the runner's count of pods is the larger
    assert row["pod_name"] == "pod-a"
    assert "recorded nothing" not in api.created[0][1]["message"]


async def test_the_runners_own_error_is_kept(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection
) -> None:
    await add_run(db, "failed", error="webhook answered 500", attempts=4)
    recorder = JobOutcomeRecorder(lambda: engine, settings, None)
    await recorder.handle(job(reason="PodFailurePolicy",
                              message="Container runner for pod x failed with exit code 3"))
    [row] = await runs(db)
    assert (row["status"], row["error"]) == ("failed", "webhook answered 500")


@pytest.mark.parametrize("final", ["succeeded", "skipped"])
async def test_final_runs_are_never_overwritten(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection, final: str
) -> None:
    await add_run(db, final)
    [before_row] = await runs(db)
    api = FakeEventsApi()
    recorder = JobOutcomeRecorder(lambda: engine, settings, EventRecorder(api, settings))
    before = runs_metric(final)
    await recorder.handle(job())
    assert await runs(db) == [before_row]
    assert runs_metric(final) == before + 1
    assert api.created == []


@pytest.mark.parametrize("final", ["succeeded", "skipped"])
async def test_complete_jobs_are_counted_by_the_runs_outcome(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection, final: str
) -> None:
    await add_run(db, final)
    [before_row] = await runs(db)
    recorder = JobOutcomeRecorder(lambda: engine, settings, None)
    before = runs_metric(final)
    await recorder.handle(job(condition="Complete", reason="CompletionsReached", failed_pods=0))
    assert runs_metric(final) == before + 1
    assert await runs(db) == [before_row]
    # A good run: the overdue check counts the alert's schedule from its end on.
    assert OVERDUE.last_good(ALERT) == datetime(2024, 5, 1, 12, 31, 2, tzinfo=UTC)


async def test_manual_run_failure(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection
) -> None:
    recorder = JobOutcomeRecorder(lambda: engine, settings, None)
    await recorder.handle(job(f"{CRONJOB}-manual-x7k2p", reason="PodFailurePolicy",
                              message="Container runner for pod failed with exit code 3"))
    [row] = await runs(db)
    assert (row["trigger"], row["scheduled_for"], row["triggered_by"]) == ("manual", None, None)
    assert row["error"].startswith("PodFailurePolicy: ")


async def test_unmanaged_or_unfinished_jobs_are_ignored(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection
) -> None:
    recorder = JobOutcomeRecorder(lambda: engine, settings, None)
    await recorder.handle(job(managed=False))
    await recorder.handle(job(condition=None))
    await recorder.handle({"metadata": {"name": "x"}})
    await recorder.handle({})
    assert await runs(db) == []


async def test_database_down_does_not_raise_and_is_retried(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection
) -> None:
    broken = Settings(database_url=settings.asyncpg_dsn.rsplit("/", 1)[0] + "/no_such_database",
                      namespace="alerts")
    broken_engine = make_engine(broken)
    failed = job(uid="job-uid-db-down")
    before = runs_metric("failed")
    try:
        await JobOutcomeRecorder(lambda: broken_engine, broken, None).handle(failed)
    finally:
        await broken_engine.dispose()
    assert runs_metric("failed") == before
    # Not remembered as handled: a later watch event records it.
    recorder = JobOutcomeRecorder(lambda: engine, settings, None)
    await recorder.handle(failed)
    assert [row["status"] for row in await runs(db)] == ["failed"]


def test_finished_job_reads_the_owner_and_labels() -> None:
    info = finished_job(job())
    assert info is not None
    assert (info.cronjob_name, info.cronjob_uid, info.failed) == (CRONJOB, "cronjob-uid", True)
    orphan = job()
    del orphan["metadata"]["ownerReferences"]
    orphan_info = finished_job(orphan)
    assert orphan_info is not None and orphan_info.cronjob_name == CRONJOB
    assert orphan_info.cronjob_uid is None
    bad_label = job()
    bad_label["metadata"]["labels"]["alert-operator/alert-id"] = "not-a-uuid"
    assert finished_job(bad_label) is None


def malformed_metric(field: str) -> float:
    return REGISTRY.get_sample_value("alert_operator_malformed_jobs_total", {"field": field}) or 0.0


def test_job_name_whose_minutes_overflow_the_date_is_a_manual_run() -> None:
    for suffix in ("9999999999", "999999999999", "0"):
        assert scheduled_time_from_job_name(f"{CRONJOB}-{suffix}", CRONJOB) is None
    assert scheduled_time_from_job_name(SCHEDULED_JOB, CRONJOB) == SCHEDULED


async def test_overflowing_job_name_is_recorded_as_a_manual_run(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection
) -> None:
    recorder = JobOutcomeRecorder(lambda: engine, settings, None)
    await recorder.handle(job(f"{CRONJOB}-9999999999"))
    [row] = await runs(db)
    assert (row["job_name"], row["status"]) == (f"{CRONJOB}-9999999999", "failed")
    assert row["trigger"] == "manual" and row["scheduled_for"] is None


@pytest.mark.parametrize("failed", ["four", -1, True, 1e30, [], {"n": 1}, 2**40])
async def test_status_failed_that_is_not_a_count_is_counted_and_recorded_as_zero(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection, failed: object
) -> None:
    body = job()
    body["status"]["failed"] = failed
    before = malformed_metric("status.failed")
    await JobOutcomeRecorder(lambda: engine, settings, None).handle(body)
    [row] = await runs(db)
    assert row["status"] == "failed" and row["attempts"] == 0
    assert malformed_metric("status.failed") == before + 1


@pytest.mark.parametrize("field", ["metadata", "status"])
async def test_job_parts_that_are_not_objects_are_counted_and_ignored(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection, field: str
) -> None:
    body = job()
    body[field] = ["not", "an", "object"]
    before = malformed_metric(field)
    await JobOutcomeRecorder(lambda: engine, settings, None).handle(body)
    assert await runs(db) == []
    assert malformed_metric(field) == before + 1


async def test_nul_in_a_condition_message_is_stored_escaped(
    engine: AsyncEngine, settings: Settings, db: asyncpg.Connection
) -> None:
    await JobOutcomeRecorder(lambda: engine, settings, None).handle(job(message="bad\x00news"))
    [row] = await runs(db)
    # PostgreSQL text cannot hold NUL: stored as its escape, like the runner's errors.
    assert row["error"] == f"{BACKOFF[0]}: bad\\x00news"
