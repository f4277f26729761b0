"""The rules and the dashboard as files, and every PromQL expression in them."""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

import pytest
import yaml

from devtools.monitoring import CHART_DASHBOARD, MONITORING_DIR, RULES_FILE

# Grafana's query variables: label_values(<series selector>, <label>).
_LABEL_VALUES = re.compile(r"^label_values\((.*),\s*\w+\)$")


def promtool() -> str:
    """promtool's path; the test fails (never skips) without it."""
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found: install Debian's 'prometheus' package, which ships it"
                    " (scripts/setup.sh does)")
    return path


def rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load((MONITORING_DIR / RULES_FILE).read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CHART_DASHBOARD.read_text())
    return loaded


def dashboard_expressions() -> dict[str, str]:
    """Where -> expression, of every panel target and every query variable."""
    found = {}
    for panel in dashboard()["panels"]:
        for target in panel.get("targets", []):
            found[f"panel {panel['title']!r} {target['refId']}"] = target["expr"]
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            match = _LABEL_VALUES.match(variable["query"]["query"])
            assert match, f"variable {variable['name']}: not label_values(...)"
            found[f"variable {variable['name']}"] = match.group(1)
    return found


def rule_expressions() -> dict[str, str]:
    return {f"rule {rule['alert']}": rule["expr"] for rule in rules()}
