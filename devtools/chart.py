"""Render the Helm chart offline with Helm's own template engine, as parsed objects.

The engine is Helm's Go code embedded in the PyPI wheel ``helm-python-sdk`` (pinned in the dev
extra): no helm binary, no cluster. Used by the manifest generator and the install tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART_DIR = ROOT / "helm" / "alert-operator"
NOTES = "NOTES.txt"

# Helm's install order (pkg/release/util/kind_sorter.go), for output in the order Helm applies.
KIND_ORDER = (
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
)


@dataclass(frozen=True)
class Rendered:
    """One value set rendered: its objects (in Helm's install order) and NOTES.txt."""

    objects: list[dict[str, Any]]
    templates: dict[str, str]
    notes: str

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects if obj["kind"] == kind]

    def one(self, kind: str, name: str | None = None) -> dict[str, Any]:
        """The only object of ``kind`` (and ``name``); fails naming what was there instead."""
        found = [o for o in self.of_kind(kind) if name is None or o["metadata"]["name"] == name]
        if len(found) != 1:
            present = sorted(f"{o['kind']}/{o['metadata']['name']}" for o in self.objects)
            raise LookupError(f"expected one {kind} {name or ''}, found {len(found)} in {present}")
        return found[0]


def _kind_rank(obj: dict[str, Any]) -> int:
    kind = obj.get("kind", "")
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def render(
    values: dict[str, Any],
    *,
    release: str = "alert-operator",
    namespace: str = "alerts",
    chart_dir: Path = CHART_DIR,
) -> Rendered:
    """Render like ``helm template``; raises ``helm_python.HelmError`` on bad values/templates."""
    with helm.Chart.load(chart_dir) as chart:
        templates = chart.render(values, name=release, namespace=namespace, is_install=True)
    objects: list[dict[str, Any]] = []
    notes = ""
    for path in sorted(templates):
        text = templates[path]
        if path.endswith(NOTES):
            notes = text
            continue
        for document in yaml.safe_load_all(text):
            if document is None:
                continue
            if not isinstance(document, dict):
                raise ValueError(f"{path}: a document that is not a mapping: {document!r}")
            objects.append(document)
    objects.sort(key=_kind_rank)  # stable: template order within a kind
    return Rendered(objects=objects, templates=templates, notes=notes)


def lint(values: dict[str, Any], *, chart_dir: Path = CHART_DIR) -> list[str]:
    """``helm lint --strict`` findings worse than info, as ``"path: message"`` lines."""
    report = helm.lint(chart_dir, values, strict=True, namespace="alerts")
    findings = [
        f"{message['path']}: {message['error']}"
        for message in report.get("messages", [])
        if int(message.get("severity", 0)) >= 2 or int(message.get("severity", 0)) == 0
    ]
    findings.extend(str(error) for error in report.get("errors") or [])
    return findings
