"""Security and RBAC properties of everything the chart runs, and of the runner pods."""

from __future__ import annotations

from typing import Any

import pytest

from alert_core.cronjob import desired_cronjob
from alert_operator.permissions import OPERATOR_RULES, UI_ACTION_RULES
from devtools.chart import Rendered
from tests.install.conftest import operator_settings, sample_alert
from tests.install.kube_schemas import VERSIONS, schema_errors

CLUSTER_SCOPED = {
    "ClusterRole",
    "ClusterRoleBinding",
    "Namespace",
    "CustomResourceDefinition",
    "PriorityClass",
    "StorageClass",
    "PersistentVolume",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
}


def pod_problems(where: str, pod: dict[str, Any]) -> list[str]:
    """What makes a pod spec fall short of the restricted profile plus our own bar."""
    problems = [
        f"{where}: {host}" for host in ("hostNetwork", "hostPID", "hostIPC") if pod.get(host)
    ]
    problems += [
        f"{where}: hostPath volume {volume['name']}"
        for volume in pod.get("volumes", [])
        if "hostPath" in volume
    ]
    for container in pod.get("initContainers", []) + pod["containers"]:
        problems += container_problems(f"{where}/{container['name']}", pod, container)
    return problems


def container_problems(name: str, pod: dict[str, Any], container: dict[str, Any]) -> list[str]:
    context = container.get("securityContext", {})
    pod_context = pod.get("securityContext", {})

    def setting(key: str) -> Any:  # the container's value wins over the pod's
        return context.get(key, pod_context.get(key))

    user = setting("runAsUser")
    capabilities = context.get("capabilities", {})
    resources = container.get("resources", {})
    checks = {
        "runAsNonRoot is not true": setting("runAsNonRoot") is not True,
        f"runAsUser {user!r} is not a numeric non-root user": not isinstance(user, int)
        or user == 0,
        "root filesystem is writable": context.get("readOnlyRootFilesystem") is not True,
        "privilege escalation allowed": context.get("allowPrivilegeEscalation") is not False,
        "privileged": bool(context.get("privileged")),
        f"capabilities not all dropped: {capabilities}": "ALL" not in capabilities.get("drop", [])
        or bool(capabilities.get("add")),
        "seccomp profile is not RuntimeDefault": (setting("seccompProfile") or {}).get("type")
        != "RuntimeDefault",
    }
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            checks[f"no {resource} {kind[:-1]}"] = not resources.get(kind, {}).get(resource)
    return [f"{name}: {problem}" for problem, failed in checks.items() if failed]


def chart_pods(chart: Rendered) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{obj['kind']}/{obj['metadata']['name']}",
         obj["spec"] if obj["kind"] == "Pod" else obj["spec"]["template"]["spec"])
        for obj in chart.objects
        if obj["kind"] in {"Deployment", "Job", "Pod"}
    ]


def runner_cronjob(chart: Rendered) -> dict[str, Any]:
    return desired_cronjob(sample_alert(), operator_settings(chart))


def test_pod_checks_catch_a_bad_pod() -> None:
    bad = {
        "hostNetwork": True,
        "containers": [{"name": "c", "securityContext": {"runAsUser": 0, "privileged": True}}],
    }
    problems = "\n".join(pod_problems("Pod/bad", bad))
    for expected in (
        "hostNetwork",
        "runAsNonRoot",
        "runAsUser 0",
        "writable",
        "escalation",
        "privileged",
        "capabilities",
        "seccomp",
        "no cpu request",
        "no memory limit",
    ):
        assert expected in problems


def test_chart_pods_are_locked_down(rendered: Rendered) -> None:
    pods = chart_pods(rendered)
    assert {where.split("/")[0] for where, _ in pods} >= {"Deployment", "Job"}
    problems = [problem for where, pod in pods for problem in pod_problems(where, pod)]
    assert problems == [], "\n".join(problems)


def test_only_the_operator_gets_an_api_token(rendered: Rendered) -> None:
    for where, pod in chart_pods(rendered):
        expected = where.startswith("Deployment/")
        assert pod.get("automountServiceAccountToken") is expected, where
    operator_sa, runner_sa = rendered.of_kind("ServiceAccount")
    assert operator_sa.get("automountServiceAccountToken") is not False
    assert runner_sa["automountServiceAccountToken"] is False


def test_runner_pods_are_locked_down(rendered: Rendered) -> None:
    cronjob = runner_cronjob(rendered)
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod_problems("runner", pod) == []
    assert pod["automountServiceAccountToken"] is False
    # The pods use the chart's runner ServiceAccount, in the CronJobs' namespace, with no token
    # and no RBAC binding.
    runner_sa = rendered.of_kind("ServiceAccount")[1]
    assert pod["serviceAccountName"] == runner_sa["metadata"]["name"]
    assert cronjob["metadata"]["namespace"] == runner_sa["metadata"]["namespace"]
    assert runner_sa["automountServiceAccountToken"] is False
    subjects = [s["name"] for b in rendered.of_kind("RoleBinding") for s in b["subjects"]]
    assert runner_sa["metadata"]["name"] not in subjects
    # Kept on uninstall: the CronJobs outlive the release and their pods need it.
    assert runner_sa["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_runner_pods_read_the_charts_database_secret(rendered: Rendered) -> None:
    cronjob = runner_cronjob(rendered)
    [container] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    [url] = [item for item in container["env"] if item["name"] == "DATABASE_URL"]
    ref = url["valueFrom"]["secretKeyRef"]
    [operator_url] = [
        item
        for item in rendered.one("Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]
        if item["name"] == "DATABASE_URL"
    ]
    assert ref == operator_url["valueFrom"]["secretKeyRef"]
    created = {
        (s["metadata"]["namespace"], s["metadata"]["name"]) for s in rendered.of_kind("Secret")
    }
    if created:
        assert (cronjob["metadata"]["namespace"], ref["name"]) in created


@pytest.mark.parametrize("version", VERSIONS)
def test_runner_cronjob_validates_strictly(rendered: Rendered, version: str) -> None:
    # 1.27's schema lists podFailurePolicy rules' onPodConditions as required (its API server
    # only needs one of onExitCodes/onPodConditions): cronjob.py sends an empty list for it.
    errors = schema_errors(runner_cronjob(rendered), version)
    assert errors == [], "\n".join(errors)


def test_role_grants_exactly_the_operators_calls(rendered: Rendered) -> None:
    [role] = rendered.of_kind("Role")
    granted: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        assert set(rule) == {"apiGroups", "resources", "verbs"}, rule
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted.setdefault((group, resource), set()).update(rule["verbs"])
    wanted = {key: set(verbs) for key, verbs in OPERATOR_RULES.items()}
    if operator_settings(rendered).ui_actions_enabled:  # run-now from the web UI
        for key, verbs in UI_ACTION_RULES.items():
            wanted.setdefault(key, set()).update(verbs)
    assert granted == wanted
    for rule in role["rules"]:
        for field in ("apiGroups", "resources", "verbs"):
            assert not any("*" in item for item in rule[field]), rule


def test_role_lives_with_the_cronjobs(rendered: Rendered) -> None:
    namespace = operator_settings(rendered).namespace
    [role] = rendered.of_kind("Role")
    [binding] = rendered.of_kind("RoleBinding")
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == namespace
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    deployment = rendered.one("Deployment")
    [subject] = binding["subjects"]
    assert subject == {
        "kind": "ServiceAccount",
        "name": deployment["spec"]["template"]["spec"]["serviceAccountName"],
        "namespace": deployment["metadata"]["namespace"],
    }


def test_nothing_cluster_scoped(rendered: Rendered) -> None:
    for obj in rendered.objects:
        assert obj["kind"] not in CLUSTER_SCOPED, obj["kind"]
        assert obj["metadata"].get("namespace"), f"{obj['kind']}/{obj['metadata']['name']}"
