"""Generate ``manifests/`` (plain YAML for installs without Helm) from the Helm chart.

    python -m devtools.manifests            # rewrite manifests/, monitoring/, the values tables
    python -m devtools.manifests --check    # exit 1 naming what is out of date

The manifests are the chart rendered with fixed values (release ``alert-operator``, namespace
``alerts``, an existing Secret ``alert-operator-database``), minus what only Helm understands
(hook annotations, Helm's labels), so the two cannot drift: a test runs ``--check``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from devtools import monitoring
from devtools.chart import ROOT, Rendered, render
from devtools.values_doc import READMES, readme_with_table

MANIFESTS_DIR = ROOT / "manifests"
NAMESPACE = "alerts"
RELEASE = "alert-operator"
SECRET_NAME = "alert-operator-database"
# The database Secret the plain install expects (see 10-database-secret.example.yaml).
PLAIN_VALUES: dict[str, Any] = {"database": {"existingSecret": SECRET_NAME}}
EXAMPLE_URL = "postgresql://USER:PASSWORD@HOST:5432/DATABASE"
SECRET_EXAMPLE_VALUES: dict[str, Any] = {"database": {"url": EXAMPLE_URL}}
HELM_ONLY_LABELS = {"helm.sh/chart"}
HEADER = "# Generated from helm/alert-operator by scripts/generate-manifests.sh: do not edit.\n"


def _strip_helm(node: Any) -> Any:
    """Remove Helm's hook annotations and Helm's own labels from every ``metadata``."""
    if isinstance(node, list):
        return [_strip_helm(item) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "metadata" and isinstance(value, dict):
            result[key] = _strip_metadata(value)
        else:
            result[key] = _strip_helm(value)
    return result


def _strip_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(metadata)
    labels = {
        key: value
        for key, value in (metadata.get("labels") or {}).items()
        if key not in HELM_ONLY_LABELS
        and not (key == "app.kubernetes.io/managed-by" and value == "Helm")
    }
    annotations = {
        key: value
        for key, value in (metadata.get("annotations") or {}).items()
        if not key.startswith("helm.sh/")
    }
    for field, kept in (("labels", labels), ("annotations", annotations)):
        if kept:
            cleaned[field] = kept
        else:
            cleaned.pop(field, None)
    return cleaned


def _dump(comment: str, objects: list[dict[str, Any]]) -> str:
    documents = [
        yaml.safe_dump(_strip_helm(obj), sort_keys=False, width=100, default_flow_style=False)
        for obj in objects
    ]
    return HEADER + comment + "---\n" + "---\n".join(documents)


def _namespace() -> dict[str, Any]:
    # Every pod here (operator, migration, runner pods) meets the "restricted" Pod Security
    # Standard, so the namespace can enforce it.
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": NAMESPACE,
            "labels": {
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        },
    }


def _component(obj: dict[str, Any]) -> str:
    labels: dict[str, str] = obj["metadata"].get("labels", {})
    return labels.get("app.kubernetes.io/component", "")


def generate() -> dict[str, str]:
    """File name -> content of every file in manifests/."""
    chart: Rendered = render(PLAIN_VALUES, release=RELEASE, namespace=NAMESPACE)
    example: Rendered = render(SECRET_EXAMPLE_VALUES, release=RELEASE, namespace=NAMESPACE)
    migration = [o for o in chart.objects if _component(o) == "migration"]
    # The `helm test` Pod means nothing without Helm.
    operator = [o for o in chart.objects if _component(o) not in ("migration", "helm-test")]
    return {
        "00-namespace.yaml": _dump(
            "# The namespace of the operator and the CronJobs.\n", [_namespace()]
        ),
        "10-database-secret.example.yaml": _dump(
            "# Example only: put your database URL in it, or create the Secret with\n"
            f"#   kubectl -n {NAMESPACE} create secret generic {SECRET_NAME} \\\n"
            "#     --from-literal=url=...\n",
            example.of_kind("Secret"),
        ),
        "20-migration-job.yaml": _dump(
            "# alertctl migrate: run it (and wait for it) before the operator, and again after\n"
            "# every upgrade (delete the finished Job first).\n",
            migration,
        ),
        "30-operator.yaml": _dump(
            "# The operator: ServiceAccounts, RBAC, status Service, Deployment.\n", operator
        ),
    }


def out_of_date() -> list[str]:
    """What ``generate`` would change: files differing, missing or extra; the values table."""
    wanted = generate()
    problems = []
    present = {path.name for path in MANIFESTS_DIR.glob("*.yaml")}
    for name in sorted(present | set(wanted)):
        path = MANIFESTS_DIR / name
        if name not in wanted:
            problems.append(f"manifests/{name}: not generated from the chart (remove it)")
        elif name not in present:
            problems.append(f"manifests/{name}: missing")
        elif path.read_text() != wanted[name]:
            problems.append(f"manifests/{name}: differs from the chart")
    problems += monitoring.out_of_date(_monitoring())
    for readme in READMES:
        text = readme.read_text()
        if readme_with_table(text) != text:
            name = readme.relative_to(ROOT)
            problems.append(f"{name}: the values table differs from values.yaml")
    return problems


def _monitoring() -> dict[str, str]:
    return monitoring.generate(PLAIN_VALUES, release=RELEASE, namespace=NAMESPACE)


def write() -> None:
    MANIFESTS_DIR.mkdir(exist_ok=True)
    wanted = generate()
    for path in MANIFESTS_DIR.glob("*.yaml"):
        if path.name not in wanted:
            path.unlink()
    for name, content in wanted.items():
        (MANIFESTS_DIR / name).write_text(content)
    monitoring.write(_monitoring())
    for readme in READMES:
        readme.write_text(readme_with_table(readme.read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report what is out of date")
    args = parser.parse_args(argv)
    if args.check:
        problems = out_of_date()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run scripts/generate-manifests.sh", file=sys.stderr)
        return 1 if problems else 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
