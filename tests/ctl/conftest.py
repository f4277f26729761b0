"""alertctl's tests: the real PostgreSQL (tests/conftest.py) and, for the cluster commands, the
operator tests' Kubernetes API emulator over HTTP (reused from tests/operator/conftest.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from alert_ctl.cli import app
from tests.operator.conftest import (  # noqa: F401  (fixtures re-exported for tests/ctl)
    CRONJOBS,
    JOBS,
    NAMESPACE,
    Database,
    Emulator,
    db,
    emulator,
    kubeconfig,
    wait_for,
)

# Ports nothing listens on: "no database" and "no cluster" without waiting for a timeout.
DEAD_DATABASE_URL = "postgresql://nobody:secret-password@127.0.0.1:9/nothing"
DEAD_CLUSTER = "http://127.0.0.1:9"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No settings or cluster from the developer's shell leak into a test (autouse: it runs
    before the fixtures that set KUBECONFIG)."""
    for name in ("DATABASE_URL", "TEST_DATABASE_URL", "ALERT_NAMESPACE", "KUBECONFIG", "USER"):
        monkeypatch.delenv(name, raising=False)
    # No ~/.kube/config either: kopf's kubeconfig login falls back to it.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def alertctl(clean_env: None) -> Callable[..., Result]:
    """Run alertctl in-process: ``alertctl("status", "-o", "json")``."""

    def _run(*args: str, env: dict[str, str] | None = None) -> Result:
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    return _run


def add_run(
    database: Database,
    alert_id: uuid.UUID,
    job_name: str,
    *,
    status: str = "succeeded",
    trigger: str = "schedule",
    scheduled_for: datetime | None = None,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    attempts: int = 1,
    error: str | None = None,
) -> None:
    database.execute(
        "INSERT INTO alert_operator.alert_runs (alert_id, job_name, trigger, scheduled_for,"
        " status, attempts, started_at, finished_at, error) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        alert_id, job_name, trigger, scheduled_for, status, attempts, started_at, finished_at,
        error,
    )
