"""End to end: a Job that fails in the (emulated) cluster is recorded in alert_runs, posted as
an Event on its CronJob, and shown by the real operator's /status and /metrics."""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

from alert_core.cronjob import (
    ALERT_ID_LABEL,
    CLIENT_ID_LABEL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    cronjob_name,
)
from alert_core.jobname import job_name_for
from tests.operator.conftest import EVENTS, JOBS, NAMESPACE, Database, Emulator, wait_for

SCHEDULED = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def failed_job(alert_id: uuid.UUID, client_id: uuid.UUID) -> dict[str, Any]:
    name = job_name_for(cronjob_name(alert_id), SCHEDULED)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "labels": {MANAGED_BY_LABEL: MANAGED_BY, ALERT_ID_LABEL: str(alert_id),
                       CLIENT_ID_LABEL: str(client_id)},
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                                 "name": cronjob_name(alert_id), "uid": "cj-uid",
                                 "controller": True}],
        },
        "spec": {"template": {"spec": {"containers": [], "restartPolicy": "Never"}}},
        "status": {
            "failed": 1,
            "startTime": "2024-05-01T09:00:02Z",
            "conditions": [{
                "type": "Failed", "status": "True", "reason": "DeadlineExceeded",
                "message": "Job was active longer than specified deadline",
                "lastTransitionTime": "2024-05-01T09:10:02Z",
            }],
        },
    }


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def test_failed_job_recorded_posted_and_shown(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    alert = db.add_alert("nightly digest")
    client = db.execute("SELECT client_id FROM app.alerts WHERE id = $1", alert)[0]["client_id"]
    operator = operator_factory()
    operator.wait_synced()
    job = failed_job(alert, client)
    status = emulator.http("POST", f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs", job)
    assert status in (200, 201), status
    assert job["metadata"]["name"] in emulator.objects(JOBS)

    rows = wait_for(
        lambda: db.execute("SELECT * FROM alert_operator.alert_runs WHERE alert_id = $1", alert),
        what="the failed run in alert_runs",
    )
    [row] = rows
    assert (row["status"], row["trigger"], row["scheduled_for"]) == (
        "failed", "schedule", SCHEDULED,
    )
    assert row["error"] == "DeadlineExceeded: Job was active longer than specified deadline"

    def run_failed_events() -> list[dict[str, Any]]:
        return [e for e in emulator.objects(EVENTS).values() if e.get("reason") == "RunFailed"]

    [event] = wait_for(run_failed_events, what="a RunFailed Event")
    assert event["involvedObject"]["name"] == cronjob_name(alert)
    assert event["involvedObject"]["kind"] == "CronJob"
    assert event["type"] == "Warning"

    base = f"http://127.0.0.1:{operator.settings.status_port}"
    body = wait_for(lambda: get_json(f"{base}/status"), what="/status")
    [shown] = [a for a in body["alerts"] if a["id"] == str(alert)]
    assert shown["last_run"]["status"] == "failed"
    assert shown["last_run"]["error"].startswith("DeadlineExceeded")
    assert shown["next_run_time"] is not None
    assert body["job_count"] == 1
    metrics = get_text(f"{base}/metrics")
    assert 'alert_operator_runs_total{outcome="failed"}' in metrics
