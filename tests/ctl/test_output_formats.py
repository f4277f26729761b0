"""The same -o table|wide|json|yaml|name and --no-headers on every data command (real database,
the test API server for the cluster side); the JSON schemas still hold."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import typer.main
import yaml

from alert_ctl.cli import app
from alert_ctl.schemas import HISTORY, STATUS, SYNC
from tests.ctl.conftest import JOBS, NAMESPACE, Database, Emulator, Result, add_run

Alertctl = Callable[..., Result]
DATA_COMMANDS = {"cron", "history", "render", "run-now", "status", "sync"}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_every_data_command_has_the_same_formats(alertctl: Alertctl) -> None:
    group = typer.main.get_command(app)
    for name in DATA_COMMANDS:
        command = group.commands[name]  # type: ignore[attr-defined]
        options = {option: param for param in command.params for option in param.opts}
        assert "--no-headers" in options, name
        help_text = " ".join(alertctl(name, "--help").stdout.split())
        assert "-o, --output <table|wide|json|yaml|name>" in help_text, name


def test_status_and_sync_in_every_format(
    alertctl: Alertctl, db: Database, database_url: str, emulator: Emulator, kubeconfig: Path
) -> None:
    second, first = db.add_alert("b"), db.add_alert("a")  # the table is in name order
    alerts = sorted([first, second], key=str)
    common = ("-n", NAMESPACE, "--database-url", database_url)
    sync_json = alertctl("sync", "--dry-run", *common, "-o", "json")
    jsonschema.validate(sync_json.json(), SYNC)
    names = alertctl("sync", "--dry-run", *common, "-o", "name").stdout.splitlines()
    assert sorted(names) == [f"cronjob.batch/alert-{alert}" for alert in alerts]
    wide_sync = alertctl("sync", *common, "-o", "wide").stdout.splitlines()
    assert wide_sync[0].split() == ["CRONJOB", "ACTION", "RESULT", "REASON", "ALERT"]
    assert {line.split()[-1] for line in wide_sync[1:-1]} == set(map(str, alerts))

    table = alertctl("status", *common).stdout.splitlines()
    assert [line.split()[1] for line in table[1:]] == [str(first)[:8], str(second)[:8]]
    wide = alertctl("status", *common, "-o", "wide").stdout.splitlines()
    assert wide[0].split()[:3] == ["NAME", "ID", "CLIENT"]
    assert {line.split()[1] for line in wide[1:]} == set(map(str, alerts))
    bare = alertctl("status", *common, "--no-headers").stdout.splitlines()
    assert [line.split() for line in bare] == [line.split() for line in table[1:]]
    assert sorted(alertctl("status", *common, "-o", "name").stdout.split()) == list(
        map(str, alerts))
    document = alertctl("status", *common, "-o", "json").json()
    jsonschema.validate(document, STATUS)
    assert yaml.safe_load(alertctl("status", *common, "-o", "yaml").stdout)["alerts"] == (
        document["alerts"])


def test_history_and_run_now_in_every_format(
    alertctl: Alertctl, db: Database, database_url: str, emulator: Emulator, kubeconfig: Path
) -> None:
    alert = db.add_alert("digest")
    url = ("--database-url", database_url)
    add_run(db, alert, "job-a", scheduled_for=T0, started_at=T0,
            finished_at=T0 + timedelta(seconds=3))
    assert alertctl("history", str(alert)[:8], "-o", "name", *url).stdout == "job.batch/job-a\n"
    wide = alertctl("history", str(alert), "-o", "wide", *url).stdout.splitlines()
    assert wide[0].split() == ["SCHEDULED", "TRIGGER", "STATUS", "ATTEMPTS", "DURATION", "JOB",
                               "ERROR"]
    assert wide[1].split()[-2:] == ["job-a", "-"]
    assert [line.split() for line in alertctl("history", str(alert), "--no-headers", *url)
            .stdout.splitlines()] == [
        line.split() for line in alertctl("history", str(alert), *url).stdout.splitlines()[1:]]
    jsonschema.validate(alertctl("history", str(alert), "-o", "json", *url).json(), HISTORY)

    assert alertctl("sync", "-n", NAMESPACE, *url).exit_code == 0
    named = alertctl("run-now", str(alert)[:8], "-n", NAMESPACE, "-o", "name", *url)
    assert named.exit_code == 0, named.stderr
    (job,) = emulator.objects(JOBS)
    assert named.stdout == f"job.batch/{job}\n"


@pytest.mark.parametrize(("output", "first_line"), [("TABLE", "schedule: 5 * * * *"),
                                                    ("Json", "{")])
def test_formats_are_case_insensitive(alertctl: Alertctl, output: str, first_line: str) -> None:
    result = alertctl("cron", '{"type": "hourly", "time": "00:05"}', "-o", output, "--next", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == first_line
