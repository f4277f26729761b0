"""A retry's Job: a manual Job from the alert's CronJob whose runner claims the failed run's row.

Built as :func:`alert_operator.manual_job.job_from_cronjob` builds any manual run, plus
``--retry-of <the run's Job>`` on the runner's command line (the runner then claims that Job's
``alert_runs`` row, keeping its run id, scheduled time and slot, instead of starting a row of
its own) and two annotations that say, in ``kubectl describe job``, which run it retries.
The database half is :mod:`alert_core.db.retry`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from alert_core.cronjob import CONTAINER_NAME
from alert_operator.manual_job import ManualJobError, job_from_cronjob

if TYPE_CHECKING:  # SQLAlchemy's module; this one is on the operator's start-up path (jobs.py)
    from alert_core.db.retry import RetryTarget

RETRY_OF_ANNOTATION = "alert-operator/retry-of"  # the retried run's Job name
RETRY_RUN_ANNOTATION = "alert-operator/retry-run-id"
RETRY_OF_ARG = "--retry-of"


def retry_job_from_cronjob(
    cronjob: Mapping[str, Any], name: str, target: RetryTarget
) -> dict[str, Any]:
    """The Job that retries ``target`` (``name`` is ``target.retry_job_name``);
    :class:`ManualJobError` when the CronJob cannot be its template."""
    job = job_from_cronjob(cronjob, name)
    job["spec"] = copy.deepcopy(job["spec"])  # shared with the caller's CronJob otherwise
    job["metadata"]["annotations"].update({
        RETRY_OF_ANNOTATION: target.job_name,
        RETRY_RUN_ANNOTATION: str(target.run_id),
    })
    pod = (job["spec"].get("template") or {}).get("spec") or {}
    runners = [c for c in pod.get("containers") or [] if c.get("name") == CONTAINER_NAME]
    if not runners:
        raise ManualJobError(f"CronJob {target.cronjob} has no {CONTAINER_NAME!r} container")
    runners[0]["args"] = [*(runners[0].get("args") or []), RETRY_OF_ARG, target.job_name]
    return job
