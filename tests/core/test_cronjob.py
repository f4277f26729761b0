"""The desired CronJob: conventions, security, the spec hash, and the Kubernetes schemas."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from kubernetes_validate.utils import all_versions

from alert_core import cronjob as cronjob_module
from alert_core.alert import Alert, clean_name
from alert_core.cronjob import (
    ALERT_ID_LABEL,
    CLIENT_ID_LABEL,
    HASH_ANNOTATION,
    MANAGED_SELECTOR,
    NAME_ANNOTATION,
    NAME_LABEL,
    cronjob_name,
    desired_cronjob,
    spec_hash,
)
from alert_core.exitcodes import PERMANENT_ERROR
from alert_core.frequency import parse_frequency
from alert_core.settings import Settings

ALERT_ID = uuid.UUID("0b9d6a52-6a4c-4a51-9f0e-3f4f1b7c2d10")
CLIENT_ID = uuid.UUID("6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0")
PINNED_VERSION = "0.0.0-test"
# The hash of the fixed alert and settings below. It must never change by itself (another
# process, another Python version, another dict order): if you changed desired_cronjob on
# purpose, every CronJob in every cluster will be rewritten once; then update this value.
EXPECTED_HASH = "5bcf5d8e1ecd38ab3e5ab8b0ccac7e3d"

SCHEMA_ROOT = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
OLDEST_SUPPORTED = "1.27"


def _newest_version() -> str:
    return ".".join(all_versions()[-1].split(".")[:2])


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the test, never from the developer's shell."""
    import os

    for name in list(os.environ):
        if name.startswith("ALERT_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setattr(cronjob_module, "__version__", PINNED_VERSION)


def make_alert(**changes: Any) -> Alert:
    values: dict[str, Any] = {
        "id": ALERT_ID,
        "client_id": CLIENT_ID,
        "name": "Morning revenue digest",
        "frequency": parse_frequency(
            {"type": "weekly", "time": "10:00", "dayOfWeek": [1, 3, 5],
             "timezone": "America/Los_Angeles"}
        ),
        "is_active": True,
    }
    values.update(changes)
    return Alert(**values)


def make_settings(**changes: Any) -> Settings:
    values: dict[str, Any] = {"namespace": "alerts", "runner_image": "registry.test/runner:1.2.3"}
    values.update(changes)
    return Settings(**values)


def test_conventions() -> None:
    manifest = desired_cronjob(make_alert(), make_settings())
    metadata = manifest["metadata"]
    assert manifest["apiVersion"] == "batch/v1" and manifest["kind"] == "CronJob"
    assert metadata["name"] == f"alert-{ALERT_ID}" == cronjob_name(ALERT_ID)
    assert len(metadata["name"]) == 42 <= 52
    assert metadata["namespace"] == "alerts"
    key, value = MANAGED_SELECTOR.split("=")
    assert metadata["labels"][key] == value == "alert-operator"
    assert metadata["labels"]["app.kubernetes.io/component"] == "alert-runner"
    assert metadata["labels"][ALERT_ID_LABEL] == str(ALERT_ID)
    assert metadata["labels"][CLIENT_ID_LABEL] == str(CLIENT_ID)
    assert metadata["annotations"][NAME_ANNOTATION] == "Morning revenue digest"
    assert metadata["labels"][NAME_LABEL] == "Morning-revenue-digest"  # kubectl get -L shows it
    assert metadata["annotations"][HASH_ANNOTATION] == spec_hash(manifest)

    spec = manifest["spec"]
    assert spec["schedule"] == "0 10 * * 1,3,5"
    assert spec["timeZone"] == "America/Los_Angeles"
    assert spec["suspend"] is False
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] == 300
    assert spec["successfulJobsHistoryLimit"] == 3
    assert spec["failedJobsHistoryLimit"] == 3
    job = spec["jobTemplate"]["spec"]
    assert spec["jobTemplate"]["metadata"]["labels"][ALERT_ID_LABEL] == str(ALERT_ID)
    assert (job["backoffLimit"], job["activeDeadlineSeconds"], job["ttlSecondsAfterFinished"]) \
        == (3, 600, 86400)
    rules = job["podFailurePolicy"]["rules"]
    assert rules[0]["action"] == "FailJob"
    assert rules[0]["onExitCodes"] == {
        "containerName": "runner", "operator": "In", "values": [PERMANENT_ERROR]
    }
    assert rules[1] == {
        "action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]
    }


def test_pod_security_and_runner_container() -> None:
    pod = desired_cronjob(make_alert(), make_settings())["spec"]["jobTemplate"]["spec"][
        "template"
    ]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["image"] == "registry.test/runner:1.2.3"
    assert container["args"] == ["--alert-id", str(ALERT_ID), "--client-id", str(CLIENT_ID)]
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    resources = container["resources"]
    assert resources["requests"] == {"cpu": "50m", "memory": "64Mi"}
    assert resources["limits"] == {"cpu": "500m", "memory": "256Mi"}
    env = {item["name"]: item for item in container["env"]}
    assert env["DATABASE_URL"] == {
        "name": "DATABASE_URL",
        "valueFrom": {"secretKeyRef": {"name": "alert-operator-database", "key": "url"}},
    }
    assert env["JOB_NAME"]["valueFrom"] == {
        "fieldRef": {"fieldPath": "metadata.labels['batch.kubernetes.io/job-name']"}
    }
    # No value anywhere in the pod spec is a database URL.
    assert "postgresql" not in json.dumps(pod)


def test_database_url_never_reaches_the_manifest() -> None:
    settings = make_settings(database_url="postgresql://app:hunter2@db:5432/app")
    assert "hunter2" not in json.dumps(desired_cronjob(make_alert(), settings))


def test_inactive_or_paused_means_suspended() -> None:
    settings = make_settings()
    assert desired_cronjob(make_alert(is_active=False), settings)["spec"]["suspend"] is True
    assert desired_cronjob(make_alert(), settings, paused=True)["spec"]["suspend"] is True
    assert desired_cronjob(make_alert(), settings, paused=False)["spec"]["suspend"] is False


def test_settings_reach_the_manifest() -> None:
    settings = make_settings(
        concurrency_policy="Replace", starting_deadline_seconds=60, backoff_limit=0,
        active_deadline_seconds=30, ttl_seconds_after_finished=0,
        successful_jobs_history_limit=1, failed_jobs_history_limit=5,
        runner_cpu_limit="2", runner_memory_limit="1Gi", database_secret_name="db-creds",
        database_secret_key="dsn",
    )
    manifest = desired_cronjob(make_alert(), settings)
    spec = manifest["spec"]
    job = spec["jobTemplate"]["spec"]
    assert (spec["concurrencyPolicy"], spec["startingDeadlineSeconds"]) == ("Replace", 60)
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (1, 5)
    assert (job["backoffLimit"], job["activeDeadlineSeconds"]) == (0, 30)
    assert job["ttlSecondsAfterFinished"] == 0
    container = job["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "1Gi"}
    assert container["env"][0]["valueFrom"]["secretKeyRef"] == {"name": "db-creds", "key": "dsn"}


# --- the spec hash ---------------------------------------------------------------------------


def test_spec_hash_is_pinned() -> None:
    manifest = desired_cronjob(make_alert(), make_settings())
    assert manifest["metadata"]["annotations"][HASH_ANNOTATION] == EXPECTED_HASH, (
        "the desired CronJob changed: if on purpose, update EXPECTED_HASH"
    )


def test_spec_hash_is_the_same_in_another_process() -> None:
    script = f"""
import uuid
from alert_core import cronjob
from alert_core.alert import Alert
from alert_core.frequency import parse_frequency
from alert_core.settings import Settings
cronjob.__version__ = {PINNED_VERSION!r}
alert = Alert(uuid.UUID({str(ALERT_ID)!r}), uuid.UUID({str(CLIENT_ID)!r}),
              "Morning revenue digest",
              parse_frequency({{"type": "weekly", "time": "10:00", "dayOfWeek": [5, 3, 1],
                               "timezone": "America/Los_Angeles"}}), True)
settings = Settings(namespace="alerts", runner_image="registry.test/runner:1.2.3")
print(cronjob.desired_cronjob(alert, settings)["metadata"]["annotations"][cronjob.HASH_ANNOTATION])
"""
    env = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == EXPECTED_HASH


def test_spec_hash_ignores_key_order_and_its_own_annotation() -> None:
    manifest = desired_cronjob(make_alert(), make_settings())
    reordered = json.loads(json.dumps(manifest, sort_keys=True))
    reordered["metadata"]["annotations"][HASH_ANNOTATION] = "stale"
    assert spec_hash(reordered) == spec_hash(manifest)


def _mutations() -> list[tuple[str, Alert, Settings]]:
    alert, settings = make_alert(), make_settings()
    other_id = uuid.UUID("11111111-2222-4333-8444-555555555555")
    daily = parse_frequency({"type": "daily", "time": "10:00", "timezone": "America/Los_Angeles"})
    same_days_other_zone = parse_frequency(
        {"type": "weekly", "time": "10:00", "dayOfWeek": [1, 3, 5], "timezone": "Europe/Berlin"}
    )
    return [
        ("id", make_alert(id=other_id), settings),
        ("client", make_alert(client_id=other_id), settings),
        ("name", make_alert(name="Evening digest"), settings),
        ("schedule", make_alert(frequency=daily), settings),
        ("timezone", make_alert(frequency=same_days_other_zone), settings),
        ("inactive", make_alert(is_active=False), settings),
        ("namespace", alert, make_settings(namespace="other")),
        ("image", alert, make_settings(runner_image="registry.test/runner:1.2.4")),
        ("pull policy", alert, make_settings(runner_image_pull_policy="Always")),
        ("service account", alert, make_settings(runner_service_account="other-sa")),
        ("secret", alert, make_settings(database_secret_name="other-secret")),
        ("secret key", alert, make_settings(database_secret_key="dsn")),
        ("executor", alert, make_settings(executor="log")),
        ("concurrency", alert, make_settings(concurrency_policy="Allow")),
        ("deadline", alert, make_settings(starting_deadline_seconds=301)),
        ("backoff", alert, make_settings(backoff_limit=4)),
        ("active deadline", alert, make_settings(active_deadline_seconds=601)),
        ("ttl", alert, make_settings(ttl_seconds_after_finished=1)),
        ("history ok", alert, make_settings(successful_jobs_history_limit=4)),
        ("history failed", alert, make_settings(failed_jobs_history_limit=4)),
        ("cpu request", alert, make_settings(runner_cpu_request="51m")),
        ("memory request", alert, make_settings(runner_memory_request="65Mi")),
        ("cpu limit", alert, make_settings(runner_cpu_limit="501m")),
        ("memory limit", alert, make_settings(runner_memory_limit="257Mi")),
        ("alerts schema", alert, make_settings(alerts_schema="app2")),
        ("alerts table", alert, make_settings(alerts_table="alerts2")),
        ("state schema", alert, make_settings(state_schema="state2")),
        ("log level", alert, make_settings(log_level="DEBUG")),
    ]


def test_spec_hash_differs_when_anything_differs() -> None:
    base = spec_hash(desired_cronjob(make_alert(), make_settings()))
    hashes = {"base": base}
    for label, alert, settings in _mutations():
        hashes[label] = spec_hash(desired_cronjob(alert, settings))
        assert hashes[label] != base, label
    assert len(set(hashes.values())) == len(hashes)
    paused = desired_cronjob(make_alert(), make_settings(), paused=True)
    assert spec_hash(paused) != base


def test_any_change_to_the_manifest_changes_the_hash() -> None:
    """Every leaf of the manifest counts: flip each one and the hash moves."""
    manifest = desired_cronjob(make_alert(), make_settings())
    base = spec_hash(manifest)

    def leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if isinstance(node, dict):
            return [leaf for key, value in node.items() for leaf in leaves(value, (*path, key))]
        if isinstance(node, list):
            return [leaf for i, value in enumerate(node) for leaf in leaves(value, (*path, i))]
        return [path]

    checked = 0
    for path in leaves(manifest):
        if path[:3] == ("metadata", "annotations", HASH_ANNOTATION):
            continue
        changed = json.loads(json.dumps(manifest))
        target = changed
        for key in path[:-1]:
            target = target[key]
        old = target[path[-1]]
        target[path[-1]] = (not old) if isinstance(old, bool) else f"{old}x"
        assert spec_hash(changed) != base, path
        checked += 1
    assert checked > 40


# --- the Kubernetes schemas ------------------------------------------------------------------


FREQUENCIES = [
    {"type": "hourly", "time": "00:30"},
    {"type": "daily", "time": "09:00", "timezone": "Europe/Paris"},
    {"type": "weekly", "time": "10:00", "dayOfWeek": [0, 6], "timezone": "Asia/Kolkata"},
    {"type": "monthly", "time": "08:00", "dayOfMonth": [29, 30, 31],
     "timezone": "Australia/Lord_Howe"},
    {"type": "cron", "expression": "*/15 9-17 * * MON-FRI", "timezone": "America/Sao_Paulo"},
    {"type": "cron", "expression": "@weekly"},
]
HOSTILE_NAMES = [
    "plain",
    "line one\nline two\r\n\tthree",
    "quotes \" ' ` and a: colon # hash {json} [list] &anchor *alias !tag %",
    "x" * 10_000,
    "unicode ✓ ☃ 日本語 \u202e reversed \U0001f600",
    "",
    "---\napiVersion: v1\nkind: Secret",
]


def test_both_schema_versions_are_bundled() -> None:
    """A missing schema is a failure, not a skip."""
    for version in (OLDEST_SUPPORTED, _newest_version()):
        strict = SCHEMA_ROOT / f"v{version}.0-local-strict"
        assert (strict / "cronjob-batch-v1.json").is_file(), strict
    assert _newest_version() >= OLDEST_SUPPORTED


@pytest.mark.parametrize("version", [OLDEST_SUPPORTED, "newest"])
@pytest.mark.parametrize("raw", FREQUENCIES, ids=lambda raw: str(raw.get("type")))
def test_rendered_cronjobs_validate_strictly(version: str, raw: dict[str, Any]) -> None:
    wanted = _newest_version() if version == "newest" else version
    for name in HOSTILE_NAMES:
        alert = make_alert(frequency=parse_frequency(raw), name=clean_name(name))
        for paused in (False, True):
            manifest = desired_cronjob(alert, make_settings(), paused=paused)
            used = kubernetes_validate.validate(manifest, wanted, strict=True)
            assert used == wanted


def test_schema_validation_can_fail() -> None:
    """The validator really checks: a field 1.27 lacks, or a wrong type, is refused."""
    manifest = desired_cronjob(make_alert(), make_settings())
    manifest["spec"]["notAField"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, OLDEST_SUPPORTED, strict=True)
    manifest = desired_cronjob(make_alert(), make_settings())
    manifest["spec"]["jobTemplate"]["spec"]["backoffLimit"] = "3"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, OLDEST_SUPPORTED, strict=True)


def test_hostile_names_are_made_safe() -> None:
    for name in HOSTILE_NAMES:
        cleaned = clean_name(name)
        assert cleaned.isprintable()
        assert len(cleaned) <= 1024
    assert clean_name("a\nb") == "a b"
