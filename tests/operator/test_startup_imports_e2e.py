"""The real ``alert-operator run`` process imports neither SQLAlchemy nor the web UI's pages
(jinja2) before its first full sync has written its CronJobs: both cost start-up time that the
first sync does not need (BENCHMARKS.md). They are imported when first used: the first /ui
page, the first /status that reads the last runs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from alert_core.cronjob import cronjob_name
from tests.operator.conftest import Database, Emulator, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
NOT_BEFORE_THE_FIRST_SYNC = ("sqlalchemy", "sqlalchemy.orm", "jinja2", "alert_operator.ui.views",
                             "alert_core.db.history")


class ImportingOperator:
    """``python -X importtime -m alert_operator.main run``: the modules it has imported so far."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.modules: list[str] = []
        self.lines: list[str] = []
        self.popen = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "alert_operator.main", *args], env=env,
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            if line.startswith("import time:"):  # "import time: self | cumulative | name"
                self.modules.append(line.rsplit("|", 1)[1].strip())
            else:
                self.lines.append(line.rstrip("\n"))


@pytest.fixture
def operator_process(
    emulator: Emulator, kubeconfig: Path, database_url: str
) -> Iterator[tuple[ImportingOperator, int]]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("ALERT_") and key != "DATABASE_URL"}
    env.update(KUBECONFIG=str(kubeconfig), PYTHONPATH=str(ROOT))
    port = free_port()
    process = ImportingOperator(["run", "--database-url", database_url, "-n", "alerts",
                                 "--status-port", str(port), "--liveness-port", str(free_port()),
                                 "--log-format", "text"], env)
    try:
        yield process, port
    finally:
        process.popen.terminate()
        try:
            process.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait(timeout=30)


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
        return int(response.status)


def test_the_first_sync_imports_no_sqlalchemy_and_no_ui(
    emulator: Emulator, db: Database, operator_process: tuple[ImportingOperator, int]
) -> None:
    process, port = operator_process
    alerts = {db.add_alert(f"alert {n}") for n in range(3)}
    wait_for(lambda: set(emulator.cronjobs()) >= {cronjob_name(a) for a in alerts}
             or process.popen.poll() is not None, timeout=60,
             what="the first sync's CronJobs:\n" + "\n".join(process.lines[-20:]))
    assert process.popen.poll() is None, "\n".join(process.lines[-20:])
    imported = set(process.modules)
    assert "alert_operator.source" in imported and "asyncpg" in imported  # it does read
    assert [name for name in NOT_BEFORE_THE_FIRST_SYNC if name in imported] == []
    # ... and when first used, they are there.
    assert _get(f"http://127.0.0.1:{port}/ui/") == 200
    assert _get(f"http://127.0.0.1:{port}/status") == 200
    wait_for(lambda: {"jinja2", "sqlalchemy", "alert_core.db.history"} <= set(process.modules),
             what="the UI's and the last runs' imports")
