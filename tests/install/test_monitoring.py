"""The alerting rules (promtool check and unit tests), the dashboard, and how the chart ships
them: PrometheusRule, the dashboard's ConfigMap and the plain files in monitoring/."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from devtools.chart import Rendered
from devtools.manifests import NAMESPACE, PLAIN_VALUES, RELEASE
from devtools.monitoring import (
    CHART_DASHBOARD,
    DASHBOARD_FILE,
    MONITORING_DIR,
    RULES_FILE,
    rule_groups,
)
from devtools.values_doc import README
from tests.install.monitoring_files import (
    dashboard,
    dashboard_expressions,
    promtool,
    rules,
)
from tests.install.promql import metric_names

HERE = Path(__file__).resolve().parent
RULE_TESTS = HERE / "rules_test.yaml"
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "6h"}


def run_promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *map(str, args)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_promtool_checks_the_rules() -> None:
    result = run_promtool("check", "rules", MONITORING_DIR / RULES_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules())} rules found" in result.stdout


def test_promtool_checks_the_rules_of_every_value_set(
    rendered_sets: dict[str, Rendered], tmp_path: Path
) -> None:
    for name, chart in rendered_sets.items():
        for rule in chart.of_kind("PrometheusRule"):
            path = tmp_path / f"{name}.yaml"
            path.write_text(yaml.safe_dump(rule["spec"]))
            result = run_promtool("check", "rules", path)
            assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"


def test_rule_unit_tests_pass() -> None:
    result = run_promtool("test", "rules", RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rule_unit_tests_catch_a_broken_rule(tmp_path: Path) -> None:
    # Without the "new series" half, an alert's first failure is missed: the tests must say so.
    text = (MONITORING_DIR / RULES_FILE).read_text()
    broken = re.sub(r"\) > 0\n\s*or\n.*?offset 1h\n\s*\)", ") > 0", text, flags=re.DOTALL)
    assert broken != text
    (tmp_path / "monitoring").mkdir()
    (tmp_path / "monitoring" / RULES_FILE).write_text(broken)
    (tmp_path / "tests" / "install").mkdir(parents=True)
    shutil.copy(RULE_TESTS, tmp_path / "tests" / "install" / RULE_TESTS.name)
    result = run_promtool("test", "rules", tmp_path / "tests" / "install" / RULE_TESTS.name)
    assert result.returncode != 0
    assert "alertname: AlertOperatorRunsFailing, time: 1h35m" in result.stdout + result.stderr


def test_every_rule_is_tested_and_documented() -> None:
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))
    readme = README.read_text()
    runbook = readme[readme.index("### Runbook"):]
    for rule in rules():
        name = rule["alert"]
        assert name in tested, f"{name}: no promtool unit test"
        annotations = rule["annotations"]
        assert set(annotations) == {"summary", "description", "runbook_url"}, name
        assert annotations["runbook_url"].endswith(f"README.md#{name.lower()}")
        assert f"\n#### {name}\n" in runbook, f"{name}: no runbook section in README.md"
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}


def test_plain_rules_are_the_charts_for_the_plain_install() -> None:
    # monitoring/ is generated (test_manifests checks the files are current): here, what they
    # hold: the chart's PrometheusRule spec as the plain install's release renders it.
    plain = yaml.safe_load((MONITORING_DIR / RULES_FILE).read_text())
    assert plain == rule_groups(PLAIN_VALUES, release=RELEASE, namespace=NAMESPACE)
    assert 'namespace="alerts", job="alert-operator"' in plain["groups"][0]["rules"][0]["expr"]


def test_values_reach_the_rules(rendered_sets: dict[str, Rendered]) -> None:
    [rule] = rendered_sets["monitoring"].of_kind("PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "prom"
    assert rule["metadata"]["namespace"] == "alerts"
    by_name = {r["alert"]: r for r in rule["spec"]["groups"][0]["rules"]}
    for item in by_name.values():
        assert item["labels"]["team"] == "payments"
        for name in metric_names(item["expr"]):
            assert f'{name}{{job="alerts", cluster="eu-1"}}' in item["expr"], item["alert"]
    assert "[30m]" in by_name["AlertOperatorRunsFailing"]["expr"]
    assert "offset 30m" in by_name["AlertOperatorRunsFailing"]["expr"]
    assert "[2d]" in by_name["AlertOperatorNoRuns"]["expr"]
    assert "> 900" in by_name["AlertOperatorSyncStale"]["expr"]  # operator.maxSyncAgeSeconds
    assert set(rule) == {"apiVersion", "kind", "metadata", "spec"}
    assert [set(group) for group in rule["spec"]["groups"]] == [{"name", "rules"}]


def test_dashboard_expressions_parse(tmp_path: Path) -> None:
    # promtool parses each expression as a recording rule (Grafana's variables filled in).
    records = []
    for index, expression in enumerate(dashboard_expressions().values()):
        for variable, value in GRAFANA_VARIABLES.items():
            expression = expression.replace(variable, value)
        records.append({"record": f"dashboard:expression_{index}", "expr": expression})
    path = tmp_path / "dashboard.rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": records}]}))
    result = run_promtool("check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_shows_what_the_issue_asks() -> None:
    names = {name for e in dashboard_expressions().values() for name in metric_names(e)}
    for metric in (
        "alert_operator_syncs_total", "alert_operator_sync_duration_seconds_bucket",
        "alert_operator_actions_total", "alert_operator_api_errors_total",
        "alert_operator_change_latency_seconds_bucket", "alert_operator_managed_cronjobs",
        "alert_operator_invalid_alerts", "alert_operator_runs_total", "alert_operator_runs_due",
    ):
        assert metric in names
    board = dashboard()
    assert board["uid"] == "alert-operator"
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            assert 'namespace=~"$namespace", job=~"$job"' in target["expr"], panel["title"]


def test_dashboard_configmap(rendered_sets: dict[str, Rendered]) -> None:
    configmap = rendered_sets["monitoring"].one("ConfigMap")
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert configmap["metadata"]["annotations"] == {"grafana_folder": "Operators"}
    assert json.loads(configmap["data"][DASHBOARD_FILE]) == dashboard()
    assert (MONITORING_DIR / DASHBOARD_FILE).read_text() == CHART_DASHBOARD.read_text()
    assert not rendered_sets["defaults"].of_kind("ConfigMap")
    assert not rendered_sets["defaults"].of_kind("PrometheusRule")


def test_helm_test_pod(rendered_sets: dict[str, Rendered]) -> None:
    chart = rendered_sets["monitoring"]
    pod = chart.one("Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["spec"]["restartPolicy"] == "Never"
    [container] = pod["spec"]["containers"]
    assert container["command"] == ["python", "-m", "alert_operator.selfcheck"]
    service = chart.one("Service")
    [port] = service["spec"]["ports"]
    name, namespace = service["metadata"]["name"], service["metadata"]["namespace"]
    assert container["args"] == [f"http://{name}.{namespace}.svc:{port['port']}"]
    assert container["image"] == chart.one("Deployment")["spec"]["template"]["spec"][
        "containers"][0]["image"]
    assert container["resources"]["limits"] == {"cpu": "100m", "memory": "64Mi"}


def test_network_policy_lets_the_helm_test_in(rendered_sets: dict[str, Rendered]) -> None:
    chart = rendered_sets["network-policy"]
    pod_labels = chart.one("Pod")["metadata"]["labels"]
    operator_policy = chart.of_kind("NetworkPolicy")[0]
    [status_rule] = [rule for rule in operator_policy["spec"]["ingress"]
                     if rule["ports"][0]["port"] == "status"]
    selectors = [peer["podSelector"]["matchLabels"] for peer in status_rule["from"]
                 if "podSelector" in peer]
    assert any(selector.items() <= pod_labels.items() for selector in selectors)
