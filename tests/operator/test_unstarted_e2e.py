"""End to end: a Job whose pod cannot be created (the runner's ServiceAccount missing) is
reported by the real operator: an Event on its CronJob, /status, /metrics, a log line, and
its alert_runs row when the Job finally fails.

The test API server runs no controllers: the test does what the control plane would. The
CronJob controller creates the Job from the CronJob's jobTemplate; the Job controller sets
its status (``startTime``; ``ready``/``terminating`` as 0, ``active`` left out: no pod), posts
FailedCreate Events on the Job and, at the deadline, the ``Failed`` condition.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

from alert_core.cronjob import cronjob_name
from alert_core.jobname import job_name_for
from tests.operator.conftest import EVENTS, JOBS, NAMESPACE, Database, Emulator, wait_for
from tests.operator.log_capture import Lines

JOBS_PATH = f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs"
MERGE = "application/merge-patch+json"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_job_as_cronjob_controller(emulator: Emulator, alert: uuid.UUID, when: datetime) -> str:
    cronjob = emulator.cronjobs()[cronjob_name(alert)]
    template = cronjob["spec"]["jobTemplate"]
    name = job_name_for(cronjob_name(alert), when)
    job = {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": NAMESPACE,
                     "labels": template["metadata"]["labels"],
                     "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                                          "name": cronjob["metadata"]["name"],
                                          "uid": cronjob["metadata"]["uid"],
                                          "controller": True, "blockOwnerDeletion": True}]},
        "spec": template["spec"],
    }
    assert emulator.http("POST", JOBS_PATH, job) in (200, 201)
    return name


def job_controller_status(emulator: Emulator, name: str, status: dict[str, Any]) -> None:
    code = emulator.http("PATCH", f"{JOBS_PATH}/{name}/status", {"status": status}, MERGE)
    assert code == 200, code


def job_controller_failed_create(emulator: Emulator, name: str) -> None:
    uid = emulator.objects(JOBS)[name]["metadata"]["uid"]
    event = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{name}.failedcreate", "namespace": NAMESPACE},
        "involvedObject": {"apiVersion": "batch/v1", "kind": "Job", "name": name,
                           "namespace": NAMESPACE, "uid": uid},
        "type": "Warning", "reason": "FailedCreate", "source": {"component": "job-controller"},
        "message": f'Error creating: pods "{name}-" is forbidden: error looking up service'
                   f' account {NAMESPACE}/alert-runner: serviceaccount "alert-runner" not found',
        "firstTimestamp": now(), "lastTimestamp": now(), "count": 1,
    }
    assert emulator.http("POST", f"/api/v1/namespaces/{NAMESPACE}/events", event) in (200, 201)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def not_started_metric(base: str) -> float:
    for line in get(f"{base}/metrics").splitlines():
        if line.startswith("alert_operator_runs_not_started_total "):
            return float(line.split()[1])
    raise AssertionError("alert_operator_runs_not_started_total is not exposed")


def test_job_without_a_pod_is_reported_and_its_failure_recorded(
    emulator: Emulator, db: Database, operator_factory: Any, json_lines: Lines
) -> None:
    alert = db.add_alert("nightly digest")
    operator = operator_factory(run_start_grace_seconds=1)
    operator.wait_synced()
    base = f"http://127.0.0.1:{operator.settings.status_port}"
    before = not_started_metric(base)

    scheduled = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    job = create_job_as_cronjob_controller(emulator, alert, scheduled)
    job_controller_status(emulator, job, {"startTime": now(), "ready": 0, "terminating": 0})
    job_controller_failed_create(emulator, job)

    def not_started() -> list[dict[str, Any]]:
        return [e for e in emulator.objects(EVENTS).values() if e["reason"] == "RunNotStarted"]

    [event] = wait_for(not_started, what="a RunNotStarted Event")
    assert event["type"] == "Warning"
    cronjob = emulator.cronjobs()[cronjob_name(alert)]
    assert event["involvedObject"]["name"] == cronjob_name(alert)
    assert event["involvedObject"]["uid"] == cronjob["metadata"]["uid"]
    assert job in event["message"] and "'alert-runner'" in event["message"]

    status = json.loads(get(f"{base}/status"))
    assert status["status"] == "degraded"
    [problem] = [p for p in status["problems"] if p.startswith("runs cannot start:")]
    assert job in problem and "ServiceAccount 'alert-runner'" in problem
    assert not_started_metric(base) == before + 1
    [line] = [line for line in json_lines.about(alert) if line.get("reason") == "RunNotStarted"]
    assert (line["job_name"], line["cronjob"], line["level"]) == (
        job, cronjob_name(alert), "warning")

    # The deadline: the Job controller fails the Job; no pod ever ran, so no failed count.
    job_controller_status(emulator, job, {"conditions": [
        {"type": "FailureTarget", "status": "True", "reason": "DeadlineExceeded",
         "message": "Job was active longer than specified deadline",
         "lastTransitionTime": now()},
        {"type": "Failed", "status": "True", "reason": "DeadlineExceeded",
         "message": "Job was active longer than specified deadline",
         "lastTransitionTime": now()},
    ]})
    [row] = wait_for(lambda: db.execute(
        "SELECT * FROM alert_operator.alert_runs WHERE job_name = $1", job), what="the run row")
    assert (row["status"], row["scheduled_for"], row["attempts"]) == ("failed", scheduled, 0)
    assert row["error"].startswith(
        "DeadlineExceeded: Job was active longer than specified deadline; no pod was ever created")
    assert not_started_metric(base) == before + 1  # reported once, not again when it failed

    # The ServiceAccount is back: the next Job gets its pod, and /status is clear of it.
    later = create_job_as_cronjob_controller(emulator, alert, datetime(2024, 5, 2, 9, tzinfo=UTC))
    job_controller_status(emulator, later, {"startTime": now(), "active": 1, "ready": 0})
    wait_for(lambda: not any(p.startswith("runs cannot start:")
                             for p in json.loads(get(f"{base}/status"))["problems"]),
             what="the problem cleared")
    assert not_started_metric(base) == before + 1
