"""The desired CronJob for an alert (pure: no Kubernetes calls) and its spec hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any, Final

from alert_core import json_codec
from alert_core.alert import Alert
from alert_core.exitcodes import PERMANENT_ERROR
from alert_core.jobname import NAME_PREFIX as NAME_PREFIX
from alert_core.jobname import cronjob_name as cronjob_name
from alert_core.settings import Settings
from alert_core.spread import spread_cron
from alert_core.version import __version__

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "alert-operator"
COMPONENT_LABEL = "app.kubernetes.io/component"
COMPONENT = "alert-runner"
ALERT_ID_LABEL = "alert-operator/alert-id"
CLIENT_ID_LABEL = "alert-operator/client-id"
NAME_ANNOTATION = "alert-operator/alert-name"
# The name again as a label, so that `kubectl get cronjobs -L alert-operator/alert-name` shows
# it (kubectl shows no annotation); made safe by name_label_value. The annotation keeps it exact.
NAME_LABEL = "alert-operator/alert-name"
HASH_ANNOTATION = "alert-operator/spec-hash"
MANAGED_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY}"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
CONTAINER_NAME = "runner"
RUNNER_UID = 10001


def spec_hash(manifest: dict[str, Any]) -> str:
    """Hash of the canonical JSON of everything we manage (the hash annotation itself left out).

    Canonical JSON (sorted keys, fixed separators, ASCII) and SHA-256 make it the same in every
    process and Python version.
    """
    metadata = dict(manifest.get("metadata", {}))
    annotations = {
        key: value
        for key, value in metadata.get("annotations", {}).items()
        if key != HASH_ANNOTATION
    }
    metadata["annotations"] = annotations
    managed = {**manifest, "metadata": metadata}
    return hashlib.sha256(json_codec.canonical(managed)).hexdigest()[:32]


MAX_LABEL_VALUE: Final = 63
UNNAMED_LABEL_VALUE: Final = "unnamed"
_NOT_IN_LABEL: Final = re.compile(r"[^A-Za-z0-9_.-]+")
_EDGE: Final = "-_."  # a label value starts and ends with a letter or digit


def _ascii(char: str) -> str:
    """A character's ASCII letters (``é`` -> ``e``, ``ﬁ`` -> ``fi``); a combining mark adds
    nothing; anything else without them (emoji, CJK) a space, which still separates words."""
    if char.isascii():
        return char
    if unicodedata.combining(char):
        return ""
    return unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or " "


def name_label_value(name: str) -> str:
    """``name`` as a label value: 1 to 63 of ``[A-Za-z0-9_.-]``, starting and ending with a
    letter or digit. Letters lose their accents (``Café`` -> ``Cafe``), every other run of
    characters a label cannot hold becomes one ``-``; a name with nothing left is ``unnamed``.
    A name that is already a valid label value stays as it is."""
    head = name[: MAX_LABEL_VALUE * 4]  # only the start can survive the cut (a 10 KB name)
    if not head.isascii():  # most names are: built for every alert in every sync
        head = "".join(map(_ascii, head))
    value = _NOT_IN_LABEL.sub("-", head).strip(_EDGE)
    return value[:MAX_LABEL_VALUE].rstrip(_EDGE) or UNNAMED_LABEL_VALUE


def _labels(alert: Alert) -> dict[str, str]:
    return {
        MANAGED_BY_LABEL: MANAGED_BY,
        COMPONENT_LABEL: COMPONENT,
        "app.kubernetes.io/name": "alert-operator",
        ALERT_ID_LABEL: str(alert.id),
        CLIENT_ID_LABEL: str(alert.client_id),
    }


def _env(settings: Settings) -> list[dict[str, Any]]:
    return [
        {
            "name": "DATABASE_URL",
            "valueFrom": {
                "secretKeyRef": {
                    "name": settings.database_secret_name,
                    "key": settings.database_secret_key,
                }
            },
        },
        {
            "name": "JOB_NAME",
            "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{JOB_NAME_LABEL}']"}},
        },
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "ALERT_EXECUTOR", "value": settings.executor},
        {"name": "ALERT_ALERTS_SCHEMA", "value": settings.alerts_schema},
        {"name": "ALERT_ALERTS_TABLE", "value": settings.alerts_table},
        {"name": "ALERT_STATE_SCHEMA", "value": settings.state_schema},
        {"name": "ALERT_LOG_FORMAT", "value": "json"},
        {"name": "ALERT_LOG_LEVEL", "value": settings.log_level},
        # How long the runner may retry recording an outcome while the database is away.
        {"name": "ALERT_ACTIVE_DEADLINE_SECONDS", "value": str(settings.active_deadline_seconds)},
        *_http_env(settings),
    ]


def _http_env(settings: Settings) -> list[dict[str, Any]]:
    """The http executor's settings; nothing when unused, so other CronJobs' hashes stay put."""
    if settings.http_url is None:
        return []
    env: list[dict[str, Any]] = [
        {"name": "ALERT_HTTP_URL", "value": settings.http_url},
        {"name": "ALERT_HTTP_TIMEOUT_SECONDS", "value": str(settings.http_timeout_seconds)},
    ]
    if settings.http_token_secret_name is not None:
        # The token only ever travels as a Secret reference, never as a value in the CronJob.
        secret = {"name": settings.http_token_secret_name, "key": settings.http_token_secret_key}
        env.append({"name": "ALERT_HTTP_TOKEN", "valueFrom": {"secretKeyRef": secret}})
    return env


def _pod_spec(alert: Alert, settings: Settings) -> dict[str, Any]:
    return {
        "restartPolicy": "Never",
        "serviceAccountName": settings.runner_service_account,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUNNER_UID,
            "runAsGroup": RUNNER_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": CONTAINER_NAME,
                "image": settings.runner_image,
                "imagePullPolicy": settings.runner_image_pull_policy,
                "args": ["--alert-id", str(alert.id), "--client-id", str(alert.client_id)],
                "env": _env(settings),
                "resources": {
                    "requests": {
                        "cpu": settings.runner_cpu_request,
                        "memory": settings.runner_memory_request,
                    },
                    "limits": {
                        "cpu": settings.runner_cpu_limit,
                        "memory": settings.runner_memory_limit,
                    },
                },
                "securityContext": {
                    "runAsNonRoot": True,
                    "readOnlyRootFilesystem": True,
                    "allowPrivilegeEscalation": False,
                    "privileged": False,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
            }
        ],
    }


def _job_spec(alert: Alert, settings: Settings) -> dict[str, Any]:
    return {
        "backoffLimit": settings.backoff_limit,
        "activeDeadlineSeconds": settings.active_deadline_seconds,
        "ttlSecondsAfterFinished": settings.ttl_seconds_after_finished,
        "podFailurePolicy": {
            "rules": [
                {
                    # The runner's permanent errors (bad arguments, client mismatch, executor not
                    # importable) would fail the same way on every retry.
                    "action": "FailJob",
                    "onExitCodes": {
                        "containerName": CONTAINER_NAME,
                        "operator": "In",
                        "values": [PERMANENT_ERROR],
                    },
                    # Kept as []: 1.27's OpenAPI schema lists onPodConditions as required
                    # (optional from 1.28 on), so omitting it fails strict 1.27 validation;
                    # every server accepts [] (its validation reads [] as "not set"). The server
                    # stores it as no key at all (protobuf: [] == absent), so it does not round
                    # trip literally: alert_operator.compare matches [] with a missing key.
                    "onPodConditions": [],
                },
                {
                    # Evictions, preemption and node drains are not the alert's fault.
                    "action": "Ignore",
                    "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
                },
            ]
        },
        "template": {
            "metadata": {"labels": _labels(alert)},
            "spec": _pod_spec(alert, settings),
        },
    }


def cronjob_timing(
    alert: Alert, settings: Settings, *, paused: bool = False
) -> tuple[str, str, bool]:
    """``(spec.schedule, spec.timeZone, spec.suspend)`` of :func:`desired_cronjob`, without
    building the whole manifest (the planner needs only these for most alerts)."""
    schedule = spread_cron(alert.frequency, alert.id, settings.schedule_spread_minutes)
    return schedule, alert.frequency.timezone, paused or not alert.is_active


def desired_cronjob(alert: Alert, settings: Settings, *, paused: bool = False) -> dict[str, Any]:
    """The CronJob the cluster should have for ``alert``, spec-hash annotation included."""
    labels = _labels(alert)
    schedule, time_zone, suspend = cronjob_timing(alert, settings, paused=paused)
    manifest: dict[str, Any] = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": cronjob_name(alert.id),
            "namespace": settings.namespace,
            "labels": {**labels, "app.kubernetes.io/version": __version__,
                       NAME_LABEL: name_label_value(alert.name)},
            "annotations": {NAME_ANNOTATION: alert.name},
        },
        "spec": {
            "schedule": schedule,
            "timeZone": time_zone,
            "suspend": suspend,
            "concurrencyPolicy": settings.concurrency_policy,
            "startingDeadlineSeconds": settings.starting_deadline_seconds,
            "successfulJobsHistoryLimit": settings.successful_jobs_history_limit,
            "failedJobsHistoryLimit": settings.failed_jobs_history_limit,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": _job_spec(alert, settings),
            },
        },
    }
    manifest["metadata"]["annotations"][HASH_ANNOTATION] = spec_hash(manifest)
    return manifest
