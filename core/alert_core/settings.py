"""The one settings object shared by the operator, the runner and alertctl.

Values come from environment variables (``DATABASE_URL``, ``ALERT_*``) and from CLI flags, which
are passed in as keyword arguments and win over the environment. A wrong value fails at start
with a message that names the setting.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The rules themselves live in alert_core.validation (no pydantic) so that the runner's light
# reader (alert_runner.config) applies exactly the same ones.
from alert_core.validation import (
    DNS_LABEL,
    DNS_SUBDOMAIN,
    MAX_HTTP_TIMEOUT_SECONDS,
    QUANTITY,
    SettingsError,
    asyncpg_dsn,
    check_database_url,
    check_http_url,
    check_sql_identifier,
)
from alert_core.version import __version__

__all__ = ["Settings", "SettingsError", "describe_validation_error", "load_settings"]

Seconds = Annotated[int, Field(ge=1)]
Quantity = Annotated[str, Field(pattern=QUANTITY.pattern)]


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
    http_timeout_seconds: Annotated[float, Field(gt=0, le=MAX_HTTP_TIMEOUT_SECONDS)] = 10.0
    http_token: SecretStr | None = None
    http_token_secret_name: str | None = None
    http_token_secret_key: str = "token"  # noqa: S105

    # --- Job defaults -----------------------------------------------------------------------
    concurrency_policy: Literal["Forbid", "Allow", "Replace"] = "Forbid"
    starting_deadline_seconds: Annotated[int, Field(ge=10)] = 300
    backoff_limit: Annotated[int, Field(ge=0, le=100)] = 3
    active_deadline_seconds: Seconds = 600
    # A Job with no pod this long after its creation is reported as a run that cannot start.
    run_start_grace_seconds: Seconds = 60
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

    # --- web UI (alert_operator.ui, at /ui/ on the status port) -----------------------------
    ui_enabled: bool = True
    # Pause, resume, run-now and sync from the page: off unless enabled, and then only with a
    # bearer token from ui_tokens_dir (a mounted Secret: one file per token, named after its
    # holder, who is recorded with every action).
    ui_actions_enabled: bool = False
    ui_tokens_dir: str | None = None
    # Runs in one minute beyond which the CronJob controller falls behind (BENCHMARKS.md:
    # ~10 runs a second at its default 20 QPS): the timeline marks such minutes.
    ui_prompt_starts_per_minute: Annotated[int, Field(ge=1)] = 600

    # --- logging ----------------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        return None if value is None else check_database_url(value)

    @field_validator("alerts_schema", "alerts_table", "state_schema")
    @classmethod
    def _sql_identifier(cls, value: str) -> str:
        return check_sql_identifier(value)

    @field_validator("http_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else check_http_url(value)

    @field_validator("database_secret_name", "runner_service_account", "http_token_secret_name")
    @classmethod
    def _dns_name(cls, value: str | None) -> str | None:
        if value is not None and not DNS_SUBDOMAIN.fullmatch(value):
            raise ValueError("must be a Kubernetes name: lower-case letters, digits, '-' and '.'")
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace_label(cls, value: str) -> str:
        if not DNS_LABEL.fullmatch(value):
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
        return asyncpg_dsn(self.require_database_url())

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
