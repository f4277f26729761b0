"""The READMEs' table of chart values, generated from the ``# --`` comments in values.yaml.

A comment starting with ``# --`` (continued by plain ``#`` lines) documents the key right below
it; the table shows the key's dotted path, its default and the comment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from devtools.chart import CHART_DIR, ROOT

VALUES = CHART_DIR / "values.yaml"
README = ROOT / "README.md"
# What `helm show readme` prints.
CHART_README = CHART_DIR / "README.md"
READMES = (README, CHART_README)
START = "<!-- values-table:start (generated from values.yaml by scripts/generate-manifests.sh) -->"
END = "<!-- values-table:end -->"

_DOC_START = re.compile(r"^\s*# -- ?(.*)$")
_DOC_MORE = re.compile(r"^\s*# ?(.*)$")
_KEY = re.compile(r"^(\s*)([A-Za-z0-9_]+):")


def documented(path: Path = VALUES) -> dict[str, str]:
    """Dotted key path -> its ``# --`` description, in file order."""
    docs: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    pending: list[str] | None = None
    for line in path.read_text().splitlines():
        if start := _DOC_START.match(line):
            pending = [start.group(1)]
            continue
        if pending is not None and (more := _DOC_MORE.match(line)):
            pending.append(more.group(1))
            continue
        key = _KEY.match(line)
        if key is None:
            continue
        indent = len(key.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key.group(2)))
        if pending is not None:
            docs[".".join(name for _, name in stack)] = " ".join(pending).strip()
            pending = None
    return docs


def defaults(path: Path = VALUES) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def lookup(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        node = node[part]
    return node


def leaf_paths(values: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every leaf (a non-empty mapping is not a leaf)."""
    paths = []
    for key, value in values.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            paths.extend(leaf_paths(value, dotted + "."))
        else:
            paths.append(dotted)
    return paths


def table(path: Path = VALUES) -> str:
    values = defaults(path)
    rows = ["| Value | Default | Description |", "| --- | --- | --- |"]
    for dotted, description in documented(path).items():
        default = json.dumps(lookup(values, dotted), separators=(", ", ": "))
        cell = description.replace("|", "\\|")
        rows.append(f"| `{dotted}` | `{default}` | {cell} |")
    return "\n".join(rows)


def readme_with_table(readme: str, path: Path = VALUES) -> str:
    """The README with the text between the table markers replaced by :func:`table`."""
    if START not in readme or END not in readme:
        raise ValueError(f"markers {START!r} and {END!r} not found")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table(path)}\n{END}{tail}"
