"""Failed runs as a dead-letter queue: ``history --failed`` and ``retry`` with the real
PostgreSQL, the test API server and the real runner process."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema

from alert_core.cronjob import cronjob_name
from alert_core.exitcodes import RETRYABLE_FAILURE, SUCCESS
from alert_core.jobname import job_name_for
from alert_ctl.schemas import FAILED_RUNS, HISTORY, RETRY
from alert_operator.retry_job import RETRY_OF_ANNOTATION
from tests.ctl.conftest import JOBS, NAMESPACE, Database, Emulator, Result, add_run
from tests.ctl.test_run_now_cmd import synced_alert

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def _runner(args: list[str], job_name: str, database_url: str) -> int:
    """The runner's real process, as the Job's pod runs it (its container's args)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("ALERT_") and key not in ("DATABASE_URL", "JOB_NAME")}
    env.update(DATABASE_URL=database_url, JOB_NAME=job_name, POD_NAME=f"{job_name}-pod",
               ALERT_EXECUTOR="tests.runner.plugins:flaky", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "alert_runner", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    return done.returncode


def _container_args(body: dict[str, Any]) -> list[str]:
    spec = body["spec"]
    template = spec["jobTemplate"]["spec"] if "jobTemplate" in spec else spec
    args: list[str] = template["template"]["spec"]["containers"][0]["args"]
    return args


def _add_failed(db: Database, alert: uuid.UUID, client: uuid.UUID, when: datetime,
                error: str = "boom") -> str:
    job = job_name_for(cronjob_name(alert), when)
    add_run(db, alert, job, status="failed", scheduled_for=when, started_at=when,
            finished_at=when + timedelta(seconds=1), attempts=3, error=error)
    db.execute("UPDATE alert_operator.alert_runs SET client_id = $2 WHERE job_name = $1",
               job, client)
    return job


def test_history_failed_lists_the_failed_runs_of_all_alerts(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    first, second, gone = db.add_alert("digest"), db.add_alert("report"), uuid.uuid4()
    client_a, client_b = uuid.uuid4(), uuid.uuid4()
    old = _add_failed(db, first, client_a, NOW - timedelta(days=3), "HTTP 500")
    recent = _add_failed(db, second, client_b, NOW - timedelta(hours=1), "line\none")
    orphan = _add_failed(db, gone, client_a, NOW - timedelta(hours=2))
    add_run(db, first, "alert-ok-1", status="succeeded", scheduled_for=NOW)
    url = ("--database-url", database_url)

    every = alertctl("history", "--failed", "-o", "json", *url)
    assert every.exit_code == 0, every.stderr
    jsonschema.validate(every.json(), FAILED_RUNS)
    runs = every.json()["runs"]
    assert [run["job_name"] for run in runs] == [recent, orphan, old]  # newest first
    assert [run["alert_name"] for run in runs] == ["report", None, "digest"]
    assert runs[2]["error"] == "HTTP 500" and runs[2]["attempts"] == 3
    assert runs[2]["retry_job_name"] is None

    last_day = alertctl("history", "--failed", "--since", "1d", "-o", "json", *url).json()
    assert [run["job_name"] for run in last_day["runs"]] == [recent, orphan]
    one_client = alertctl("history", "--failed", "--client", str(client_a), "-o", "json",
                          *url).json()
    assert [run["job_name"] for run in one_client["runs"]] == [orphan, old]

    table = alertctl("history", "--failed", "--since", "90m", *url)
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["RUN", "ALERT", "NAME"]
    assert len(lines) == 2 and runs[0]["run_id"] in lines[1] and "line one" in lines[1]
    quiet = alertctl("history", "--failed", "--since", "1m", *url)
    assert quiet.stdout == "no failed runs in the last 1m\n"


def test_history_failed_usage_errors_are_one_line(
    alertctl: Callable[..., Result], database_url: str
) -> None:
    url = ("--database-url", database_url)
    for args, message in [
        (("--failed", "--since", "yesterday"), "--since 'yesterday': not a duration"),
        (("--failed", "--since", "0m"), "--since '0m': must be longer than 0"),
        (("--failed", "--client", "nope"), "client id 'nope': not a UUID"),
        (("--since", "1h"), "give ALERT_ID, or --failed"),
        ((), "give ALERT_ID, or --failed"),
    ]:
        result = alertctl("history", *args, *url)
        assert result.exit_code == 2, args
        assert len(result.stderr.strip().splitlines()) == 1
        assert message in result.stderr, (args, result.stderr)


def test_retry_reruns_the_failed_run_in_place_and_history_shows_the_outcome(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    alert = synced_alert(alertctl, db, database_url, emulator)
    cronjob = emulator.cronjobs()[cronjob_name(alert)]
    scheduled = job_name_for(cronjob_name(alert), NOW - timedelta(hours=1))
    # The scheduled Job's pod fails (the flaky executor fails a run's first attempt).
    assert _runner(_container_args(cronjob), scheduled, database_url) == RETRYABLE_FAILURE
    common = ("-n", NAMESPACE, "--database-url", database_url)
    failed = alertctl("history", "--failed", "-o", "json", *common).json()["runs"]
    assert [run["job_name"] for run in failed] == [scheduled]
    run_id = failed[0]["run_id"]

    result = alertctl("retry", run_id, "-o", "json", *common)

    assert result.exit_code == 0, result.stderr
    document = result.json()
    jsonschema.validate(document, RETRY)
    assert (document["run_id"], document["job_name"]) == (run_id, scheduled)
    assert document["scheduled_for"] == (NOW - timedelta(hours=1)).isoformat()
    jobs = emulator.objects(JOBS)
    assert list(jobs) == [document["retry_job_name"]]
    job = jobs[document["retry_job_name"]]
    assert job["metadata"]["annotations"][RETRY_OF_ANNOTATION] == scheduled
    again = alertctl("retry", run_id, *common)  # the retry has not run yet
    assert again.exit_code == 1
    assert again.stderr.strip().endswith(
        f"is already being retried by Job {document['retry_job_name']}")
    assert len(emulator.objects(JOBS)) == 1

    # The retry Job's pod, as Kubernetes would start it.
    assert _runner(_container_args(job), document["retry_job_name"], database_url) == SUCCESS

    history = alertctl("history", str(alert), "-o", "json", *common).json()
    jsonschema.validate(history, HISTORY)
    assert [(run["job_name"], run["status"], run["attempts"]) for run in history["runs"]] == [
        (scheduled, "succeeded", 2)]
    assert alertctl("history", "--failed", "-o", "json", *common).json()["runs"] == []
    done = alertctl("retry", run_id, *common)
    assert (done.exit_code, done.stderr.strip()) == (
        1, f"error: run {run_id} (Job {scheduled}) succeeded: nothing to retry")


def test_a_retry_that_cannot_create_its_job_leaves_the_run_retryable(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    alert = db.add_alert("never synced")
    _add_failed(db, alert, uuid.uuid4(), NOW)
    common = ("-n", NAMESPACE, "--database-url", database_url)
    run_id = alertctl("history", "--failed", "-o", "json", *common).json()["runs"][0]["run_id"]

    for _ in range(2):  # released each time: the second attempt is not "already retrying"
        result = alertctl("retry", run_id, *common)
        assert (result.exit_code, result.stderr.strip()) == (
            1, f"error: no CronJob {cronjob_name(alert)} in namespace {NAMESPACE}"
               " (alert deleted? check --namespace)")
    assert db.execute("SELECT retry_job_name FROM alert_operator.alert_runs")[0][0] is None
    assert emulator.objects(JOBS) == {}
    assert alertctl("retry", "nope", *common).exit_code == 2
    unknown = uuid.uuid4()
    missing = alertctl("retry", str(unknown), *common)
    assert (missing.exit_code, missing.stderr.strip()) == (
        1, f"error: no run {unknown} in alert_runs")
