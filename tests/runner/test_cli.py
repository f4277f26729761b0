"""``alert-runner`` as the cluster runs it: arguments, exit codes, JSON log lines, SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from alert_core.exitcodes import PERMANENT_ERROR, RETRYABLE_FAILURE, SUCCESS
from alert_runner.cli import main
from tests.runner.conftest import AlertFactory, instances, run_row

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
# What the runner must never load: it starts once per run, in a small image.
# pydantic too: the runner reads its settings and frequencies without it (config.py, slot.py).
FORBIDDEN = ("kopf", "kubernetes", "kubernetes_asyncio", "kr8s", "pykube", "typer", "rich",
             "alembic", "prometheus_client", "sqlalchemy", "aiohttp", "pydantic",
             "pydantic_core", "pydantic_settings")


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("ALERT_") and key not in ("DATABASE_URL", "JOB_NAME")}
    env.update(DATABASE_URL=database_url, POD_NAME="pod-1", ALERT_LOG_FORMAT="json",
               PYTHONPATH=str(ROOT), **extra)
    return env


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def _runner(alert_id: uuid.UUID, client_id: uuid.UUID) -> list[str]:
    return [sys.executable, "-m", "alert_runner", "--alert-id", str(alert_id),
            "--client-id", str(client_id)]


async def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


async def test_real_process_logs_json_and_exits_by_outcome(
    db: asyncpg.Connection, make_alert: AlertFactory, database_url: str
) -> None:
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}-29000000"
    env = _env(database_url, JOB_NAME=job)

    done = await _run(_runner(alert_id, client_id), env)

    assert done.returncode == SUCCESS, done.stderr
    assert done.stderr == ""
    lines = _lines(done.stdout)
    assert [line["message"] for line in lines] == ["run started", "run finished"]
    row = await run_row(db, job)
    finished = lines[-1]
    assert finished["level"] == "info"
    assert finished["alert_id"] == str(alert_id) and finished["client_id"] == str(client_id)
    assert all(line["cronjob"] == f"alert-{alert_id}" for line in lines)  # the operator's keys
    assert (finished["job_name"], finished["run_id"]) == (job, str(row["id"]))
    assert (finished["trigger"], finished["outcome"], finished["exit_code"]) == (
        "schedule", "succeeded", 0)
    assert isinstance(finished["duration_seconds"], float)
    assert row["pod_name"] == "pod-1"

    again = await _run(_runner(alert_id, client_id), env)  # a second pod of the same Job

    assert again.returncode == SUCCESS, again.stderr
    assert _lines(again.stdout)[-1]["outcome"] == "already-succeeded"
    assert await instances(db, row["id"]) == 1

    other_job = f"alert-{alert_id}-manual-1"
    other_client = await _run(_runner(alert_id, uuid.uuid4()),
                              _env(database_url, JOB_NAME=other_job))
    assert other_client.returncode == PERMANENT_ERROR
    finished = _lines(other_client.stdout)[-1]
    assert (finished["level"], finished["outcome"]) == ("error", "failed")
    assert finished["reason"].startswith("client id mismatch")


async def _sigterm_once_running(
    db: asyncpg.Connection, alert_id: uuid.UUID, client_id: uuid.UUID, job: str,
    env: dict[str, str], exit_within_seconds: float,
) -> tuple[int | None, bytes, bytes]:
    """Start the runner, send SIGTERM once its run is claimed (and its executor has begun),
    and wait at most ``exit_within_seconds`` for it to exit: its exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        *_runner(alert_id, client_id), env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(300):  # until the executor runs (the claim is committed): at most 15 s
            if await db.fetchval("SELECT count(*) FROM alert_operator.alert_runs"
                                 " WHERE job_name = $1 AND status = 'running'", job):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the runner never claimed the run")
        await asyncio.sleep(0.3)  # inside the executor's sleep by now
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), exit_within_seconds)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode, stdout, stderr


async def test_sigterm_mid_execution_records_interrupted_and_exits(
    db: asyncpg.Connection, make_alert: AlertFactory, database_url: str
) -> None:
    alert_id, client_id = await make_alert()
    job = f"alert-{alert_id}-29000001"
    env = _env(database_url, JOB_NAME=job, ALERT_EXECUTOR="tests.runner.plugins:sleeps")
    code, stdout, stderr = await _sigterm_once_running(db, alert_id, client_id, job, env,
                                                       15)
    assert code == RETRYABLE_FAILURE, stderr.decode()
    row = await run_row(db, job)
    assert (row["status"], row["error"]) == ("failed", "interrupted (SIGTERM)")
    assert await instances(db, row["id"]) == 0  # the executor's insert was rolled back
    finished = _lines(stdout.decode())[-1]
    assert (finished["outcome"], finished["reason"]) == ("failed", "interrupted (SIGTERM)")


def test_runner_imports_no_kubernetes_client_nor_operator_tooling() -> None:
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run([str(VENV_BIN / "alert-runner"), "--help"], env=env,
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert "--alert-id" in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert "alert_runner.run" in imported and "asyncpg" in imported  # the real import chain
    loaded = {name.split(".")[0] for name in imported}
    assert loaded.isdisjoint(FORBIDDEN), sorted(loaded & set(FORBIDDEN))


@pytest.mark.parametrize(
    "frequency",
    [{"type": "daily", "time": "09:00", "timezone": "Europe/Paris"},
     {"type": "cron", "expression": "*/5 * * * *"}],  # the cron parser is imported on use
)
async def test_a_whole_run_imports_nothing_forbidden(
    make_alert: AlertFactory, database_url: str, frequency: dict[str, Any]
) -> None:
    # --help stops before the run: the modules imported on use must be clean too.
    alert_id, client_id = await make_alert(frequency)
    env = _env(database_url, JOB_NAME=f"alert-{alert_id}-29000002", PYTHONPROFILEIMPORTTIME="1")

    done = await _run(_runner(alert_id, client_id), env)

    assert done.returncode == SUCCESS, done.stderr[-2000:]
    assert _lines(done.stdout)[-1]["outcome"] == "succeeded"
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert "alert_runner.slot" in imported
    loaded = {name.split(".")[0] for name in imported}
    assert loaded.isdisjoint(FORBIDDEN), sorted(loaded & set(FORBIDDEN))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--alert-id", "not-a-uuid", "--client-id", str(uuid.uuid4())], "is not a UUID"),
        (["--alert-id", str(uuid.uuid4())], "the following arguments are required: --client-id"),
        ([], "the following arguments are required"),
        (["--alert-id", str(uuid.uuid4()), "--client-id", str(uuid.uuid4()), "--job-name", "a b"],
         "is not a Job name"),
    ],
)
def test_bad_arguments_are_permanent(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)

    assert exit_info.value.code == PERMANENT_ERROR
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("alert-runner: error: ")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "postgresql://u:pw@h/db"}, "JOB_NAME: not set"),
        ({"JOB_NAME": "alert-x-1"}, "DATABASE_URL: not set"),
        ({"JOB_NAME": "alert-x-1", "DATABASE_URL": "mysql://u:hunter2@h/db"},
         "DATABASE_URL: must start with postgresql://"),
        ({"JOB_NAME": "alert-x-1", "DATABASE_URL": "postgresql://u:pw@h/db",
          "ALERT_STATE_SCHEMA": "drop table"}, "ALERT_STATE_SCHEMA:"),
    ],
)
def test_bad_environment_is_permanent(
    env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key in ("DATABASE_URL", "JOB_NAME", "ALERT_STATE_SCHEMA"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    code = main(["--alert-id", str(uuid.uuid4()), "--client-id", str(uuid.uuid4())])

    assert code == PERMANENT_ERROR
    err = capsys.readouterr().err
    assert message in err
    assert "hunter2" not in err
    assert len(err.strip().splitlines()) == 1

