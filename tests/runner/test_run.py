"""One run, in process, against the real PostgreSQL: claim, execute, record, exit code."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from alert_core.db import runs
from alert_core.db.tables import SYSTEM_USER_ID
from alert_core.exitcodes import PERMANENT_ERROR, RETRYABLE_FAILURE, SUCCESS
from alert_core.jobname import job_name_for
from alert_runner.run import RunRequest, run_alert
from tests.runner import plugins
from tests.runner.conftest import (
    AlertFactory,
    SettingsFactory,
    instances,
    run_row,
    settings_from_env,
)

SCHEDULED = datetime(2024, 5, 1, 7, 0, tzinfo=UTC)  # 09:00 in Paris


def scheduled_job(alert_id: uuid.UUID, when: datetime = SCHEDULED) -> str:
    return job_name_for(f"alert-{alert_id}", when)


async def test_success_records_the_run_and_an_instance(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    alert_id, client_id = await make_alert()
    job = scheduled_job(alert_id)

    code = await run_alert(RunRequest(alert_id, client_id, job, "pod-a"), runner_settings())

    assert code == SUCCESS
    row = await run_row(db, job)
    assert (row["status"], row["attempts"], row["error"]) == ("succeeded", 1, None)
    assert (row["trigger"], row["scheduled_for"]) == ("schedule", SCHEDULED)
    assert row["triggered_by"] == uuid.UUID(SYSTEM_USER_ID) == runs.SYSTEM_USER_ID
    assert row["local_slot"] == "2024-05-01T09:00 Europe/Paris"
    assert (row["alert_id"], row["client_id"], row["pod_name"]) == (alert_id, client_id, "pod-a")
    assert row["finished_at"] is not None
    instance = await db.fetchrow("SELECT * FROM alert_operator.alert_instances")
    assert instance["run_id"] == row["id"]
    assert (instance["alert_id"], instance["client_id"]) == (alert_id, client_id)
    assert instance["scheduled_for"] == SCHEDULED
    assert instance["triggered_by"] == runs.SYSTEM_USER_ID


async def test_failure_then_retry_succeeds_and_retry_after_success_does_nothing(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    alert_id, client_id = await make_alert()
    job = scheduled_job(alert_id)
    settings = runner_settings(executor="tests.runner.plugins:flaky")
    request = RunRequest(alert_id, client_id, job)

    assert await run_alert(request, settings) == RETRYABLE_FAILURE
    row = await run_row(db, job)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert row["error"] == "RuntimeError: downstream unavailable (first attempt)"
    assert await instances(db, row["id"]) == 0  # the executor's insert was rolled back

    assert await run_alert(request, settings) == SUCCESS  # the Job's retry: a new pod
    row = await run_row(db, job)
    assert (row["status"], row["attempts"], row["error"]) == ("succeeded", 2, None)
    assert await instances(db, row["id"]) == 1

    assert await run_alert(request, settings) == SUCCESS  # a pod started again after success
    row = await run_row(db, job)
    assert (row["status"], row["attempts"]) == ("succeeded", 2)
    assert await instances(db, row["id"]) == 1


async def test_two_concurrent_pods_of_one_job_execute_once(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    alert_id, client_id = await make_alert()
    job = scheduled_job(alert_id)
    settings = runner_settings(executor="tests.runner.plugins:slow_record")

    codes = await asyncio.gather(  # each run_alert opens its own connection
        run_alert(RunRequest(alert_id, client_id, job, "pod-a"), settings),
        run_alert(RunRequest(alert_id, client_id, job, "pod-b"), settings),
    )

    assert codes == [SUCCESS, SUCCESS]
    assert plugins.calls == [job]
    row = await run_row(db, job)
    assert row["status"] == "succeeded"
    assert await instances(db, row["id"]) == 1


async def test_alert_gone_is_skipped(
    db: asyncpg.Connection, runner_settings: SettingsFactory
) -> None:
    alert_id, client_id = uuid.uuid4(), uuid.uuid4()
    job = scheduled_job(alert_id)

    assert await run_alert(RunRequest(alert_id, client_id, job), runner_settings()) == SUCCESS

    row = await run_row(db, job)
    assert (row["status"], row["error"]) == ("skipped", "alert not found")
    assert row["client_id"] == client_id
    assert await instances(db, row["id"]) == 0


async def test_inactive_alert_is_skipped(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    alert_id, client_id = await make_alert(is_active=False)
    job = scheduled_job(alert_id)

    assert await run_alert(RunRequest(alert_id, client_id, job), runner_settings()) == SUCCESS

    row = await run_row(db, job)
    assert (row["status"], row["error"]) == ("skipped", "alert inactive")
    assert await instances(db, row["id"]) == 0


async def test_client_mismatch_is_permanent(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    alert_id, client_id = await make_alert()
    job = scheduled_job(alert_id)

    code = await run_alert(RunRequest(alert_id, uuid.uuid4(), job), runner_settings())

    assert code == PERMANENT_ERROR
    row = await run_row(db, job)
    assert row["status"] == "failed"
    assert row["error"] == f"client id mismatch: the alert belongs to client {client_id}"
    assert await instances(db, row["id"]) == 0


async def test_executor_raising_fails_the_run_with_a_one_line_message(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    alert_id, client_id = await make_alert()
    job = scheduled_job(alert_id)
    settings = runner_settings(executor="tests.runner.plugins:always_fails")

    assert await run_alert(RunRequest(alert_id, client_id, job), settings) == RETRYABLE_FAILURE

    row = await run_row(db, job)
    assert (row["status"], row["error"]) == ("failed", "ValueError: boom")
    assert await instances(db, row["id"]) == 0


async def test_executor_permanent_error_fails_the_job(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    alert_id, client_id = await make_alert()
    job = scheduled_job(alert_id)
    settings = runner_settings(executor="tests.runner.plugins:refuses")

    assert await run_alert(RunRequest(alert_id, client_id, job), settings) == PERMANENT_ERROR

    row = await run_row(db, job)
    assert (row["status"], row["error"]) == ("failed", "this alert can never run: template missing")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_package.module:run", "ALERT_EXECUTOR: cannot import 'no_such_package.module'"),
        ("tests.runner.plugins:missing", "ALERT_EXECUTOR: 'tests.runner.plugins' has no 'missing'"),
        ("tests.runner.plugins:not_callable", "is not callable"),
        ("no-such-plugin", "is not a built-in executor (record, http), an installed plugin"),
    ],
)
async def test_executor_not_importable_is_permanent(
    db: asyncpg.Connection,
    make_alert: AlertFactory,
    runner_settings: SettingsFactory,
    spec: str,
    message: str,
) -> None:
    alert_id, client_id = await make_alert()
    job = scheduled_job(alert_id)

    code = await run_alert(RunRequest(alert_id, client_id, job), runner_settings(executor=spec))

    assert code == PERMANENT_ERROR
    row = await run_row(db, job)
    assert row["status"] == "failed"
    assert message in row["error"]
    assert "\n" not in row["error"]


async def test_fall_back_repeated_local_slot_runs_once(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    # 2024-11-03 01:30 happens twice in New York: 05:30 UTC (EDT), then 06:30 UTC (EST), and
    # the CronJob controller starts a Job at each.
    daily = {"type": "daily", "time": "01:30", "timezone": "America/New_York"}
    first_time = datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    second_time = datetime(2024, 11, 3, 6, 30, tzinfo=UTC)
    alert_id, client_id = await make_alert(daily)
    first, second = scheduled_job(alert_id, first_time), scheduled_job(alert_id, second_time)
    settings = runner_settings()

    assert await run_alert(RunRequest(alert_id, client_id, first), settings) == SUCCESS
    assert await run_alert(RunRequest(alert_id, client_id, second), settings) == SUCCESS

    first_row, second_row = await run_row(db, first), await run_row(db, second)
    slot = "2024-11-03T01:30 America/New_York"
    assert (first_row["status"], first_row["local_slot"]) == ("succeeded", slot)
    assert (second_row["status"], second_row["local_slot"]) == ("skipped", slot)
    assert second_row["error"] == f"local slot {slot} already ran in Job {first}"
    assert second_row["scheduled_for"] == second_time
    assert await db.fetchval("SELECT count(*) FROM alert_operator.alert_instances") == 1


async def test_hourly_runs_per_absolute_time_through_the_fall_back(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    hourly = {"type": "hourly", "time": "00:30", "timezone": "America/New_York"}
    alert_id, client_id = await make_alert(hourly)
    settings = runner_settings()
    for hour in (5, 6):  # 01:30 EDT, then 01:30 EST
        when = datetime(2024, 11, 3, hour, 30, tzinfo=UTC)
        job = scheduled_job(alert_id, when)
        assert await run_alert(RunRequest(alert_id, client_id, job), settings) == SUCCESS
        row = await run_row(db, job)
        assert (row["status"], row["local_slot"]) == ("succeeded", None)
    assert await db.fetchval("SELECT count(*) FROM alert_operator.alert_instances") == 2


async def test_manual_job_runs_with_trigger_manual(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}"[:52] + "-manual-x7k2p"  # kubectl create job --from=cronjob/...

    assert await run_alert(RunRequest(alert_id, client_id, job), runner_settings()) == SUCCESS

    row = await run_row(db, job)
    assert (row["status"], row["trigger"]) == ("succeeded", "manual")
    assert (row["scheduled_for"], row["local_slot"], row["triggered_by"]) == (None, None, None)
    assert await instances(db, row["id"]) == 1


async def test_cancelled_mid_execution_is_recorded_as_interrupted(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    alert_id, client_id = await make_alert()
    job = scheduled_job(alert_id)
    settings = runner_settings(executor="tests.runner.plugins:sleeps")
    task = asyncio.create_task(run_alert(RunRequest(alert_id, client_id, job), settings))
    for _ in range(200):  # until the run is claimed and executing (bounded: 10 s)
        status = await db.fetchval(
            "SELECT status FROM alert_operator.alert_runs WHERE job_name = $1", job
        )
        if status == "running":
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)

    task.cancel("SIGTERM")
    code = await asyncio.wait_for(task, 10)

    assert code == RETRYABLE_FAILURE
    row = await run_row(db, job)
    assert (row["status"], row["error"]) == ("failed", "interrupted (SIGTERM)")
    assert await instances(db, row["id"]) == 0


async def test_database_unreachable_is_retryable_and_names_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_from_env("postgresql://alert:hunter2@127.0.0.1:1/nowhere")
    request = RunRequest(uuid.uuid4(), uuid.uuid4(), "alert-x-1")

    assert await run_alert(request, settings) == RETRYABLE_FAILURE

    [record] = [r for r in caplog.records if r.getMessage() == "run finished"]
    assert record.__dict__["reason"].startswith("database: ")
    assert "hunter2" not in caplog.text
    assert "127.0.0.1:1/nowhere" not in caplog.text


async def test_alert_whose_frequency_no_longer_parses_still_runs_without_a_slot(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The operator keeps such an alert's old CronJob; its runs go on.
    alert_id, client_id = await make_alert({"type": "daily", "time": "25:00"})
    job = scheduled_job(alert_id)

    assert await run_alert(RunRequest(alert_id, client_id, job), runner_settings()) == SUCCESS

    row = await run_row(db, job)
    assert (row["status"], row["local_slot"]) == ("succeeded", None)
    assert "frequency not understood, no local-slot check: time:" in caplog.text


async def test_two_jobs_of_one_local_slot_at_once_execute_once(
    db: asyncpg.Connection, make_alert: AlertFactory, runner_settings: SettingsFactory
) -> None:
    # E.g. a late first Job still running when the repeated hour's Job starts.
    daily = {"type": "daily", "time": "01:30", "timezone": "America/New_York"}
    alert_id, client_id = await make_alert(daily)
    jobs = [scheduled_job(alert_id, datetime(2024, 11, 3, hour, 30, tzinfo=UTC)) for hour in (5, 6)]
    settings = runner_settings(executor="tests.runner.plugins:slow_record")

    codes = await asyncio.gather(
        *(run_alert(RunRequest(alert_id, client_id, job), settings) for job in jobs)
    )

    assert codes == [SUCCESS, SUCCESS]
    assert len(plugins.calls) == 1
    statuses = sorted([(await run_row(db, job))["status"] for job in jobs])
    assert statuses == ["skipped", "succeeded"]
