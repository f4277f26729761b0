"""The one settings object shared by the operator, the runner and alertctl.

Values come from environment variables (``DATABASE_URL``, ``ALERT_*``) and from CLI flags, which
are passed in as keyword arguments and win over the environment. A wrong value fails at start
with a message that names the setting.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alert_core.version import __version__

SQL_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
# Kubernetes resource quantities, e.g. 100m, 0.5, 128Mi, 1G.
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
DATABASE_SCHEMES = ("postgresql://", "postgres://", "postgresql+asyncpg://")

Seconds = Annotated[int, Field(ge=1)]
Quantity = Annotated[str, Field(pattern=QUANTITY.pattern)]


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the setting."""


class Settings(BaseSettings):
    """Everything configurable, with the defaults an installation starts from."""

    model_config = SettingsConfigDict(
        env_prefix="ALERT_", extra="ignore", frozen=True, populate_by_name=True
    )

    # --- database -------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    alerts_schema: str = "app"
    alerts_table: str = "alerts"
    state_schema: str = "alert_operator"

    # --- where and what the CronJobs run ---------------------------------------------------
    namespace: str = "default"
    runner_image: str = f"ghcr.io/alert-operator/alert-runner:{__version__}"
    runner_image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    runner_service_account: str = "alert-runner"
    database_secret_name: str = "alert-operator-database"  # noqa: S105 (a name, not a secret)
    database_secret_key: str = "url"  # noqa: S105
    executor: str = "record"
    # The runner's `http` executor: where it POSTs, how long it waits, and the optional bearer
    # token (in the pod from the Secret named here; never a literal value in the CronJob).
    http_url: str | None = None
    http_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 10.0
    http_token: SecretStr | None = None
    http_token_secret_name: str | None = None
    http_token_secret_key: str = "token"  # noqa: S105

    # --- Job defaults -----------------------------------------------------------------------
    concurrency_policy: Literal["Forbid", "Allow", "Replace"] = "Forbid"
    starting_deadline_seconds: Annotated[int, Field(ge=10)] = 300
    backoff_limit: Annotated[int, Field(ge=0, le=100)] = 3
    active_deadline_seconds: Seconds = 600
    ttl_seconds_after_finished: Annotated[int, Field(ge=0)] = 86400
    successful_jobs_history_limit: Annotated[int, Field(ge=0, le=100)] = 3
    failed_jobs_history_limit: Annotated[int, Field(ge=0, le=100)] = 3
    runner_cpu_request: Quantity = "50m"
    runner_memory_request: Quantity = "64Mi"
    runner_cpu_limit: Quantity = "500m"
    runner_memory_limit: Quantity = "256Mi"
    # Minutes over which fixed-minute schedules are spread, per alert (0 = off): see spread.py.
    schedule_spread_minutes: Annotated[int, Field(ge=0, le=60)] = 0

    # --- operator ---------------------------------------------------------------------------
    resync_interval_seconds: Annotated[float, Field(gt=0)] = 300.0
    max_concurrency: Annotated[int, Field(ge=1, le=256)] = 16
    max_delete_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    mass_delete_min: Annotated[int, Field(ge=0)] = 10
    confirm_mass_delete: bool = False
    dry_run: bool = False
    liveness_port: Annotated[int, Field(ge=1, le=65535)] = 8080
    status_port: Annotated[int, Field(ge=1, le=65535)] = 9090
    max_sync_age_seconds: Annotated[float, Field(gt=0)] = 900.0

    # --- logging ----------------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(DATABASE_SCHEMES):
            raise ValueError("must start with postgresql://, postgres:// or postgresql+asyncpg://")
        if value is not None:
            try:  # the value itself is never echoed: it may hold a password
                urlsplit(value).port  # noqa: B018 (raises on a malformed host or port)
            except ValueError:
                raise ValueError("not a valid URL (malformed host or port)") from None
        return value

    @field_validator("alerts_schema", "alerts_table", "state_schema")
    @classmethod
    def _sql_identifier(cls, value: str) -> str:
        if not SQL_IDENTIFIER.match(value):
            raise ValueError("must be a SQL identifier: a letter or _, then letters, digits, _")
        return value

    @field_validator("http_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("database_secret_name", "runner_service_account", "http_token_secret_name")
    @classmethod
    def _dns_name(cls, value: str | None) -> str | None:
        if value is not None and not DNS_SUBDOMAIN.match(value):
            raise ValueError("must be a Kubernetes name: lower-case letters, digits, '-' and '.'")
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace_label(cls, value: str) -> str:
        if not DNS_LABEL.match(value):
            raise ValueError("must be a DNS label of at most 63 characters")
        return value

    @field_validator("runner_image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not value or any(c.isspace() for c in value):
            raise ValueError("must be a container image reference without spaces")
        return value

    @property
    def asyncpg_dsn(self) -> str:
        """The URL as asyncpg wants it (plain ``postgresql://``)."""
        url = self.require_database_url()
        for scheme in DATABASE_SCHEMES:
            if url.startswith(scheme):
                return "postgresql://" + url[len(scheme) :]
        return url

    @property
    def sqlalchemy_url(self) -> str:
        """The URL as SQLAlchemy's async engine wants it (``postgresql+asyncpg://``)."""
        return "postgresql+asyncpg://" + self.asyncpg_dsn[len("postgresql://") :]

    def require_database_url(self) -> str:
        if not self.database_url:
            raise SettingsError("DATABASE_URL: not set (give --database-url or set DATABASE_URL)")
        return self.database_url


def describe_validation_error(error: ValidationError) -> str:
    """One line naming every wrong setting, without echoing secret values."""
    parts = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"]) or "settings"
        # From the environment the location is the alias DATABASE_URL, from a flag database_url.
        env_name = "DATABASE_URL" if name.lower() == "database_url" else f"ALERT_{name.upper()}"
        message = problem["msg"].removeprefix("Value error, ")
        parts.append(f"{env_name}: {message}")
    return "invalid settings: " + "; ".join(parts)


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment plus the given overrides (``None`` = not given).

    Raises :class:`SettingsError` with a one-line message naming the wrong setting.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None
