"""The two images' Dockerfiles: hadolint-clean, and what matters in their text.

No container engine is available here, so the images are checked as text: pinned slim base,
multi-stage, only the needed extra installed, a numeric non-root user, the right entrypoint.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from alert_core.cronjob import RUNNER_UID

ROOT = Path(__file__).resolve().parents[2]
HADOLINT = Path(sys.executable).parent / "hadolint"
PINNED_BASE = re.compile(r"^python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?$")


@dataclass(frozen=True)
class Image:
    dockerfile: str
    extra: str
    entrypoint: list[str]
    sources: frozenset[str]  # package folders the build copies
    removed_scripts: frozenset[str]


IMAGES = [
    Image("Dockerfile.runner", "runner", ["alert-runner"], frozenset({"core/", "runner/"}),
          frozenset({"alertctl", "alert-operator"})),
    Image("Dockerfile.operator", "operator", ["alert-operator", "run"],
          frozenset({"core/", "operator/", "ctl/"}), frozenset({"alert-runner"})),
]


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def _stages(text: str) -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, rest in _instructions(text):
        if keyword == "FROM":
            stages.append([])
        stages[-1].append((keyword, rest))
    return stages


@pytest.mark.parametrize("image", IMAGES, ids=lambda image: image.dockerfile)
def test_hadolint_passes(image: Image) -> None:
    done = subprocess.run(
        [str(HADOLINT), "--no-color", str(ROOT / image.dockerfile)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("image", IMAGES, ids=lambda image: image.dockerfile)
def test_image_essentials(image: Image) -> None:
    stages = _stages((ROOT / image.dockerfile).read_text())
    assert len(stages) >= 2, "multi-stage: build and final"
    for stage in stages:
        base = stage[0][1].split()[0]
        assert PINNED_BASE.match(base), f"unpinned or non-slim base {base}"

    build, final = stages[0], stages[-1]
    runs = " ".join(rest for keyword, rest in build if keyword == "RUN")
    installs = re.findall(r"\[([a-z,]+)\]", runs)
    assert installs == [image.extra], f"installs extras {installs}, wants only {image.extra}"
    for script in image.removed_scripts:
        assert f"/opt/venv/bin/{script}" in runs
    copied = {rest.split()[0] for keyword, rest in build if keyword == "COPY"}
    assert copied - {"pyproject.toml"} == image.sources

    final_keywords = [keyword for keyword, _ in final]
    final_text = " ".join(rest for _, rest in final)
    assert "COPY" in final_keywords and "--from=build /opt/venv /opt/venv" in final_text
    assert not re.search(r"apt-get|apk|gcc|build-essential|pip install", final_text), (
        "no package installs or compilers in the final stage")
    [user] = [rest for keyword, rest in final if keyword == "USER"]
    assert user == f"{RUNNER_UID}:{RUNNER_UID}"
    assert final_keywords.index("USER") > final_keywords.index("COPY")
    [entrypoint] = [rest for keyword, rest in final if keyword == "ENTRYPOINT"]
    assert json.loads(entrypoint) == image.entrypoint  # exec form: signals reach the program
    assert "PYTHONUNBUFFERED=1" in final_text


def test_entrypoints_are_console_scripts() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert {"alert-runner", "alert-operator", "alertctl"} <= set(scripts)
    assert scripts["alert-runner"] == "alert_runner.cli:main"


def test_dockerignore_is_an_allow_list() -> None:
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[0] == "*"  # .git, .venv, tests, caches and anything new stay out
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "core/", "runner/", "operator/", "ctl/"}
    assert "**/__pycache__" in lines
