"""`make run` without a cluster: the real operator process in dry-run against the real
PostgreSQL, fed the quick start's tour (devtools.demo.TOUR). Its shadow of the cluster makes
every kind of change show in the log, once each, and the start-up line says where to look."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.demo import DEMO_ALERTS, TOUR, seed
from tests.operator.conftest import Database, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
VALID_DEMO_ALERTS = len(DEMO_ALERTS) - 1  # one is broken on purpose


class Process:
    """``alert-operator run --dry-run`` in a process of its own; its log lines as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "alert_operator.main", *args], env=env, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    def matching(self, pattern: str) -> list[str]:
        return [line for line in list(self.lines) if re.search(pattern, line)]

    def wait_for_line(self, pattern: str, count: int = 1) -> list[str]:
        return wait_for(lambda: (found := self.matching(pattern)) and len(found) >= count
                        and found, timeout=30, what=f"{count} log line(s) /{pattern}/:\n"
                        + "\n".join(self.lines[-20:]))


@pytest.fixture
def dry_run_operator(database_url: str, tmp_path: Path) -> Iterator[tuple[Process, int]]:
    asyncio.run(seed(database_url))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ALERT_", "KUBERNETES_")) and key != "DATABASE_URL"}
    # No cluster at all: no kubeconfig, no ~/.kube/config, not in a pod.
    env.update(HOME=str(tmp_path), KUBECONFIG=str(tmp_path / "no-kubeconfig"),
               PYTHONPATH=str(ROOT))
    port = free_port()
    process = Process(["run", "--dry-run", "--database-url", database_url, "-n", "alerts",
                       "--status-port", str(port), "--liveness-port", str(free_port()),
                       "--resync-interval", "1", "--log-format", "text"], env)
    try:
        yield process, port
    finally:
        if process.popen.poll() is None:
            process.popen.kill()
        process.popen.wait(timeout=30)


def _status(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=10) as response:
        document: dict[str, Any] = json.load(response)
    return document


def test_dry_run_without_a_cluster_shows_every_kind_of_change(
    dry_run_operator: tuple[Process, int], db: Database
) -> None:
    process, port = dry_run_operator
    [hint] = process.wait_for_line("where to look:")
    assert "`alertctl status -n alerts`" in hint
    assert f"http://localhost:{port}/status" in hint and f"http://localhost:{port}/metrics" in hint
    process.wait_for_line("would create CronJob", VALID_DEMO_ALERTS)
    process.wait_for_line(r"full sync: .* 0 actions", 2)  # later syncs compare with the shadow

    for expected, statement in TOUR:
        db.execute(statement)
        process.wait_for_line("dry-run: " + re.escape(expected).replace(r"\.\.\.", ".*"))

    [recreate] = process.matching("would recreate")[:1]
    assert "for alert 'Morning revenue digest': 15 7 * * * Europe/Paris" in recreate
    assert "(schedule changed: recreated so no run before the change is 'missed')" in recreate
    assert len(process.matching("would suspend")) == 1
    process.wait_for_line(r"full sync: .* 0 actions", 4)
    # Each change once: the shadow holds what was "applied", so nothing is planned twice.
    assert len(process.matching("would create CronJob")) == VALID_DEMO_ALERTS + 1
    assert len(process.matching("would recreate CronJob")) == 2
    status = _status(port)
    assert status["status"] == "dry-run"
    states = {alert["name"]: alert["cronjob"] for alert in status["alerts"]}
    assert states["Morning revenue digest (EU)"] == states["Friday report"] == "in sync"
    assert "Half-hourly error budget" not in states

    process.popen.send_signal(signal.SIGTERM)
    assert process.popen.wait(timeout=30) == 0
    assert not process.matching("Traceback")
