"""manifests/ is the chart rendered by scripts/generate-manifests.sh, valid and free of Helm."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from devtools import manifests
from devtools.chart import ROOT
from devtools.manifests import MANIFESTS_DIR, out_of_date
from tests.install.kube_schemas import VERSIONS, schema_errors
from tests.install.test_security import pod_problems


def manifest_objects() -> list[dict[str, Any]]:
    return [
        document
        for path in sorted(MANIFESTS_DIR.glob("*.yaml"))
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]


def test_manifests_are_generated_from_the_chart() -> None:
    problems = out_of_date()
    assert problems == [], "\n".join(problems) + "\nrun scripts/generate-manifests.sh"


def test_check_command_passes() -> None:
    # The script's --check exit status is what a user or CI would see.
    script = ROOT / "scripts" / "generate-manifests.sh"
    result = subprocess.run([script, "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_drift_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "manifests"
    shutil.copytree(MANIFESTS_DIR, copy)
    edited = copy / "30-operator.yaml"
    edited.write_text(edited.read_text().replace("replicas: 1", "replicas: 2"))
    (copy / "99-extra.yaml").write_text("kind: ConfigMap\n")
    (copy / "00-namespace.yaml").unlink()
    monkeypatch.setattr(manifests, "MANIFESTS_DIR", copy)
    assert manifests.out_of_date() == [
        "manifests/00-namespace.yaml: missing",
        "manifests/30-operator.yaml: differs from the chart",
        "manifests/99-extra.yaml: not generated from the chart (remove it)",
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_manifests_validate_strictly(version: str) -> None:
    errors = [error for obj in manifest_objects() for error in schema_errors(obj, version)]
    assert errors == [], "\n".join(errors)


def test_manifests_have_no_helm_leftovers() -> None:
    for path in MANIFESTS_DIR.glob("*.yaml"):
        text = path.read_text()
        assert "helm.sh/" not in text, path.name
        assert "{{" not in text, path.name
        assert "managed-by: Helm" not in text, path.name


def test_manifests_contents() -> None:
    objects = manifest_objects()
    kinds = sorted(f"{o['kind']}/{o['metadata']['name']}" for o in objects)
    assert kinds == [
        "Deployment/alert-operator",
        "Job/alert-operator-migrate",
        "Namespace/alerts",
        "Role/alert-operator",
        "RoleBinding/alert-operator",
        "Secret/alert-operator-database",
        "Service/alert-operator",
        "ServiceAccount/alert-operator",
        "ServiceAccount/alert-operator-runner",
    ]
    pods = [
        (o["kind"], o["spec"]["template"]["spec"])
        for o in objects
        if o["kind"] in {"Deployment", "Job"}
    ]
    problems = [problem for kind, pod in pods for problem in pod_problems(kind, pod)]
    assert problems == [], "\n".join(problems)
