"""The retry's Job (alert_operator.retry_job): the manual Job of the CronJob plus --retry-of."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from alert_core.cronjob import desired_cronjob
from alert_core.db.retry import RetryTarget
from alert_core.jobname import job_name_for
from alert_operator.manual_job import INSTANTIATE_ANNOTATION, ManualJobError
from alert_operator.retry_job import (
    RETRY_OF_ANNOTATION,
    RETRY_RUN_ANNOTATION,
    retry_job_from_cronjob,
)
from tests.core.test_cronjob import make_alert, make_settings


def _target(alert_id: uuid.UUID) -> RetryTarget:
    scheduled = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    return RetryTarget(
        run_id=uuid.uuid4(), alert_id=alert_id, client_id=uuid.uuid4(),
        job_name=job_name_for(f"alert-{alert_id}", scheduled), trigger="schedule",
        scheduled_for=scheduled, attempts=3, error="boom",
        retry_job_name=f"alert-{alert_id}-retry-abcde",
    )


def _live_cronjob() -> dict[str, Any]:
    cronjob = desired_cronjob(make_alert(), make_settings())
    cronjob["metadata"]["uid"] = "3b1a0c6e-0000-4000-8000-000000000001"
    return cronjob


def test_the_retry_job_runs_the_template_with_retry_of_and_says_what_it_retries() -> None:
    cronjob = _live_cronjob()
    before = copy.deepcopy(cronjob)
    target = _target(make_alert().id)

    job = retry_job_from_cronjob(cronjob, target.retry_job_name, target)

    assert job["metadata"]["name"] == target.retry_job_name
    annotations = job["metadata"]["annotations"]
    assert annotations[RETRY_OF_ANNOTATION] == target.job_name
    assert annotations[RETRY_RUN_ANNOTATION] == str(target.run_id)
    assert annotations[INSTANTIATE_ANNOTATION] == "manual"
    assert job["metadata"]["ownerReferences"][0]["uid"] == cronjob["metadata"]["uid"]
    runner = job["spec"]["template"]["spec"]["containers"][0]
    assert runner["args"][-2:] == ["--retry-of", target.job_name]
    assert runner["args"][:4] == ["--alert-id", str(target.alert_id), "--client-id",
                                  str(make_alert().client_id)]
    assert cronjob == before  # the caller's CronJob is not changed


def test_a_cronjob_without_the_runner_container_is_one_line() -> None:
    cronjob = _live_cronjob()
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    pod["containers"][0]["name"] = "sidecar"
    target = _target(make_alert().id)

    with pytest.raises(ManualJobError, match="has no 'runner' container"):
        retry_job_from_cronjob(cronjob, target.retry_job_name, target)
