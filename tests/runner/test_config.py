"""RunnerSettings against the one Settings object: same fields, defaults, values and errors.

The runner reads its settings without pydantic (alert_runner.config); these tests keep that
reader honest. Both read the same process environment here, and must agree on every value or
fail with the very same one-line message.
"""

from __future__ import annotations

import os
from dataclasses import MISSING, fields
from typing import get_args

import pytest

from alert_core.settings import Settings, SettingsError, load_settings
from alert_runner.config import LOG_FORMATS, LOG_LEVELS, RunnerSettings, Secret

RUNNER_FIELDS = [spec.name for spec in fields(RunnerSettings)]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ALERT_") or name.upper() == "DATABASE_URL":
            monkeypatch.delenv(name)


def _set(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_every_field_is_a_settings_field_with_the_same_default() -> None:
    for spec in fields(RunnerSettings):
        assert spec.name in Settings.model_fields, spec.name
        assert spec.default is not MISSING, spec.name
        assert Settings.model_fields[spec.name].default == spec.default, spec.name
    assert get_args(Settings.model_fields["log_level"].annotation) == LOG_LEVELS
    assert get_args(Settings.model_fields["log_format"].annotation) == LOG_FORMATS
    # Settings' field order, so that several wrong values are listed in the same order.
    order = list(Settings.model_fields)
    assert sorted(RUNNER_FIELDS, key=order.index) == RUNNER_FIELDS


GOOD = [
    {},
    {"DATABASE_URL": "postgresql+asyncpg://app:pw@db:5432/app", "ALERT_ALERTS_SCHEMA": "tenant_1",
     "ALERT_ALERTS_TABLE": "Alerts", "ALERT_STATE_SCHEMA": "_ops", "ALERT_EXECUTOR": "my.mod:fn",
     "ALERT_HTTP_URL": "https://app.internal/trigger", "ALERT_HTTP_TIMEOUT_SECONDS": " 2.5 ",
     "ALERT_HTTP_TOKEN": "s3cret", "ALERT_LOG_LEVEL": "DEBUG", "ALERT_LOG_FORMAT": "json"},
    {"database_url": "postgres://app@db/app", "alert_log_level": "WARNING",
     "Alert_Log_Format": "text"},  # names match case-insensitively in both
    {"ALERT_DATABASE_URL": "postgresql://a@b/alert"},
    {"DATABASE_URL": "postgresql://a@b/env", "ALERT_DATABASE_URL": "postgresql://a@b/alert"},
    {"DATABASE_URL": "postgresql://app@db/app?sslmode=require"},
    {"ALERT_HTTP_TIMEOUT_SECONDS": "1_0"},
    *({"ALERT_ACTIVE_DEADLINE_SECONDS": value} for value in ("120", " 120 ", "1_0", "1.0", "1")),
    {"ALERT_HTTP_TIMEOUT_SECONDS": "1e1"},
    {"ALERT_HTTP_TIMEOUT_SECONDS": "3600"},
    {"ALERT_HTTP_TIMEOUT_SECONDS": ".5"},
    {"ALERT_HTTP_TIMEOUT_SECONDS": "\t5\n"},
    {"ALERT_HTTP_TOKEN": "", "ALERT_EXECUTOR": ""},
    {"ALERT_HTTP_URL": "http://127.0.0.1:8000/x", "ALERT_EXECUTOR": " http "},
]


@pytest.mark.parametrize("env", GOOD, ids=range(len(GOOD)))
def test_good_environments_give_the_same_values(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    _set(monkeypatch, env)

    settings, runner = load_settings(), RunnerSettings.from_env()

    for name in RUNNER_FIELDS:
        mine, theirs = getattr(runner, name), getattr(settings, name)
        if name == "http_token":
            mine = None if mine is None else mine.get_secret_value()
            theirs = None if theirs is None else theirs.get_secret_value()
        assert mine == theirs, name
        assert type(mine) is type(theirs), name
    if settings.database_url is not None:
        assert runner.asyncpg_dsn == settings.asyncpg_dsn


BAD = [
    {"ALERT_ALERTS_SCHEMA": "app;drop"},
    {"ALERT_ALERTS_TABLE": 'alerts"; DROP TABLE x; --'},
    {"ALERT_STATE_SCHEMA": "1abc"},
    {"ALERT_STATE_SCHEMA": ""},
    {"ALERT_STATE_SCHEMA": "x" * 64},
    {"DATABASE_URL": "mysql://root:hunter2@db/app"},
    {"DATABASE_URL": "postgresql://u:hunter2@db:port/app"},
    {"DATABASE_URL": ""},
    {"ALERT_DATABASE_URL": "sqlite:///hunter2.db"},
    {"ALERT_HTTP_URL": "ftp://files.internal/x"},
    {"ALERT_HTTP_URL": ""},
    *({"ALERT_HTTP_TIMEOUT_SECONDS": value}
      for value in ("0", "-1", "3601", "abc", "", "inf", "-inf", "nan", "\u0661\u0662", "1__0",
                    "1e-400", "0x10")),
    *({"ALERT_ACTIVE_DEADLINE_SECONDS": value} for value in ("0", "-5", "abc", "", "1.5")),
    {"ALERT_LOG_LEVEL": "info"},
    {"ALERT_LOG_LEVEL": "TRACE"},
    {"ALERT_LOG_LEVEL": ""},
    {"ALERT_LOG_FORMAT": "JSON"},
    {"ALERT_LOG_FORMAT": "yaml"},
    {"DATABASE_URL": "mysql://u:hunter2@h/db", "ALERT_STATE_SCHEMA": "a b",
     "ALERT_HTTP_TIMEOUT_SECONDS": "0", "ALERT_LOG_LEVEL": "LOUD"},  # several at once, in order
]


@pytest.mark.parametrize("env", BAD, ids=range(len(BAD)))
def test_bad_environments_fail_in_both_with_the_same_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    _set(monkeypatch, env)

    with pytest.raises(SettingsError) as expected:
        load_settings()
    with pytest.raises(SettingsError) as caught:
        RunnerSettings.from_env()

    message = str(caught.value)
    assert message == str(expected.value)
    assert message.startswith("invalid settings: ")
    assert "\n" not in message and "hunter2" not in message


def test_from_env_reads_the_mapping_given() -> None:
    runner = RunnerSettings.from_env({"ALERT_STATE_SCHEMA": "ops", "PATH": "/bin"})
    assert (runner.state_schema, runner.alerts_schema) == ("ops", "app")


def test_direct_construction_is_checked_the_same_way() -> None:
    with pytest.raises(SettingsError, match=r"^invalid settings: ALERT_ALERTS_TABLE: must be"):
        RunnerSettings(alerts_table="a;b")
    with pytest.raises(SettingsError, match="ALERT_HTTP_TIMEOUT_SECONDS: Input should be greater"):
        RunnerSettings(http_timeout_seconds=0)


def test_missing_database_url_is_named_as_settings_names_it() -> None:
    with pytest.raises(SettingsError) as expected:
        load_settings().require_database_url()
    with pytest.raises(SettingsError) as caught:
        RunnerSettings.from_env({}).require_database_url()
    assert str(caught.value) == str(expected.value)


def test_secrets_stay_out_of_repr_and_str() -> None:
    runner = RunnerSettings.from_env({
        "DATABASE_URL": "postgresql://app:hunter2@db/app",
        "ALERT_HTTP_URL": "https://user:hunter3@app.internal/x",
        "ALERT_HTTP_TOKEN": "hunter4",
    })
    for text in (repr(runner), str(runner), repr(runner.http_token), str(runner.http_token)):
        assert "hunter" not in text
    assert runner.http_token == Secret("hunter4")
    assert runner.http_token is not None and runner.http_token.get_secret_value() == "hunter4"
