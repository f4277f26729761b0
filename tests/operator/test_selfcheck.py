"""The `helm test` Pod's check (alert_operator.selfcheck) against the real operator and a
degraded status server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest

from alert_core.settings import Settings
from alert_operator import selfcheck
from alert_operator.state import OperatorState
from alert_operator.status import StatusServer
from tests.operator.conftest import free_port


def selfcheck_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "alert_operator.selfcheck", *args],
                          capture_output=True, text=True, timeout=60, check=False)


def test_passes_against_the_running_operator(operator_factory: Any) -> None:
    operator = operator_factory()
    operator.wait_synced()
    result = selfcheck_command(f"http://127.0.0.1:{operator.settings.status_port}/")
    assert (result.returncode, result.stdout) == (0, "ok: /healthz\nok: /status\n"), result


async def test_fails_on_a_degraded_operator(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(database_url=database_url, namespace="alerts", status_port=free_port())
    state = OperatorState(last_sync_error="database unreachable: connection refused\x1b[31m")
    server = StatusServer(settings, state, None, host="127.0.0.1")
    await server.start()
    try:
        code = await asyncio.to_thread(selfcheck.run, f"http://127.0.0.1:{server.port}")
    finally:
        await server.stop()
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("ok: /healthz\n")
    assert "FAILED: /status is 'degraded': database unreachable; last sync: database" in out
    assert "\x1b" not in out


def test_fails_when_nothing_answers() -> None:
    result = selfcheck_command(f"http://127.0.0.1:{free_port()}", "--timeout", "5")
    assert result.returncode == 1
    assert result.stdout.count("FAILED: ") == 2
    assert "cannot reach http://127.0.0.1:" in result.stdout


def test_usage_error_names_the_url() -> None:
    result = selfcheck_command("alert-operator:9090")
    assert result.returncode == 2
    assert "url: must start with http:// or https://" in result.stderr
