"""``alert-runner`` as a real process under faults: SIGTERM during a blocking plain function,
and bad input (overflowing Job names, a bad sslmode, undecodable bytes) as permanent errors."""

from __future__ import annotations

import os
import subprocess
import uuid

import asyncpg
import pytest

from alert_core.exitcodes import PERMANENT_ERROR, RETRYABLE_FAILURE
from tests.runner.conftest import AlertFactory, run_row
from tests.runner.test_cli import ROOT, _env, _lines, _run, _runner, _sigterm_once_running

# Far below the executor's 20 s sleep: the runner must not wait for it.
EXIT_BOUND_SECONDS = 8


async def test_sigterm_during_a_blocking_plain_function_exits_at_once_as_interrupted(
    db: asyncpg.Connection, make_alert: AlertFactory, database_url: str
) -> None:
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}-29000003"
    env = _env(database_url, JOB_NAME=job, ALERT_EXECUTOR="tests.runner.plugins:sleeps_plainly")
    code, stdout, stderr = await _sigterm_once_running(db, alert_id, client_id, job, env,
                                                       EXIT_BOUND_SECONDS)
    assert code == RETRYABLE_FAILURE, stderr.decode()
    row = await run_row(db, job)
    assert (row["status"], row["error"]) == ("failed", "interrupted (SIGTERM)")
    finished = _lines(stdout.decode())[-1]
    assert (finished["outcome"], finished["reason"]) == ("failed", "interrupted (SIGTERM)")
    assert b"Traceback" not in stderr


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


async def test_a_job_name_whose_minutes_overflow_the_date_is_permanent(
    db: asyncpg.Connection, make_alert: AlertFactory, database_url: str
) -> None:
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}-9999999999"

    done = await _run(_runner(alert_id, client_id), _env(database_url, JOB_NAME=job))

    assert done.returncode == PERMANENT_ERROR
    line = _one_line(done.stderr)
    assert line.startswith("alert-runner: error: JOB_NAME: ")
    assert "9999999999 minutes since 1970, not a scheduled time" in line
    assert await db.fetchval("SELECT count(*) FROM alert_operator.alert_runs") == 0


async def test_a_bad_sslmode_is_permanent(
    db: asyncpg.Connection, make_alert: AlertFactory, database_url: str
) -> None:
    alert_id, client_id = await make_alert()
    env = _env(database_url + "?sslmode=sometimes", JOB_NAME=f"alert-{alert_id}-29000004")

    done = await _run(_runner(alert_id, client_id), env)

    assert done.returncode == PERMANENT_ERROR, done.stderr
    [finished] = _lines(done.stdout)
    assert finished["outcome"] == "failed"
    assert finished["reason"].startswith("DATABASE_URL: ClientConfigurationError: `sslmode`")
    assert done.stderr == ""


def _bytes_run(argv: list[bytes], env: dict[bytes, bytes]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, timeout=60)


def _bytes_env(database_url: str, **extra: bytes) -> dict[bytes, bytes]:
    env = {os.fsencode(key): os.fsencode(value) for key, value in _env(database_url).items()}
    env.update({key.encode(): value for key, value in extra.items()})
    return env


@pytest.mark.parametrize("where", ["environment", "argv"])
def test_a_job_name_that_is_not_utf8_is_permanent(database_url: str, where: str) -> None:
    alert_id, client_id = uuid.uuid4(), uuid.uuid4()
    name = f"alert-{alert_id}-".encode() + b"\xff\xfe" + b"\x1b[2J"
    argv = [os.fsencode(part) for part in _runner(alert_id, client_id)]
    if where == "argv":
        argv += [b"--job-name", name]
        env = _bytes_env(database_url)
    else:
        env = _bytes_env(database_url, JOB_NAME=name)

    done = _bytes_run(argv, env)

    assert done.returncode == PERMANENT_ERROR
    line = _one_line(done.stderr.decode("ascii"))  # escaped: nothing raw reaches a terminal
    assert line.startswith("alert-runner: error: argument --job-name: ")
    assert "\\udcff\\udcfe\\x1b[2J' is not a Job name" in line
    assert done.stdout == b""

