"""A frequency is read the same way from the table and from ``alertctl cron``'s argument: an
object, or a JSON string holding one (double-encoded, as applications that json.dumps() before
writing jsonb store it); nothing deeper."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import yaml

from tests.ctl.conftest import Database, Result

DAILY = {"type": "daily", "time": "09:00", "timezone": "Europe/Paris"}
ONCE = json.dumps(DAILY)
TWICE = json.dumps(ONCE)


@pytest.mark.parametrize(
    ("column_text", "schedule"),
    [
        (ONCE, "0 9 * * *"),
        (TWICE, "0 9 * * *"),  # a JSON string holding the object: accepted by both
        (f"  {TWICE} ", "0 9 * * *"),
        (json.dumps(TWICE), None),  # a string holding a string holding it: refused by both
        (json.dumps("not json"), None),
        (json.dumps("[1, 2]"), None),
    ],
)
def test_table_and_cron_command_agree(
    column_text: str, schedule: str | None,
    alertctl: Callable[..., Result], db: Database, database_url: str,
) -> None:
    db.execute(
        "INSERT INTO app.alerts (id, client_id, name, frequency, is_active)"
        " VALUES (gen_random_uuid(), gen_random_uuid(), 'a', $1::jsonb, true)",
        column_text,
    )
    render = alertctl("render", "--database-url", database_url)
    command = alertctl("cron", column_text, "--next", "1")
    if schedule is None:
        assert render.exit_code == 1 and "skipped alert" in render.stderr
        assert command.exit_code == 2
        assert len(command.stderr.strip().splitlines()) == 1
        # The same reason both ways.
        assert command.stderr.strip().removeprefix("error: ") in render.stderr
        return
    assert render.exit_code == 0, render.stderr
    assert yaml.safe_load(render.stdout)["spec"]["schedule"] == schedule
    assert command.exit_code == 0, command.stderr
    assert command.stdout.splitlines()[0] == f"schedule: {schedule}"
