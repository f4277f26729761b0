"""alertctl run-now: a Job from the CronJob's template, in the emulator; --wait reads alert_runs."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema

from alert_core.cronjob import cronjob_name
from alert_core.jobname import scheduled_time_from_job_name
from alert_ctl.schemas import RUN_NOW
from alert_operator.manual_job import INSTANTIATE_ANNOTATION, manual_job_name
from tests.ctl.conftest import (
    DEAD_DATABASE_URL,
    JOBS,
    NAMESPACE,
    Database,
    Emulator,
    Result,
    add_run,
    wait_for,
)


def synced_alert(alertctl: Callable[..., Result], db: Database, database_url: str,
                 emulator: Emulator, **kwargs: Any) -> uuid.UUID:
    alert = db.add_alert("digest", **kwargs)
    assert alertctl("sync", "-n", NAMESPACE, "--database-url", database_url).exit_code == 0
    assert emulator.cronjobs()[cronjob_name(alert)]["metadata"]["uid"]  # the server's own
    return alert


@contextmanager
def in_background(work: Callable[[], None]) -> Iterator[None]:
    errors: list[BaseException] = []

    def _run() -> None:
        try:
            work()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=_run, daemon=True)
    thread.start()
    yield
    thread.join(timeout=20)
    assert not errors, errors


def test_manual_job_name() -> None:
    cronjob = cronjob_name(uuid.uuid4())
    names = {manual_job_name(cronjob) for _ in range(50)}
    assert len(names) > 45
    for name in names:
        assert len(name) <= 63 and name.startswith(f"{cronjob}-manual-")
        assert scheduled_time_from_job_name(name, cronjob) is None  # read as a manual run


def test_run_now_creates_a_job_like_kubectl(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    alert = synced_alert(alertctl, db, database_url, emulator)
    cronjob = emulator.cronjobs()[cronjob_name(alert)]
    result = alertctl("run-now", str(alert), "-n", NAMESPACE, "--database-url", database_url)
    assert result.exit_code == 0, result.stderr
    created, follow = result.stdout.splitlines()
    jobs = emulator.objects(JOBS)
    assert len(jobs) == 1
    name, job = next(iter(jobs.items()))
    assert created == f"job.batch/{name} created"
    assert follow == f"follow it: kubectl logs -n {NAMESPACE} job/{name} -f"
    assert job["metadata"]["ownerReferences"] == [{
        "apiVersion": "batch/v1", "kind": "CronJob", "name": cronjob_name(alert),
        "uid": cronjob["metadata"]["uid"],
        "controller": True, "blockOwnerDeletion": True}]
    assert job["metadata"]["annotations"][INSTANTIATE_ANNOTATION] == "manual"
    assert job["metadata"]["labels"] == cronjob["spec"]["jobTemplate"]["metadata"]["labels"]
    assert job["spec"] == cronjob["spec"]["jobTemplate"]["spec"]


def test_run_now_wait_reports_the_outcome(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    alert = synced_alert(alertctl, db, database_url, emulator)

    def runner() -> None:
        name = wait_for(lambda: next(iter(emulator.objects(JOBS)), None), what="the Job")
        start = datetime.now(UTC)
        add_run(db, alert, name, trigger="manual", status="running", started_at=start)
        db.execute(
            "UPDATE alert_operator.alert_runs SET status = 'succeeded', finished_at = $2"
            " WHERE job_name = $1", name, start + timedelta(seconds=2),
        )

    with in_background(runner):
        result = alertctl("run-now", str(alert), "--wait", "--timeout", "20", "-o", "json",
                          "-n", NAMESPACE, "--database-url", database_url)
    assert result.exit_code == 0, result.stderr
    document = result.json()
    jsonschema.validate(document, RUN_NOW)
    assert document["run"]["status"] == "succeeded"
    assert document["run"]["trigger"] == "manual"
    assert document["run"]["duration_seconds"] == 2.0
    assert document["job_name"] in emulator.objects(JOBS)


def test_run_now_wait_failed_job(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    alert = synced_alert(alertctl, db, database_url, emulator)

    def job_fails() -> None:
        name = wait_for(lambda: next(iter(emulator.objects(JOBS)), None), what="the Job")
        path = f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs/{name}"
        status = {"status": {"conditions": [{"type": "Failed", "status": "True",
                                             "reason": "BackoffLimitExceeded",
                                             "message": "Job has reached the backoff limit"}]}}
        assert emulator.http("PATCH", path, status, "application/merge-patch+json") == 200

    with in_background(job_fails):
        result = alertctl("run-now", str(alert), "--wait", "--timeout", "20",
                          "-n", NAMESPACE, "--database-url", database_url)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == (
        "the Job failed before the run was recorded: BackoffLimitExceeded:"
        " Job has reached the backoff limit"
    )


def test_run_now_wait_times_out(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    alert = synced_alert(alertctl, db, database_url, emulator)
    result = alertctl("run-now", str(alert), "--wait", "--timeout", "1",
                      "-n", NAMESPACE, "--database-url", database_url)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "timed out waiting (no run recorded yet)"


def test_run_now_of_a_paused_alert_warns_and_runs(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    alert = synced_alert(alertctl, db, database_url, emulator)
    assert alertctl("pause", str(alert), "--database-url", database_url).exit_code == 0
    result = alertctl("run-now", str(alert), "-n", NAMESPACE, "--database-url", database_url)
    assert result.exit_code == 0
    assert "the alert is paused" in result.stderr
    assert len(emulator.objects(JOBS)) == 1


def test_run_now_errors(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    common = ("-n", NAMESPACE, "--database-url", database_url)
    unknown = uuid.uuid4()
    result = alertctl("run-now", str(unknown), *common)
    assert (result.exit_code, result.stderr.strip()) == (1, f"error: unknown alert: {unknown}")
    assert alertctl("run-now", "nope", *common).exit_code == 2

    not_synced = db.add_alert("new")
    missing = alertctl("run-now", str(not_synced), *common)
    assert missing.exit_code == 1
    assert missing.stderr.strip() == (
        f"error: no CronJob {cronjob_name(not_synced)} in namespace {NAMESPACE}"
        " (run `alertctl sync`, or check --namespace)"
    )
    dead = alertctl("run-now", str(not_synced), "--database-url", DEAD_DATABASE_URL)
    assert dead.exit_code == 1 and dead.stderr.startswith("error: database unreachable")
    assert emulator.objects(JOBS) == {}


def test_run_now_without_cluster(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    alert = db.add_alert()
    result = alertctl("run-now", str(alert), "--database-url", database_url)
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: no cluster: not in a pod")
