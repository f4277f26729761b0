"""Machine-readable results: one JSON file per benchmark in ``bench/results/``.

Every file carries the facts needed to judge it later: sizes, the floor measured beside it,
ratios, goals, package versions and the machine (cores, CPU model, kernel, Python), and that
the machine was shared with other work while it ran.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TIMES = "\N{MULTIPLICATION SIGN}"
PACKAGES = ("alert-operator", "kopf", "aiohttp", "asyncpg", "sqlalchemy", "pydantic", "kmock")


@dataclass
class Goal:
    """``value`` must be at most ``limit`` (or exactly ``limit`` when ``exact``)."""

    what: str
    value: float
    limit: float
    unit: str = TIMES
    exact: bool = False

    @property
    def met(self) -> bool:
        return self.value == self.limit if self.exact else self.value <= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}


@dataclass
class Result:
    name: str
    title: str
    params: dict[str, Any]
    figures: dict[str, Any]
    floor: dict[str, Any] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self, *, quick: bool) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "params": self.params,
            "figures": self.figures,
            "floor": self.floor,
            "ratios": {key: round(value, 3) for key, value in self.ratios.items()},
            "goals": [goal.as_dict() for goal in self.goals],
            "notes": self.notes,
            "quick": quick,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_facts(),
            "versions": versions(),
        }


def ratio(value: float, floor: float) -> float:
    return value / floor if floor > 0 else float("inf")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _load() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


def machine_facts() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": sys.version.split()[0],
        "kernel": platform.release(),
        "platform": platform.platform(),
        "load_average": _load(),
        # Other engineers' test runs share these cores: that is why every figure is a ratio.
        "shared": True,
    }


def versions() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def write(result: Result, *, quick: bool, directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result.name}.json"
    path.write_text(json.dumps(result.as_dict(quick=quick), indent=2, sort_keys=False) + "\n")
    return path


def read_all(directory: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]
