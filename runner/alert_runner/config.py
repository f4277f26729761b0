"""The runner's settings, read from the environment without pydantic.

The runner starts once per run, and importing pydantic and pydantic-settings for the shared
:class:`alert_core.settings.Settings` cost it ~150 ms of a ~450 ms run (bench/results). So it
reads just the fields it uses, with the same environment names (``DATABASE_URL``, ``ALERT_*``,
matched case-insensitively as pydantic-settings does), the same defaults and the same checks
(:mod:`alert_core.validation`, which Settings uses too). ``tests/runner/test_config.py`` holds
the two to the same answers: every field here is a Settings field with the same default, and
good and bad environments give the same values or the same one-line error.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final, Literal, get_args

from alert_core.validation import (
    MAX_HTTP_TIMEOUT_SECONDS,
    SettingsError,
    asyncpg_dsn,
    check_database_url,
    check_http_url,
    check_sql_identifier,
)

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
LogFormat = Literal["auto", "json", "text"]
LOG_LEVELS: Final[tuple[str, ...]] = get_args(LogLevel)
LOG_FORMATS: Final[tuple[str, ...]] = get_args(LogFormat)
NOT_A_NUMBER: Final = "Input should be a valid number, unable to parse string as a number"
NOT_AN_INTEGER: Final = "Input should be a valid integer, unable to parse string as an integer"


class Secret:
    """A string kept out of ``repr``/``str`` and so out of logs; ``get_secret_value()`` as on
    pydantic's SecretStr, which executors written against Settings already call."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({str(self)!r})"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def env_name(field_name: str) -> str:
    """The environment variable of a field, as Settings names it in its errors."""
    return "DATABASE_URL" if field_name == "database_url" else f"ALERT_{field_name.upper()}"


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    # Pydantic's wording for a Literal, so that both readers fail with the same line.
    expected = ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}"

    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"Input should be {expected}")
        return value

    return check


def _timeout(value: float) -> float:
    # Written as pydantic compares (not <=, not >), so that NaN fails the same way.
    if not value <= MAX_HTTP_TIMEOUT_SECONDS:
        raise ValueError(f"Input should be less than or equal to {MAX_HTTP_TIMEOUT_SECONDS}")
    if not value > 0:
        raise ValueError("Input should be greater than 0")
    return value


def _number(text: str) -> float:
    """A float as pydantic reads one from a string: surrounding whitespace ignored, ASCII
    only (Python's float() would also take other scripts' digits)."""
    stripped = text.strip()
    if not stripped.isascii():
        raise ValueError(NOT_A_NUMBER)
    try:
        return float(stripped)
    except ValueError:
        raise ValueError(NOT_A_NUMBER) from None


def _integer(text: str) -> int:
    """An int as pydantic reads one from a string: whitespace ignored, ASCII digits, ``1_0``,
    and a whole number written with a zero fraction (``1.0``)."""
    stripped = text.strip()
    if stripped.isascii():
        with contextlib.suppress(ValueError):
            return int(stripped)
        whole, dot, fraction = stripped.partition(".")
        if dot and whole.isdecimal() and fraction.strip("0") == "":
            return int(whole)
    raise ValueError(NOT_AN_INTEGER)


def _at_least_one(value: int) -> int:
    if value < 1:
        raise ValueError("Input should be greater than or equal to 1")
    return value


_CHECKS: Final[dict[str, Callable[[Any], object]]] = {
    "database_url": check_database_url,
    "alerts_schema": check_sql_identifier,
    "alerts_table": check_sql_identifier,
    "state_schema": check_sql_identifier,
    "http_url": check_http_url,
    "http_timeout_seconds": _timeout,
    "active_deadline_seconds": _at_least_one,
    "log_level": _choice(LOG_LEVELS),
    "log_format": _choice(LOG_FORMATS),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RunnerSettings:
    """What the runner (and an executor, as ``context.settings``) can read. Fields are in
    Settings' order, so that several wrong values are reported in the same order."""

    # Hidden from repr: the URLs may hold credentials.
    database_url: str | None = field(default=None, repr=False)
    alerts_schema: str = "app"
    alerts_table: str = "alerts"
    state_schema: str = "alert_operator"
    executor: str = "record"
    http_url: str | None = field(default=None, repr=False)
    http_timeout_seconds: float = 10.0
    http_token: Secret | None = None
    # The Job's activeDeadlineSeconds: how long an outcome may be retried while the database
    # is away (counted from the runner's start, a bound the pod cannot outlive anyway).
    active_deadline_seconds: int = 600
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "auto"

    def __post_init__(self) -> None:
        # Built directly (tests, tools) the values get the same checks as from the environment.
        problems = []
        for name, check in _CHECKS.items():
            value = getattr(self, name)
            if value is None:
                continue
            try:
                check(value)
            except ValueError as error:
                problems.append(f"{env_name(name)}: {error}")
        if problems:
            raise SettingsError("invalid settings: " + "; ".join(problems))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RunnerSettings:
        """Read ``environ`` (default: the process's); :class:`SettingsError` names every wrong
        variable in one line, never echoing a value."""
        # pydantic-settings matches names case-insensitively, the last spelling winning.
        env = {key.lower(): value for key, value in (os.environ if environ is None
                                                     else environ).items()}
        values: dict[str, Any] = {}
        problems: list[str] = []
        for spec in fields(cls):
            name = spec.name
            if name == "database_url":  # DATABASE_URL wins over ALERT_DATABASE_URL
                raw = env.get("database_url", env.get("alert_database_url"))
            else:
                raw = env.get(f"alert_{name}")
            if raw is None:
                continue
            try:
                value: Any = raw
                if name == "http_timeout_seconds":
                    value = _number(raw)
                elif name == "active_deadline_seconds":
                    value = _integer(raw)
                elif name == "http_token":
                    value = Secret(raw)
                if name in _CHECKS:
                    _CHECKS[name](value)
            except ValueError as error:
                problems.append(f"{env_name(name)}: {error}")
                continue
            values[name] = value
        if problems:
            raise SettingsError("invalid settings: " + "; ".join(problems))
        return cls(**values)

    @property
    def asyncpg_dsn(self) -> str:
        """The URL as asyncpg wants it (plain ``postgresql://``)."""
        return asyncpg_dsn(self.require_database_url())

    def require_database_url(self) -> str:
        if not self.database_url:
            raise SettingsError("DATABASE_URL: not set (give --database-url or set DATABASE_URL)")
        return self.database_url
