"""Names and run errors come from users: no human output lets a control character reach the
terminal (title change, screen clear, carriage return, bidi override); JSON/YAML stay exact."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import yaml

from alert_core.printable import visible
from alert_ctl import tables
from alert_operator.logs import JsonFormatter, TextFormatter
from tests.ctl.conftest import Database, Result, add_run

# Set the title, clear the screen, return to column 0, reverse the text, 8-bit CSI, DEL.
HOSTILE = "evil\x1b]0;owned\x07\x1b[2J\rX\u202eY\x9b31m\x7fZ\ttab\nline"
SHOWN = "evil\\x1b]0;owned\\x07\\x1b[2J\\x0dX\\u202eY\\x9b31m\\x7fZ\\x09tab\\x0aline"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _clean(text: str) -> None:
    """No control character at all, apart from the line breaks between lines."""
    for character in text.replace("\n", ""):
        assert visible(character) == character, repr(character)


def test_visible_escapes_c0_del_c1_and_bidi_and_keeps_the_rest() -> None:
    assert visible(HOSTILE) == SHOWN
    kept = "Zürich \u00e9\u00a0\u6771\u4eac [x] \\ \U0001f600"
    assert visible(kept) == kept
    assert visible("\x00\u2028\u2066\u200f") == "\\x00\\u2028\\u2066\\u200f"


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
def test_status_and_history_tables(
    terminal: bool, monkeypatch: pytest.MonkeyPatch,
    alertctl: Callable[..., Result], db: Database, database_url: str,
) -> None:
    monkeypatch.setattr(tables, "is_terminal", lambda: terminal)
    alert = db.add_alert(HOSTILE)
    add_run(db, alert, "job-a", status="failed", scheduled_for=T0, started_at=T0,
            finished_at=T0, error=f"HTTP 502 {HOSTILE}")
    for args in (("status",), ("history", str(alert))):
        # Wide enough that no cell is cut to fit.
        result = alertctl(*args, "--database-url", database_url, env={"COLUMNS": "1000"})
        assert result.exit_code == 0, result.stderr
        _clean(result.stdout)
        _clean(result.stderr)
        assert SHOWN.replace("\\x09", " ").replace("\\x0a", " ") in result.stdout


def test_json_and_yaml_keep_the_exact_text(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    alert = db.add_alert(HOSTILE)
    add_run(db, alert, "job-a", status="failed", scheduled_for=T0, error=HOSTILE)
    status = alertctl("status", "-o", "json", "--database-url", database_url)
    assert [a["name"] for a in status.json()["alerts"]] == [HOSTILE]
    history = alertctl("history", str(alert), "-o", "yaml", "--database-url", database_url)
    document = yaml.safe_load(history.stdout)
    assert document["alert_name"] == HOSTILE and document["runs"][0]["error"] == HOSTILE


def test_one_line_messages_of_render_pause_and_errors(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    bad = db.add_alert(f"bad{HOSTILE}", {"type": "daily", "time": "25:00"})
    render = alertctl("render", "--database-url", database_url)
    assert render.exit_code == 1 and f"skipped alert {bad}" in render.stderr  # one skipped
    _clean(render.stderr)

    good = db.add_alert("good")
    pause = alertctl("pause", str(good), "--by", HOSTILE, "--database-url", database_url)
    assert pause.exit_code == 0, pause.stderr
    assert pause.stdout.strip() == f"paused: {good}, by {SHOWN}"
    stored = db.execute("SELECT paused_by FROM alert_operator.alert_pauses")
    assert [row["paused_by"] for row in stored] == [HOSTILE.strip()]  # stored exactly

    error = alertctl("history", f"x{HOSTILE}", "--database-url", database_url)
    assert error.exit_code == 2 and error.stderr.startswith("error: alert id ")
    _clean(error.stderr)


def test_cron_command_output(alertctl: Callable[..., Result]) -> None:
    refused = alertctl("cron", '{"type": "cron", "expression": "0 0 * * *\u202e\x1b[2J"}')
    assert refused.exit_code == 2
    _clean(refused.stderr)
    assert len(refused.stderr.strip().splitlines()) == 1


def _record(message: str) -> logging.LogRecord:
    try:
        raise ValueError(message)
    except ValueError:
        info = sys.exc_info()
    return logging.LogRecord("alert_operator.x", logging.ERROR, __file__, 1,
                             "alert %r: %s", ("n", message), info)


def test_operator_text_log_escapes_and_json_log_is_exact() -> None:
    text = TextFormatter().format(_record(HOSTILE))
    assert SHOWN in text and "Traceback" in text
    for line in text.splitlines():
        _clean(line)
    entry = JsonFormatter().format(_record(HOSTILE))
    assert json.loads(entry)["message"] == f"alert 'n': {HOSTILE}"
