"""Alert ids by unique prefix, in every command that takes one (the real database)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from alert_ctl.alert_ids import AlertRef, parse_alert_ref
from tests.ctl.conftest import Database, Result, add_run

Alertctl = Callable[..., Result]
FIRST = uuid.UUID("ed495b27-1111-4111-8111-111111111111")
TWIN = uuid.UUID("ed495b27-2222-4222-8222-222222222222")  # shares FIRST's first 8 characters
OTHER = uuid.UUID("0bc00000-3333-4333-8333-333333333333")
GONE = uuid.UUID("d0e1e7ed-4444-4444-8444-444444444444")  # deleted: only its runs remain


@pytest.fixture
def alerts(db: Database) -> Database:
    for alert_id, name in ((FIRST, "first"), (TWIN, "twin"), (OTHER, "other")):
        db.add_alert(name, alert_id=alert_id)
    return db


def test_prefix_bounds_and_validation() -> None:
    assert parse_alert_ref("ED495B27").bounds() == (
        uuid.UUID("ed495b27-0000-0000-0000-000000000000"),
        uuid.UUID("ed495b27-ffff-ffff-ffff-ffffffffffff"))
    assert parse_alert_ref(str(FIRST)) == AlertRef(str(FIRST), FIRST)
    assert parse_alert_ref("ed495b27-1").exact is None


@pytest.mark.parametrize("text", ["xyz", "ed495b2-7", "ed495b27--", "g", ""])
def test_not_a_prefix_is_a_usage_error(alertctl: Alertctl, database_url: str, text: str) -> None:
    result = alertctl("history", text, "--database-url", database_url)
    assert result.exit_code == 2
    assert result.stderr == f"error: alert id {text!r}: not a UUID or a prefix of one\n"


def test_each_command_takes_a_unique_prefix(
    alertctl: Alertctl, alerts: Database, database_url: str
) -> None:
    url = ("--database-url", database_url)
    status = alertctl("status", "--alert", "0bc", "-o", "json", *url)
    assert status.exit_code == 0, status.stderr
    assert [alert["id"] for alert in status.json()["alerts"]] == [str(OTHER)]
    assert alertctl("status", "--alert", "ed495b27-1", "-o", "name", *url).stdout == (
        f"{FIRST}\n")

    paused = alertctl("pause", "ed495b27-2", "0BC0", "--by", "me", *url)
    assert paused.exit_code == 0, paused.stderr
    assert paused.stdout.splitlines() == [f"paused: {TWIN}, by me", f"paused: {OTHER}, by me"]
    resumed = alertctl("resume", "ed495b27-22", *url)
    assert resumed.stdout == f"resumed: {TWIN}\n"

    alerts.execute("DELETE FROM app.alerts WHERE id = $1", OTHER)
    # A deleted alert's pause can still be lifted by prefix, and its runs read.
    assert alertctl("resume", "0bc", *url).stdout == f"resumed: {OTHER}\n"
    add_run(alerts, GONE, "gone-1", scheduled_for=datetime(2026, 1, 1, tzinfo=UTC))
    history = alertctl("history", "d0e1", "-o", "json", *url)
    assert history.exit_code == 0, history.stderr
    assert history.json()["alert_id"] == str(GONE)
    assert [run["job_name"] for run in history.json()["runs"]] == ["gone-1"]


def test_ambiguous_and_unknown_prefixes(
    alertctl: Alertctl, alerts: Database, database_url: str
) -> None:
    url = ("--database-url", database_url)
    for args in (("history", "ed495b27"), ("status", "--alert", "ed4"), ("pause", "ED495")):
        result = alertctl(*args, *url)
        assert result.exit_code == 1
        assert result.stderr == (
            f"error: alert id prefix {args[-1].lower()!r} is ambiguous: {FIRST}, {TWIN}\n")
    missing = alertctl("run-now", "abcdef", *url)
    assert (missing.exit_code, missing.stderr) == (
        1, "error: no alert id starts with 'abcdef'\n")
    # The global switch's row is not an alert, not even by prefix.
    assert alertctl("pause", "--all", *url).exit_code == 0
    assert alertctl("resume", "0000", *url).stderr == "error: no alert id starts with '0000'\n"
    assert alertctl("pause", "0bc", "--all", *url).exit_code == 2
