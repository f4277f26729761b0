"""Generate ``monitoring/`` (the alerting rules and the Grafana dashboard, for a Prometheus and
a Grafana without the chart) from the Helm chart, so that the two cannot drift.

- ``alert-operator.rules.yaml``: the chart's PrometheusRule ``spec`` (a Prometheus rule file),
  rendered with the same fixed values as ``manifests/`` (release ``alert-operator``, namespace
  ``alerts``); for another install, render your own (README "Alerting rules and dashboard").
- ``alert-operator-dashboard.json``: the chart's dashboard file, as it is (it has no Helm
  templating: Grafana variables pick the namespace and job).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from devtools.chart import CHART_DIR, ROOT, render

MONITORING_DIR = ROOT / "monitoring"
RULES_FILE = "alert-operator.rules.yaml"
DASHBOARD_FILE = "alert-operator-dashboard.json"
CHART_DASHBOARD = CHART_DIR / "dashboards" / DASHBOARD_FILE
HEADER = (
    "# Generated from helm/alert-operator (templates/prometheusrule.yaml) by\n"
    "# scripts/generate-manifests.sh: do not edit. Rendered for release alert-operator in\n"
    "# namespace alerts; README.md \"Runbook\" says what to do about each alert.\n"
)


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (the longer PromQL expressions) as ``|`` blocks, as in the template."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _string)


def rule_groups(values: dict[str, Any], *, release: str, namespace: str) -> dict[str, Any]:
    """The chart's PrometheusRule ``spec`` for these values: a Prometheus rule file."""
    enabled = {**values, "monitoring": {"prometheusRule": {"enabled": True}}}
    spec: dict[str, Any] = render(enabled, release=release, namespace=namespace).one(
        "PrometheusRule"
    )["spec"]
    return spec


def generate(values: dict[str, Any], *, release: str, namespace: str) -> dict[str, str]:
    """File name -> content of every file in monitoring/."""
    groups = rule_groups(values, release=release, namespace=namespace)
    return {
        RULES_FILE: HEADER + yaml.dump(groups, Dumper=_BlockDumper, sort_keys=False, width=100),
        DASHBOARD_FILE: CHART_DASHBOARD.read_text(),
    }


def out_of_date(wanted: dict[str, str], directory: Path = MONITORING_DIR) -> list[str]:
    problems = []
    for name, content in wanted.items():
        path = directory / name
        if not path.exists():
            problems.append(f"monitoring/{name}: missing")
        elif path.read_text() != content:
            problems.append(f"monitoring/{name}: differs from the chart")
    return problems


def write(wanted: dict[str, str], directory: Path = MONITORING_DIR) -> None:
    directory.mkdir(exist_ok=True)
    for name, content in wanted.items():
        (directory / name).write_text(content)
