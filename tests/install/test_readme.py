"""The README's install section matches the chart: values, names, files and commands."""

from __future__ import annotations

import re

import yaml

from devtools.chart import CHART_DIR, ROOT, render
from devtools.manifests import MANIFESTS_DIR, NAMESPACE
from devtools.values_doc import (
    CHART_README,
    README,
    READMES,
    defaults,
    documented,
    leaf_paths,
    readme_with_table,
)

UNINSTALL = "kubectl delete cronjobs -l app.kubernetes.io/managed-by=alert-operator -n alerts"


def install_section() -> str:
    text = README.read_text()
    start = text.index("## Install\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_values_table_is_generated_from_values_yaml() -> None:
    for readme in READMES:
        text = readme.read_text()
        assert readme_with_table(text) == text, f"{readme}: run scripts/generate-manifests.sh"
        assert "| `monitoring.prometheusRule.enabled` | `false` |" in text


def test_chart_readme_is_what_helm_shows() -> None:
    # `helm show readme` prints the chart's README.md.
    assert CHART_README.parent == CHART_DIR
    text = CHART_README.read_text()
    assert text.startswith("# alert-operator\n")
    for topic in ("## Install", "## `helm test`", "## Monitoring", "## Values"):
        assert f"\n{topic}\n" in text
    assert "helm test alert-operator -n alerts" in text


def test_chart_metadata_is_complete() -> None:
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    home = "https://github.com/alert-operator/alert-operator"
    assert chart["home"] == home
    assert home in chart["sources"]
    assert chart["keywords"] and all(isinstance(k, str) for k in chart["keywords"])
    assert all(m["name"] and (m.get("url") or m.get("email")) for m in chart["maintainers"])
    raw = "https://raw.githubusercontent.com/alert-operator/alert-operator/main/"
    assert chart["icon"].startswith(raw)
    assert (ROOT / chart["icon"].removeprefix(raw)).is_file(), "the icon's file is in the repo"


def test_every_value_is_documented() -> None:
    docs = documented()
    undocumented = [
        path
        for path in leaf_paths(defaults())
        if not any(path == key or path.startswith(key + ".") for key in docs)
    ]
    assert undocumented == []


def test_values_named_in_the_readme_exist() -> None:
    values = defaults()
    named = set(re.findall(r"(?:--set |`)([a-zA-Z]\w*(?:\.\w+)+)=", install_section()))
    assert "database.existingSecret" in named
    for dotted in named:
        node = values
        for part in dotted.split("."):
            assert isinstance(node, dict) and part in node, f"README names unknown value {dotted}"
            node = node[part]


def test_readme_install_commands_render() -> None:
    section = install_section()
    assert "helm install alert-operator helm/alert-operator -n alerts --create-namespace" in section
    chart = render({"database": {"existingSecret": "alert-operator-database"}})
    names = {f"{o['kind'].lower()}/{o['metadata']['name']}" for o in chart.objects}
    for reference in re.findall(r"\b(job|serviceaccount|secret)/([a-z0-9-]+)", section):
        kind, name = reference
        if kind == "secret":
            continue  # the user's own Secret in this value set
        assert f"{kind}/{name}" in names, f"README refers to {kind}/{name}"
    with_url = render({"database": {"url": "postgresql://USER:PASSWORD@HOST:5432/DATABASE"}})
    secrets = {s["metadata"]["name"] for s in with_url.of_kind("Secret")}
    assert secrets == {"alert-operator-database"}
    assert "secret/alert-operator-database" in section


def test_readme_tells_what_uninstall_leaves() -> None:
    section = install_section()
    assert UNINSTALL in section
    assert "keep firing" in section
    assert "helm uninstall alert-operator -n alerts" in section
    assert "helm upgrade alert-operator helm/alert-operator -n alerts" in section


def test_readme_plain_install_matches_manifests() -> None:
    section = install_section()
    files = set(re.findall(r"manifests/([\w.-]+\.yaml)", section))
    assert files == {path.name for path in MANIFESTS_DIR.glob("*.yaml")}
    assert f"-n {NAMESPACE}" in section
    job = yaml.safe_load((MANIFESTS_DIR / "20-migration-job.yaml").read_text())
    assert f"job/{job['metadata']['name']}" in section
    assert (ROOT / "scripts" / "generate-manifests.sh").exists()
