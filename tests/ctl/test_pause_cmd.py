"""alertctl pause / resume against the real database."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.ctl.conftest import DEAD_DATABASE_URL, Database, Result

GLOBAL = uuid.UUID(int=0)


def pauses(db: Database) -> dict[uuid.UUID, tuple[str, str | None]]:
    rows = db.execute(
        "SELECT alert_id, paused_by, reason, paused_at FROM alert_operator.alert_pauses"
    )
    assert all(row["paused_at"] is not None for row in rows)
    return {row["alert_id"]: (row["paused_by"], row["reason"]) for row in rows}


def test_pause_stores_who_and_why(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    first, second = db.add_alert("a"), db.add_alert("b")
    result = alertctl(
        "pause", str(first), str(second), "--reason", "maintenance window",
        "--database-url", database_url, env={"USER": "alice"},
    )
    assert result.exit_code == 0, result.stderr
    assert f"paused: {first}, by alice" in result.stdout
    assert pauses(db) == {first: ("alice", "maintenance window"),
                          second: ("alice", "maintenance window")}


def test_pause_again_records_the_new_reason_and_by(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    alert = db.add_alert()
    assert alertctl("pause", str(alert), "--database-url", database_url).exit_code == 0
    by, reason = pauses(db)[alert]
    assert by == getpass.getuser()  # $USER unset: the OS account
    assert reason is None
    again = alertctl("pause", str(alert), "--by", "ops-bot", "--reason", "incident 42",
                     "--database-url", database_url)
    assert again.exit_code == 0
    assert pauses(db) == {alert: ("ops-bot", "incident 42")}


def test_pause_all_and_resume_all_is_the_global_switch(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    alert = db.add_alert()
    first = alertctl("pause", str(alert), "--by", "bob", "--database-url", database_url)
    assert first.exit_code == 0
    result = alertctl("pause", "--all", "--by", "bob", "--database-url", database_url)
    assert result.exit_code == 0
    assert "all alerts" in result.stdout
    assert set(pauses(db)) == {alert, GLOBAL}

    resumed = alertctl("resume", "--all", "--database-url", database_url)
    assert resumed.exit_code == 0, resumed.stderr
    assert "resumed: all alerts" in resumed.stdout
    # The alert paused on its own stays paused: --all is the global switch only.
    assert set(pauses(db)) == {alert}
    assert "1 alert(s) stay paused" in resumed.stderr

    assert alertctl("resume", str(alert), "--database-url", database_url).exit_code == 0
    assert pauses(db) == {}


def test_resume_of_an_alert_that_is_not_paused_says_so(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    alert = db.add_alert()
    result = alertctl("resume", str(alert), "--database-url", database_url)
    assert result.exit_code == 0
    assert f"was not paused: {alert}" in result.stdout


def test_a_pause_can_be_lifted_after_its_alert_was_deleted(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    alert = db.add_alert()
    assert alertctl("pause", str(alert), "--database-url", database_url).exit_code == 0
    db.execute("DELETE FROM app.alerts WHERE id = $1", alert)
    result = alertctl("resume", str(alert), "--database-url", database_url)
    assert result.exit_code == 0, result.stderr
    assert pauses(db) == {}


def test_unknown_alert_is_one_line_exit_1_and_nothing_is_written(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    known, unknown = db.add_alert(), uuid.uuid4()
    for command in ("pause", "resume"):
        result = alertctl(command, str(known), str(unknown), "--database-url", database_url)
        assert result.exit_code == 1
        assert result.stderr.strip() == f"error: unknown alert: {unknown}"
        assert result.stdout == ""
    assert pauses(db) == {}


def test_bad_arguments_exit_2(alertctl: Callable[..., Result], database_url: str) -> None:
    cases = [
        ("pause", "not-a-uuid"),
        ("pause",),
        ("resume",),
        ("pause", "--all", str(uuid.uuid4())),
        ("pause", str(GLOBAL)),
    ]
    for args in cases:
        result = alertctl(*args, "--database-url", database_url)
        assert result.exit_code == 2, args
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
        assert result.stderr.startswith("error: ")


def test_no_database(alertctl: Callable[..., Result]) -> None:
    alert = str(uuid.uuid4())
    missing = alertctl("pause", alert)
    assert missing.exit_code == 2
    assert missing.stderr.strip() == (
        "error: DATABASE_URL: not set (give --database-url or set DATABASE_URL)"
    )
    dead = alertctl("pause", alert, "--database-url", DEAD_DATABASE_URL)
    assert dead.exit_code == 1
    assert dead.stderr.startswith("error: database unreachable")
    assert len(dead.stderr.strip().splitlines()) == 1
    assert "secret-password" not in dead.stderr + dead.stdout


def test_unmigrated_database_says_to_migrate(
    alertctl: Callable[..., Result], app_database_url: str
) -> None:
    alert = Database(app_database_url).add_alert()
    result = alertctl("pause", str(alert), "--database-url", app_database_url)
    assert result.exit_code == 1
    assert "alertctl migrate" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_undecodable_reason_is_exit_2_one_line_and_nothing_is_written(
    alertctl: Callable[..., Result], db: Database, database_url: str
) -> None:
    alert = db.add_alert("a")
    # What the shell hands over for `--reason $'\xff'`: bytes that are not UTF-8.
    real = subprocess.run(
        [Path(sys.executable).parent / "alertctl", "pause", str(alert).encode(), b"--reason",
         b"caf\xe9", b"--database-url", database_url.encode()],
        capture_output=True, check=False, env={**os.environ, "USER": "alice"},
    )
    assert real.returncode == 2, real.stderr
    assert real.stderr.decode().strip() == "error: --reason: not valid UTF-8"
    # In-process, Python's decoding of argv (surrogateescape) gives the same text.
    by = alertctl("pause", str(alert), "--by", "b\udcffob", "--database-url", database_url)
    assert (by.exit_code, by.stderr.strip()) == (2, "error: --by: not valid UTF-8")
    assert pauses(db) == {}
