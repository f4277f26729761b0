"""The liveness probe's port and /healthz on the status port, on the real operator: both answer
at once (a client with a short timeout gets a status code), with the same rule."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from alert_operator.main import StartupError
from tests.operator.conftest import Database, Emulator, start_on_a_taken_port, wait_for

# Far below a kubelet probe's default timeout (1 s is the default; we allow for a busy machine).
CLIENT_TIMEOUT_SECONDS = 3.0


def healthz(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",
                                    timeout=CLIENT_TIMEOUT_SECONDS) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_both_endpoints_answer_200_when_healthy(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    op = operator_factory()
    wait_for(lambda: op.state.full_syncs >= 1, what="the first full sync")
    assert healthz(op.settings.liveness_port) == (200, "ok\n")
    assert healthz(op.settings.status_port) == (200, "ok\n")


def test_both_endpoints_answer_503_at_once_when_unhealthy(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    op = operator_factory(max_sync_age_seconds=0.5)
    wait_for(lambda: op.state.full_syncs >= 1, what="the first full sync")
    wait_for(lambda: healthz(op.settings.liveness_port)[0] == 503, what="503 on the liveness port")
    _, body = healthz(op.settings.liveness_port)
    assert "last successful full sync" in body
    again, same = healthz(op.settings.status_port)
    assert again == 503 and same.split(" ")[:4] == body.split(" ")[:4]


def test_a_taken_liveness_port_stops_the_operator_at_start(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    op, port = start_on_a_taken_port(operator_factory, "liveness_port")
    assert isinstance(op._error, StartupError)
    assert f"cannot serve /status, /metrics and /healthz on port {port}:" in str(op._error)
    assert emulator.writes() == []
    op._error = None  # seen: the factory's teardown need not raise it again
