"""alertctl history against the real database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jsonschema
import yaml

from alert_ctl.schemas import HISTORY
from tests.ctl.conftest import DEAD_DATABASE_URL, Database, Result, add_run

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_history_newest_first_with_limit_and_schema(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    alert = db.add_alert("digest")
    other = db.add_alert("other")
    for day in range(5):
        start = T0 + timedelta(days=day)
        add_run(db, alert, f"alert-{alert}-{day}", scheduled_for=start, started_at=start,
                finished_at=start + timedelta(seconds=2.5))
    add_run(db, alert, "manual-1", trigger="manual", status="failed", attempts=3,
            started_at=T0 + timedelta(days=10), finished_at=T0 + timedelta(days=10, minutes=1),
            error="HTTP 500 from webhook")
    add_run(db, other, "other-1", scheduled_for=T0)

    result = alertctl("history", str(alert), "--limit", "3", "-o", "json",
                      "--database-url", database_url)
    assert result.exit_code == 0, result.stderr
    document = result.json()
    jsonschema.validate(document, HISTORY)
    assert document["alert_name"] == "digest"
    runs = document["runs"]
    assert [run["job_name"] for run in runs] == ["manual-1", f"alert-{alert}-4", f"alert-{alert}-3"]
    assert runs[0] == {
        "job_name": "manual-1", "trigger": "manual", "scheduled_for": None, "status": "failed",
        "attempts": 3, "started_at": (T0 + timedelta(days=10)).isoformat(),
        "finished_at": (T0 + timedelta(days=10, minutes=1)).isoformat(),
        "duration_seconds": 60.0, "error": "HTTP 500 from webhook",
    }
    assert runs[1]["duration_seconds"] == 2.5

    as_yaml = alertctl("history", str(alert), "--limit", "3", "-o", "yaml",
                       "--database-url", database_url)
    assert yaml.safe_load(as_yaml.stdout) == document


def test_history_table_is_plain_in_a_pipe(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    alert = db.add_alert("digest")
    add_run(db, alert, "job-a", scheduled_for=T0, started_at=T0,
            finished_at=T0 + timedelta(seconds=3), error="line one\nline two")
    result = alertctl("history", str(alert), "--database-url", database_url)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SCHEDULED", "TRIGGER", "STATUS", "ATTEMPTS", "DURATION",
                                "ERROR"]
    assert len(lines) == 2  # the error's newline does not break the row
    assert "2026-03-02 09:00+00:00" in lines[1] and "3.0s" in lines[1]
    assert "line one line two" in lines[1]
    assert "\x1b[" not in result.stdout  # no terminal escapes in a pipe


def test_history_of_an_alert_without_runs(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    alert = db.add_alert("quiet")
    result = alertctl("history", str(alert), "--database-url", database_url)
    assert result.exit_code == 0
    assert "no runs yet" in result.stdout
    as_json = alertctl("history", str(alert), "-o", "json", "--database-url", database_url)
    assert as_json.json() == {"alert_id": str(alert), "alert_name": "quiet", "runs": []}


def test_history_of_a_deleted_alert_is_still_readable(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    gone = uuid.uuid4()
    add_run(db, gone, "job-gone", scheduled_for=T0)
    result = alertctl("history", str(gone), "-o", "json", "--database-url", database_url)
    assert result.exit_code == 0
    assert result.json()["alert_name"] is None
    assert [run["job_name"] for run in result.json()["runs"]] == ["job-gone"]


def test_history_errors(alertctl: Callable[..., Result], database_url: str) -> None:
    unknown = uuid.uuid4()
    result = alertctl("history", str(unknown), "--database-url", database_url)
    assert (result.exit_code, result.stderr.strip()) == (1, f"error: unknown alert: {unknown}")
    malformed = alertctl("history", "12g4", "--database-url", database_url)
    assert malformed.exit_code == 2
    assert malformed.stderr.strip() == "error: alert id '12g4': not a UUID or a prefix of one"
    dead = alertctl("history", str(unknown), "--database-url", DEAD_DATABASE_URL)
    assert dead.exit_code == 1
    assert dead.stderr.startswith("error: database unreachable")
    assert alertctl("history", str(unknown), "--limit", "0",
                    "--database-url", database_url).exit_code == 2
