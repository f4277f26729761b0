"""alertctl cron, migrate and render: outputs, exit codes and every error path."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import jsonschema
import kubernetes_validate
import pytest
import typer.main
import yaml

from alert_ctl.cli import app
from alert_ctl.schemas import CRON
from tests.ctl.conftest import DEAD_DATABASE_URL, Result

Alertctl = Callable[..., Result]
CLIENT = uuid.UUID("11111111-1111-4111-8111-111111111111")


def _one_error_line(result: Result) -> str:
    lines = result.stderr.strip("\n").split("\n")
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# --- alertctl cron ---------------------------------------------------------------------------


def test_cron_text(alertctl: Alertctl) -> None:
    result = alertctl(
        "cron", '{"type": "weekly", "time": "10:00", "dayOfWeek": [1, 3, 5],'
        ' "timezone": "America/Los_Angeles"}', "--next", "3",
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "schedule: 0 10 * * 1,3,5"
    assert lines[1] == "timeZone: America/Los_Angeles"
    assert lines[2] == "description: At 10:00, only on Monday, Wednesday, and Friday"
    assert len(lines) == 6
    local, utc = lines[3].split()[0], lines[3].split()[1].strip("()")
    assert datetime.fromisoformat(local) == datetime.fromisoformat(utc)
    assert datetime.fromisoformat(utc).utcoffset() == timedelta(0)


def test_cron_json(alertctl: Alertctl) -> None:
    result = alertctl(
        "cron", '{"type": "daily", "time": "09:00", "timezone": "Europe/Berlin"}',
        "--next", "4", "--output", "json",
    )
    assert result.exit_code == 0, result.stderr
    data = result.json()
    jsonschema.validate(data, CRON)
    assert set(data) == {"schedule", "timeZone", "description", "next", "dst"}
    assert (data["schedule"], data["timeZone"]) == ("0 9 * * *", "Europe/Berlin")
    times = [datetime.fromisoformat(text) for text in data["next"]]
    assert len(times) == 4
    assert all(t.utcoffset() in (timedelta(hours=1), timedelta(hours=2)) for t in times)
    assert all((t.hour, t.minute) == (9, 0) for t in times)
    assert times == sorted(times) and times[0] > datetime.now().astimezone()


def test_cron_next_zero_and_default(alertctl: Alertctl) -> None:
    zero = alertctl("cron", '{"type": "hourly", "time": "00:30"}', "--next", "0", "-o", "json")
    assert zero.exit_code == 0 and zero.json()["next"] == []
    default = alertctl("cron", '{"type": "hourly", "time": "00:30"}', "-o", "json")
    assert len(default.json()["next"]) == 5


@pytest.mark.parametrize(
    ("frequency", "named"),
    [
        ('{"type": "daily", "time": "25:00"}', "time"),
        ('{"type": "daily", "time": "9:5"}', "time"),
        ('{"type": "weekly", "time": "10:00", "dayOfWeek": []}', "dayOfWeek"),
        ('{"type": "monthly", "time": "10:00", "dayOfMonth": [-1]}', "dayOfMonth"),
        ('{"type": "fortnightly", "time": "10:00"}', "type"),
        ('{"type": "daily", "time": "10:00", "timezone": "Nowhere/Town"}', "timezone"),
        ('{"type": "cron", "expression": "0 0 * * * *"}', "expression"),
        ('{"type": "cron", "expression": "TZ=UTC 0 0 * * *"}', "expression"),
        ("null", "frequency"),
        ("[]", "frequency"),
        ("{not json", "frequency"),
        ("", "frequency"),
    ],
)
def test_cron_bad_input(alertctl: Alertctl, frequency: str, named: str) -> None:
    result = alertctl("cron", frequency)
    assert result.exit_code == 2
    assert _one_error_line(result).startswith(f"error: {named}")
    assert result.stdout == ""


@pytest.mark.parametrize("bad", [["--next", "-1"], ["--next", "1001"], ["--next", "many"],
                                 ["--output", "text"], ["--after", "tomorrow"], []])
def test_cron_bad_options(alertctl: Alertctl, bad: list[str]) -> None:
    arguments = ["cron", '{"type": "hourly", "time": "00:30"}', *bad] if bad else ["cron"]
    result = alertctl(*arguments)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_console_script_runs() -> None:
    """The installed entry point, in a process of its own."""
    script = Path(sys.executable).with_name("alertctl")
    result = subprocess.run(
        [str(script), "cron", '{"type": "daily", "time": "25:00"}'],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: time:") and result.stderr.count("\n") == 1


# --- --help everywhere -----------------------------------------------------------------------


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


def test_help_on_every_command(alertctl: Alertctl) -> None:
    assert {"cron", "migrate", "render"} <= set(_commands())
    top = alertctl("--help")
    assert top.exit_code == 0 and "cron" in top.stdout
    for command in _commands():
        result = alertctl(command, "--help")
        assert result.exit_code == 0, command
        assert "Usage" in result.stdout, command


# --- alertctl migrate ------------------------------------------------------------------------


async def _trigger_count(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'app.alerts'::regclass"
            " AND NOT tgisinternal"
        ))
    finally:
        await conn.close()


def test_migrate_twice(alertctl: Alertctl, app_database_url: str) -> None:
    for _ in range(2):
        result = alertctl("migrate", "--database-url", app_database_url)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.strip() == "migrated"

    assert asyncio.run(_trigger_count(app_database_url)) == 2


def test_migrate_no_trigger(alertctl: Alertctl, app_database_url: str) -> None:
    result = alertctl("migrate", "--no-trigger", env={"DATABASE_URL": app_database_url})
    assert result.exit_code == 0, result.stderr

    assert asyncio.run(_trigger_count(app_database_url)) == 0


def test_migrate_unreachable_database(alertctl: Alertctl) -> None:
    result = alertctl("migrate", "--database-url", DEAD_DATABASE_URL)
    assert result.exit_code == 1
    line = _one_error_line(result)
    assert "database" in line
    assert "secret-password" not in result.stderr + result.stdout
    assert "nobody" not in line and "postgresql://" not in line


@pytest.mark.parametrize("command", ["migrate", "render"])
def test_missing_or_bad_database_url(alertctl: Alertctl, command: str) -> None:
    missing = alertctl(command)
    assert missing.exit_code == 2
    assert "DATABASE_URL" in _one_error_line(missing)
    bad = alertctl(command, "--database-url", "mysql://root:hunter2@db/app")
    assert bad.exit_code == 2
    assert "DATABASE_URL" in _one_error_line(bad) and "hunter2" not in bad.stderr


# --- alertctl render -------------------------------------------------------------------------


HOSTILE = [
    "line one\nline two\r\n--- \nkind: Secret",
    "quotes \" ' ` : # {json} [list] &anchor *alias !tag %",
    "long " + "x" * 10_000,
    "unicode ✓ 日本語 \u202e \U0001f600",
]


async def _insert(url: str, rows: list[tuple[uuid.UUID, str, Any, bool]]) -> None:
    conn = await asyncpg.connect(url)
    try:
        # The demo table says varchar(255); an application may allow much longer names.
        await conn.execute("ALTER TABLE app.alerts ALTER COLUMN name TYPE text")
        await conn.executemany(
            "INSERT INTO app.alerts (id, client_id, name, frequency, is_active)"
            " VALUES ($1, $2, $3, $4::jsonb, $5)",
            [(i, CLIENT, name, json.dumps(freq), active) for i, name, freq, active in rows],
        )
    finally:
        await conn.close()


def _render_rows() -> tuple[list[tuple[uuid.UUID, str, Any, bool]], dict[uuid.UUID, str]]:
    valid = [
        (uuid.uuid4(), name, {"type": "daily", "time": "09:00", "timezone": "Europe/Paris"},
         True)
        for name in HOSTILE
    ] + [
        (uuid.uuid4(), "inactive", {"type": "hourly", "time": "00:15"}, False),
        (uuid.uuid4(), "weekly", {"type": "weekly", "time": "10:00", "dayOfWeek": [1, 3, 5]},
         True),
    ]
    invalid = {
        uuid.uuid4(): "bad time",
        uuid.uuid4(): "bad\nname with newline",
        uuid.uuid4(): "not an object",
    }
    frequencies = [{"type": "daily", "time": "25:00"}, {"type": "weekly", "time": "10:00"}, []]
    rows = valid + [
        (alert_id, name, frequency, True)
        for (alert_id, name), frequency in zip(invalid.items(), frequencies, strict=True)
    ]
    return rows, invalid


def test_render(alertctl: Alertctl, database_url: str) -> None:

    rows, invalid = _render_rows()
    asyncio.run(_insert(database_url, rows))
    result = alertctl(
        "render", "--database-url", database_url, "--namespace", "alerts-prod",
        "--image", "registry.test/runner:9.9.9",
    )
    assert result.exit_code == 1  # some alerts were left out
    documents = list(yaml.safe_load_all(result.stdout))
    assert len(documents) == len(rows) - len(invalid)
    names = {doc["metadata"]["labels"]["alert-operator/alert-id"]:
             doc["metadata"]["annotations"]["alert-operator/alert-name"] for doc in documents}
    for alert_id, name, _freq, _active in rows:
        if alert_id in invalid:
            assert str(alert_id) not in names
            continue
        shown = names[str(alert_id)]
        assert shown.isprintable() and len(shown) <= 1024
        assert shown.split()[0] == name.split()[0]
    for document in documents:
        assert document["kind"] == "CronJob"  # a hostile name never became its own document
        assert document["metadata"]["namespace"] == "alerts-prod"
        container = document["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == "registry.test/runner:9.9.9"
        kubernetes_validate.validate(document, "1.27", strict=True)
    suspended = {d["metadata"]["annotations"]["alert-operator/alert-name"]: d["spec"]["suspend"]
                 for d in documents}
    assert suspended["inactive"] is True and suspended["weekly"] is False

    lines = result.stderr.strip("\n").split("\n")
    assert len(lines) == len(invalid), result.stderr
    for line in lines:
        assert line.startswith("skipped alert ")
    for alert_id, name in invalid.items():
        (line,) = [line for line in lines if str(alert_id) in line]
        assert name.split("\n")[0] in line
    assert any("time:" in line for line in lines)
    assert any("dayOfWeek:" in line for line in lines)
    assert any("must be a JSON object" in line for line in lines)


def test_render_all_valid_exits_zero_and_applies_pauses(
    alertctl: Alertctl, database_url: str
) -> None:

    paused, running = uuid.uuid4(), uuid.uuid4()
    asyncio.run(_insert(database_url, [
        (paused, "paused", {"type": "daily", "time": "09:00"}, True),
        (running, "running", {"type": "daily", "time": "09:00"}, True),
    ]))

    async def pause() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(
                "INSERT INTO alert_operator.alert_pauses (alert_id, paused_by) VALUES ($1, 't')",
                paused,
            )
        finally:
            await conn.close()

    asyncio.run(pause())
    result = alertctl("render", env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    suspend = {d["metadata"]["name"]: d["spec"]["suspend"]
               for d in yaml.safe_load_all(result.stdout)}
    assert suspend == {f"alert-{paused}": True, f"alert-{running}": False}


def test_render_without_migrations_and_empty_table(
    alertctl: Alertctl, app_database_url: str
) -> None:
    result = alertctl("render", "--database-url", app_database_url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""


def test_render_unreachable_database(alertctl: Alertctl) -> None:
    result = alertctl("render", "--database-url", DEAD_DATABASE_URL)
    assert result.exit_code == 1
    assert "secret-password" not in _one_error_line(result)


def test_render_bad_namespace(alertctl: Alertctl, database_url: str) -> None:
    result = alertctl("render", "--database-url", database_url, "--namespace", "Bad_NS")
    assert result.exit_code == 2
    assert "ALERT_NAMESPACE" in _one_error_line(result)


def test_render_in_every_output_format(
    alertctl: Alertctl, database_url: str, app_database_url: str
) -> None:
    rows, _ = _render_rows()
    asyncio.run(_insert(database_url, rows))
    common = ("--database-url", database_url, "--image", "registry.test/runner:9.9.9")
    documents = list(yaml.safe_load_all(alertctl("render", *common).stdout))
    as_json = alertctl("render", *common, "-o", "json")
    assert as_json.exit_code == 1  # the invalid ones are left out, as in YAML
    assert as_json.json() == {"apiVersion": "v1", "kind": "List", "items": documents}
    names = alertctl("render", *common, "-o", "name").stdout.splitlines()
    assert names == [f"cronjob.batch/{doc['metadata']['name']}" for doc in documents]
    table = alertctl("render", *common, "-o", "table").stdout.splitlines()
    assert table[0].split() == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND"]
    assert len(table) == 1 + len(documents)
    assert table[1].split()[0] == documents[0]["metadata"]["name"]
    wide = alertctl("render", *common, "-o", "wide", "--no-headers").stdout.splitlines()
    assert len(wide) == len(documents) and wide[0].endswith("registry.test/runner:9.9.9")
    empty = alertctl("render", "--database-url", app_database_url, "-o", "json")
    assert empty.json() == {"apiVersion": "v1", "kind": "List", "items": []}
