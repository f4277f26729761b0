"""Settings: environment and flags, validation naming the setting, the README's table."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from alert_core.settings import Settings, SettingsError, load_settings
from alert_runner.config import RunnerSettings

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ALERT_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:pw@db:5432/app",
        "postgresql+asyncpg://app:pw@db:5432/app",
        "postgres://app:pw@db/app",
        "postgresql://app@db/app?sslmode=require",
    ],
)
def test_both_url_schemes(url: str) -> None:
    settings = load_settings(database_url=url)
    assert settings.asyncpg_dsn.startswith("postgresql://app")
    assert settings.sqlalchemy_url.startswith("postgresql+asyncpg://app")


def test_database_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://a@b/c")
    assert load_settings().database_url == "postgresql+asyncpg://a@b/c"


def test_flags_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://env@db/env")
    monkeypatch.setenv("ALERT_NAMESPACE", "from-env")
    monkeypatch.setenv("ALERT_RUNNER_IMAGE", "env/image:1")
    settings = load_settings(
        database_url="postgresql://flag@db/flag", namespace="from-flag", runner_image=None
    )
    assert settings.database_url == "postgresql://flag@db/flag"
    assert settings.namespace == "from-flag"
    assert settings.runner_image == "env/image:1"  # None = flag not given


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("ALERT_BACKOFF_LIMIT", "-1", "ALERT_BACKOFF_LIMIT"),
        ("ALERT_BACKOFF_LIMIT", "many", "ALERT_BACKOFF_LIMIT"),
        ("ALERT_ALERTS_SCHEMA", "app;drop", "ALERT_ALERTS_SCHEMA"),
        ("ALERT_ALERTS_TABLE", 'alerts"; DROP TABLE x; --', "ALERT_ALERTS_TABLE"),
        ("ALERT_STATE_SCHEMA", "1abc", "ALERT_STATE_SCHEMA"),
        ("ALERT_NAMESPACE", "Not_A_Namespace", "ALERT_NAMESPACE"),
        ("ALERT_NAMESPACE", "x" * 64, "ALERT_NAMESPACE"),
        ("ALERT_CONCURRENCY_POLICY", "Sometimes", "ALERT_CONCURRENCY_POLICY"),
        ("ALERT_STARTING_DEADLINE_SECONDS", "5", "ALERT_STARTING_DEADLINE_SECONDS"),
        ("ALERT_RUNNER_CPU_LIMIT", "1 cpu", "ALERT_RUNNER_CPU_LIMIT"),
        ("ALERT_RUNNER_IMAGE", "has space:1", "ALERT_RUNNER_IMAGE"),
        ("ALERT_DATABASE_SECRET_NAME", "Bad_Name", "ALERT_DATABASE_SECRET_NAME"),
        ("DATABASE_URL", "mysql://root:hunter2@db/app", "DATABASE_URL"),
        ("DATABASE_URL", "postgresql://u:hunter2@db:port/app", "DATABASE_URL"),
    ],
)
def test_wrong_values_fail_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, named: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"{named}:" in message
    assert "\n" not in message
    assert "hunter2" not in message
    assert "Value error" not in message


def test_wrong_flag_names_the_setting() -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL: must start with"):
        load_settings(database_url="sqlite:///x.db")
    with pytest.raises(SettingsError, match="ALERT_NAMESPACE:"):
        load_settings(namespace="-bad-")


def test_missing_database_url_is_named() -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL: not set"):
        load_settings().require_database_url()


# --- the README's configuration table stays in sync with Settings ----------------------------


def _readme_table() -> dict[str, str]:
    """``| `ENV_NAME` | `default` | meaning |`` rows of the Configuration section."""
    text = README.read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        match = re.match(r"^\| `([A-Z_]+)` \| (.*?) \| (.+) \|$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def _env_name(field: str) -> str:
    return "DATABASE_URL" if field == "database_url" else f"ALERT_{field.upper()}"


def test_readme_lists_every_setting_with_its_default() -> None:
    rows = _readme_table()
    fields = Settings.model_fields
    assert set(rows) == {_env_name(name) for name in fields}, (
        "README's Configuration table and Settings differ"
    )
    for name, field in fields.items():
        documented = rows[_env_name(name)]
        default = field.default
        if default is None or name == "runner_image":
            continue  # "unset", or a default that carries the version
        shown = str(default).lower() if isinstance(default, bool) else str(default)
        assert documented == f"`{shown}`", (name, documented, shown)


@pytest.mark.parametrize(
    ("field", "value"),
    [("alerts_schema", "app\n"), ("alerts_table", "alerts\n"), ("namespace", "alerts\n"),
     ("database_secret_name", "db\n")],
)
def test_a_trailing_newline_is_not_a_valid_name(field: str, value: str) -> None:
    with pytest.raises(SettingsError):
        load_settings(**{field: value})


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@h1:5432,h2:5432/db",  # libpq's and asyncpg's host list
        "postgresql://u:pw@h1,h2:6432,[::1]:5433/db?target_session_attrs=read-write",
        "postgres://u@[2001:db8::1]:5432,h2/db",
        "postgresql:///db",
    ],
)
def test_multi_host_urls_are_accepted(url: str) -> None:
    assert load_settings(database_url=url).database_url == url
    assert RunnerSettings.from_env({"DATABASE_URL": url, "JOB_NAME": "alert-x-1"}).database_url


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:hunter2@h1:5432,h2:port/db", "postgresql://u:hunter2@h1:99999/db",
     "postgresql://u:hunter2@h1,[::1/db", "postgresql://u:hunter2@h1:,h2:x/db"],
)
def test_a_malformed_host_in_the_list_is_named(url: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(database_url=url)
    assert str(caught.value).endswith("DATABASE_URL: not a valid URL (malformed host or port)")
    assert "hunter2" not in str(caught.value)
