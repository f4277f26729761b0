"""A manual run's Job, built as ``kubectl create job NAME --from=cronjob/...`` builds it.

Used by ``alertctl run-now`` and by anything else that starts an alert's run outside its
schedule: the Job runs exactly the CronJob's jobTemplate, is owned by the CronJob (deleted with
it) and is annotated ``cronjob.kubernetes.io/instantiate: manual`` as kubectl does. Its name is
never ``<cronjob>-<digits>``, so the runner records it as a ``manual`` run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alert_core.jobname import random_job_name

INSTANTIATE_ANNOTATION = "cronjob.kubernetes.io/instantiate"


class ManualJobError(ValueError):
    """The CronJob cannot be the template of a manual Job (one line for the user)."""


def manual_job_name(cronjob: str) -> str:
    """``<cronjob>-manual-<5 random>`` (:func:`alert_core.jobname.random_job_name`)."""
    return random_job_name(cronjob, "manual")


def job_from_cronjob(cronjob: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The Job ``kubectl create job NAME --from=cronjob/...`` creates."""
    metadata = cronjob.get("metadata") or {}
    uid = metadata.get("uid")
    if not uid:
        raise ManualJobError(f"CronJob {metadata.get('name')} has no uid: cannot own a Job")
    template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    template_meta = template.get("metadata") or {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": metadata.get("namespace"),
            "labels": dict(template_meta.get("labels") or {}),
            "annotations": {**(template_meta.get("annotations") or {}),
                            INSTANTIATE_ANNOTATION: "manual"},
            "ownerReferences": [{
                "apiVersion": "batch/v1", "kind": "CronJob", "name": metadata.get("name"),
                "uid": uid, "controller": True, "blockOwnerDeletion": True,
            }],
        },
        "spec": template.get("spec") or {},
    }
