"""`helm lint --strict` for every value set, and yamllint on the chart's plain YAML files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from yamllint import linter
from yamllint.config import YamlLintConfig

from devtools.chart import CHART_DIR, lint
from tests.install.value_sets import VALUE_SETS

YAMLLINT = YamlLintConfig(
    "extends: default\n"
    "rules:\n"
    "  line-length: {max: 100}\n"
    "  comments: {min-spaces-from-content: 1}\n"
)


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_helm_lint_strict(value_set: str) -> None:
    findings = lint(VALUE_SETS[value_set])
    assert findings == [], "\n".join(findings)


def test_helm_lint_catches_a_broken_chart(tmp_path: Path) -> None:
    copy = tmp_path / "alert-operator"
    shutil.copytree(CHART_DIR, copy)
    (copy / "templates" / "broken.yaml").write_text("kind: [unclosed\n")
    findings = lint(VALUE_SETS["defaults"], chart_dir=copy)
    assert any("broken.yaml" in finding for finding in findings), findings


@pytest.mark.parametrize("name", ["values.yaml", "Chart.yaml"])
def test_yamllint(name: str) -> None:
    path = CHART_DIR / name
    problems = [
        f"{name}:{p.line}:{p.column}: {p.level}: {p.message}"
        for p in linter.run(path.read_text(), YAMLLINT, str(path))
    ]
    assert problems == [], "\n".join(problems)
