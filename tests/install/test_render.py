"""The chart renders for every value set, and every object validates against Kubernetes' schemas."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from alert_core.settings import Settings
from alert_core.version import __version__
from devtools.chart import CHART_DIR, Rendered
from tests.install.conftest import NAMESPACE, literal_env, operator_container, operator_settings
from tests.install.kube_schemas import NEWEST, OLDEST, VERSIONS, schema_errors
from tests.install.value_sets import VALUE_SETS

# Settings the chart deliberately does not set as literal ALERT_* values, and why.
NOT_FROM_VALUES = {
    "database_url": "comes from the Secret, as DATABASE_URL",
    "http_token": "runner pods read it from the Secret named by http_token_secret_name",
}
# Settings the chart sets only when their value is given (their default is "unset").
ONLY_WHEN_GIVEN = {"http_url", "http_token_secret_name"}
# Prometheus Operator CRDs: no schema bundled with kubernetes-validate; checked by hand (here
# and in test_monitoring.py).
CRDS = {("monitoring.coreos.com/v1", kind) for kind in ("ServiceMonitor", "PrometheusRule")}
ONLY_WITH_UI_ACTIONS = {"ui_tokens_dir"}


def _kinds(chart: Rendered) -> set[str]:
    return {obj["kind"] for obj in chart.objects}


def test_versions_cover_1_27_and_the_newest() -> None:
    assert OLDEST == "1.27.0"
    assert tuple(int(part) for part in NEWEST.split(".")[:2]) >= (1, 37)


def test_app_version_is_the_package_version() -> None:
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    assert chart["appVersion"] == __version__
    assert chart["apiVersion"] == "v2"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_object_validates_strictly(rendered: Rendered, version: str) -> None:
    errors = [
        error
        for obj in rendered.objects
        if (obj["apiVersion"], obj["kind"]) not in CRDS
        for error in schema_errors(obj, version)
    ]
    assert errors == [], "\n".join(errors)


def test_schema_validation_can_fail() -> None:
    broken = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x", "labels": {"a": 1}},
        "spec": {"replicas": "one", "strategy": {"type": "Recreate", "typo": True}},
    }
    errors = schema_errors(broken, OLDEST)
    joined = "\n".join(errors)
    for path in ("metadata.labels.a", "spec.replicas", "spec.strategy", "at spec:"):
        assert path in joined
    missing = schema_errors(
        {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {}}, NEWEST
    )
    assert missing and "no schema" in missing[0]


def test_objects_per_value_set(rendered_sets: dict[str, Rendered]) -> None:
    base = {"Deployment", "ServiceAccount", "Role", "RoleBinding", "Service", "Job", "Pod"}
    assert _kinds(rendered_sets["defaults"]) == base | {"Secret"}
    assert _kinds(rendered_sets["existing-secret"]) == base
    assert _kinds(rendered_sets["metrics"]) == base | {"ServiceMonitor"}
    assert _kinds(rendered_sets["monitoring"]) == base | {
        "ServiceMonitor", "PrometheusRule", "ConfigMap",
    }
    assert _kinds(rendered_sets["no-helm-test"]) == base - {"Pod"}
    assert _kinds(rendered_sets["network-policy"]) == base | {"NetworkPolicy"}
    assert _kinds(rendered_sets["no-trigger"]) == base | {"Secret"}
    assert _kinds(rendered_sets["custom-jobs"]) == base | {"Secret"}
    assert len(rendered_sets["network-policy"].of_kind("NetworkPolicy")) == 2


def test_service_monitor_structure(rendered_sets: dict[str, Rendered]) -> None:
    # No schema for this CRD is bundled with kubernetes-validate: checked by hand against the
    # Prometheus Operator's monitoring.coreos.com/v1 ServiceMonitor fields used here.
    chart = rendered_sets["metrics"]
    monitor = chart.one("ServiceMonitor")
    service = chart.one("Service")
    assert set(monitor) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(monitor["metadata"]) == {"name", "namespace", "labels"}
    assert monitor["metadata"]["labels"]["release"] == "prom"
    spec = monitor["spec"]
    assert set(spec) == {"selector", "namespaceSelector", "endpoints"}
    selector = spec["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    assert spec["namespaceSelector"] == {"matchNames": [service["metadata"]["namespace"]]}
    [endpoint] = spec["endpoints"]
    assert set(endpoint) == {"port", "path", "scheme", "interval", "scrapeTimeout"}
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert endpoint["scheme"] == "http"
    assert endpoint["interval"] == "15s"
    for duration in (endpoint["interval"], endpoint["scrapeTimeout"]):
        assert re.fullmatch(r"[0-9]+(ms|s|m|h)", duration)
    for value in monitor["metadata"]["labels"].values():
        assert isinstance(value, str)


def test_every_setting_is_a_value(rendered_sets: dict[str, Rendered]) -> None:
    """Every Settings field is set by the chart, and every ALERT_* it sets is a field."""
    fields = set(Settings.model_fields)
    for name, chart in rendered_sets.items():
        env = literal_env(operator_container(chart))
        named = {key.removeprefix("ALERT_").lower() for key in env if key.startswith("ALERT_")}
        assert named <= fields, f"{name}: env without a setting: {sorted(named - fields)}"
        expected = fields - set(NOT_FROM_VALUES) - ONLY_WHEN_GIVEN - ONLY_WITH_UI_ACTIONS
        assert expected <= named, f"{name}: settings without a value: {sorted(expected - named)}"
    custom = literal_env(operator_container(rendered_sets["custom-jobs"]))
    assert {f"ALERT_{field.upper()}" for field in ONLY_WHEN_GIVEN} <= set(custom)
    with_ui = literal_env(operator_container(rendered_sets["web-ui"]))
    assert {f"ALERT_{field.upper()}" for field in ONLY_WITH_UI_ACTIONS} <= set(with_ui)


def test_web_ui_ingress_and_token_volume(rendered_sets: dict[str, Rendered]) -> None:
    """The Ingress routes /ui only, to the status Service; the tokens are a read-only file mount."""
    assert "Ingress" not in _kinds(rendered_sets["defaults"])
    chart = rendered_sets["web-ui"]
    ingress = chart.one("Ingress")
    [rule] = ingress["spec"]["rules"]
    [path] = rule["http"]["paths"]
    assert rule["host"] == "alerts.example" and path["path"] == "/ui"
    assert path["backend"]["service"] == {"name": chart.one("Service")["metadata"]["name"],
                                          "port": {"name": "status"}}
    pod = chart.one("Deployment")["spec"]["template"]["spec"]
    [volume] = [v for v in pod["volumes"] if v["name"] == "ui-tokens"]
    assert volume["secret"]["secretName"] == "alert-ui-tokens"
    [mount] = [m for m in operator_container(chart)["volumeMounts"] if m["name"] == "ui-tokens"]
    assert mount["readOnly"] is True
    settings = operator_settings(chart)
    assert settings.ui_actions_enabled and settings.ui_tokens_dir == mount["mountPath"]


def test_defaults_give_the_settings_defaults(rendered_sets: dict[str, Rendered]) -> None:
    settings = operator_settings(rendered_sets["defaults"])
    plain = Settings()
    chart_specific = {
        "namespace": NAMESPACE,
        "runner_service_account": "alert-operator-runner",
        "log_format": "json",
    }
    for field in Settings.model_fields:
        if field in NOT_FROM_VALUES:
            continue
        expected = chart_specific.get(field, getattr(plain, field))
        assert getattr(settings, field) == expected, field


def test_custom_values_reach_the_settings(rendered_sets: dict[str, Rendered]) -> None:
    values: dict[str, Any] = VALUE_SETS["custom-jobs"]
    jobs, operator = values["jobs"], values["operator"]
    settings = operator_settings(rendered_sets["custom-jobs"])
    assert settings.namespace == "alert-jobs"
    assert settings.runner_image == "registry.example/alert-runner:1.2.3"
    assert settings.concurrency_policy == jobs["concurrencyPolicy"]
    assert settings.starting_deadline_seconds == jobs["startingDeadlineSeconds"]
    assert settings.backoff_limit == jobs["backoffLimit"]
    assert settings.active_deadline_seconds == jobs["activeDeadlineSeconds"]
    assert settings.ttl_seconds_after_finished == jobs["ttlSecondsAfterFinished"]
    assert settings.successful_jobs_history_limit == jobs["successfulJobsHistoryLimit"]
    assert settings.failed_jobs_history_limit == jobs["failedJobsHistoryLimit"]
    assert settings.schedule_spread_minutes == jobs["scheduleSpreadMinutes"]
    assert settings.runner_cpu_request == "10m"
    assert settings.runner_memory_limit == "1Gi"
    assert settings.executor == "http"
    assert settings.http_url == "https://hooks.example/alerts"
    assert settings.http_timeout_seconds == 2.5
    assert settings.http_token_secret_name == "hook-token"
    assert settings.http_token_secret_key == "bearer"
    assert settings.resync_interval_seconds == operator["resyncIntervalSeconds"]
    assert settings.max_concurrency == operator["maxConcurrency"]
    assert settings.max_delete_fraction == operator["maxDeleteFraction"]
    assert settings.mass_delete_min == operator["massDeleteMin"]
    assert settings.dry_run is True
    assert settings.state_schema == "alert_state"
    assert settings.log_level == "DEBUG"
    container = operator_container(rendered_sets["custom-jobs"])
    assert container["image"] == "registry.example/alert-operator:1.2.3"
    assert {"name": "TZ", "value": "UTC"} in container["env"]


def test_images_default_to_the_app_version(rendered_sets: dict[str, Rendered]) -> None:
    chart = rendered_sets["defaults"]
    assert operator_container(chart)["image"].endswith(f":{__version__}")
    assert operator_settings(chart).runner_image.endswith(f"alert-runner:{__version__}")


def test_database_secret(rendered_sets: dict[str, Rendered]) -> None:
    chart = rendered_sets["defaults"]
    [secret] = chart.of_kind("Secret")
    assert secret["stringData"] == {"url": VALUE_SETS["defaults"]["database"]["url"]}
    hooks = secret["metadata"]["annotations"]
    migrate = chart.one("Job")["metadata"]["annotations"]
    # The Secret exists before the migration hook that reads it, even on the first install.
    assert set(hooks["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert int(hooks["helm.sh/hook-weight"]) < int(migrate["helm.sh/hook-weight"])
    # Never deleted after the hooks ran: the operator and the runner pods read it.
    assert hooks["helm.sh/hook-delete-policy"] == "before-hook-creation"
    existing = rendered_sets["existing-secret"]
    ref = literal_free_database_ref(operator_container(existing))
    assert ref == {"name": "app-database", "key": "dsn"}
    assert operator_settings(existing).database_secret_name == "app-database"
    assert operator_settings(existing).database_secret_key == "dsn"


def test_secret_in_both_namespaces(rendered_sets: dict[str, Rendered]) -> None:
    secrets = rendered_sets["custom-jobs"].of_kind("Secret")
    assert sorted(s["metadata"]["namespace"] for s in secrets) == ["alert-jobs", NAMESPACE]


def literal_free_database_ref(container: dict[str, Any]) -> dict[str, str]:
    [item] = [item for item in container["env"] if item["name"] == "DATABASE_URL"]
    assert "value" not in item, "the database URL must come from a Secret"
    ref: dict[str, str] = item["valueFrom"]["secretKeyRef"]
    return ref


def test_migration_job(rendered_sets: dict[str, Rendered]) -> None:
    job = rendered_sets["defaults"].one("Job")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert set(annotations["helm.sh/hook-delete-policy"].split(",")) == {
        "before-hook-creation",
        "hook-succeeded",
    }
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["alertctl", "migrate"]
    assert "args" not in container
    no_trigger = rendered_sets["no-trigger"].one("Job")["spec"]["template"]["spec"]
    assert no_trigger["containers"][0]["command"] + no_trigger["containers"][0]["args"] == [
        "alertctl",
        "migrate",
        "--no-trigger",
    ]
    # The chart's ServiceAccounts do not exist yet when a pre-install hook runs.
    assert "serviceAccountName" not in job["spec"]["template"]["spec"]


def test_deployment_shape(rendered: Rendered) -> None:
    deployment = rendered.one("Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    container = operator_container(rendered)
    assert container["command"] == ["alert-operator"]
    assert container["args"] == ["run"]
    settings = operator_settings(rendered)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    liveness = container["livenessProbe"]["httpGet"]
    readiness = container["readinessProbe"]["httpGet"]
    assert (liveness["path"], ports[liveness["port"]]) == ("/healthz", settings.liveness_port)
    assert (readiness["path"], ports[readiness["port"]]) == ("/healthz", settings.status_port)
    if rendered.of_kind("Service"):
        service = rendered.one("Service")
        [port] = service["spec"]["ports"]
        assert ports[port["targetPort"]] == settings.status_port
        selector = service["spec"]["selector"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_notes_tell_how_to_watch(rendered: Rendered) -> None:
    namespace = operator_settings(rendered).namespace
    assert (
        f"kubectl get cronjobs -l app.kubernetes.io/managed-by=alert-operator -n {namespace}"
        in rendered.notes
    )
    assert (
        f"kubectl delete cronjobs -l app.kubernetes.io/managed-by=alert-operator -n {namespace}"
        in rendered.notes
    )


def test_chart_objects_never_carry_the_operators_label(rendered: Rendered) -> None:
    # `kubectl delete cronjobs -l app.kubernetes.io/managed-by=alert-operator` must hit only the
    # operator's CronJobs, and the operator must never treat a chart object as its own.
    for obj in rendered.objects:
        labels = obj["metadata"].get("labels", {})
        assert labels.get("app.kubernetes.io/managed-by") == "Helm", obj["metadata"]["name"]


def test_templates_render_no_stray_whitespace_lines(rendered: Rendered) -> None:
    for path, text in rendered.templates.items():
        stray = [n for n, line in enumerate(text.splitlines(), 1) if line and not line.strip()]
        assert stray == [], f"{Path(path).name}: whitespace-only lines {stray}"
