"""The pure validation rules: patterns and checks shared by the pydantic models (settings,
frequency) and the runner's light readers, which must not import pydantic (it doubles the
runner's start-up time). Standard library only, on purpose.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import urlsplit

from alert_core.safe_json import JsonLimitError, loads_bounded

SQL_IDENTIFIER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
DNS_LABEL: Final = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN: Final = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
# Kubernetes resource quantities, e.g. 100m, 0.5, 128Mi, 1G.
QUANTITY: Final = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
DATABASE_SCHEMES: Final = ("postgresql://", "postgres://", "postgresql+asyncpg://")
MAX_HTTP_TIMEOUT_SECONDS: Final = 3600

# --- frequencies ------------------------------------------------------------------------------
# \Z, not $: "$" would also accept a trailing newline.
TIME_OF_DAY: Final = re.compile(r"(?P<hour>[01]?[0-9]|2[0-3]):(?P<minute>[0-5][0-9])\Z")
# Kubernetes' own check of spec.timeZone, per '/'-separated part (batch validation).
ZONE_PART: Final = re.compile(r"[A-Za-z.\-_0-9+]{1,14}\Z")
# Files in the zoneinfo directory that are not IANA zone names.
NOT_ZONES: Final = frozenset({"localtime", "posixrules", "Local"})
# Directories of variant copies (POSIX-only rules, leap seconds) that available_timezones()
# leaves out: ZoneInfo loads e.g. "right/UTC", but it is not a zone name.
NOT_ZONE_DIRECTORIES: Final = frozenset({"posix", "right"})
# Checked before the items are: a hostile 100,000-element list fails at once, in one line.
MAX_LIST_LENGTH: Final = 100
DEFAULT_TIMEZONE: Final = "UTC"


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the setting."""


def check_database_url(value: str) -> str:
    """``value`` if it is a PostgreSQL URL; ValueError otherwise, never echoing it (it may hold
    a password)."""
    if not value.startswith(DATABASE_SCHEMES):
        raise ValueError("must start with postgresql://, postgres:// or postgresql+asyncpg://")
    try:
        # libpq and asyncpg take a list of hosts, "h1:5432,h2:5432", tried in turn: each host
        # is checked on its own (urlsplit's .port of the whole list would refuse it).
        hosts = urlsplit(value).netloc.rpartition("@")[2]
        for host in hosts.split(","):
            urlsplit("//" + host).port  # noqa: B018 (raises on a malformed host or port)
    except ValueError:
        raise ValueError("not a valid URL (malformed host or port)") from None
    return value


def check_sql_identifier(value: str) -> str:
    # Schema and table names are put into SQL text (quoted): only plain identifiers pass.
    if not SQL_IDENTIFIER.fullmatch(value):  # fullmatch: "$" would allow a trailing newline
        raise ValueError("must be a SQL identifier: a letter or _, then letters, digits, _")
    return value


def check_http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value


def asyncpg_dsn(url: str) -> str:
    """The database URL as asyncpg wants it (plain ``postgresql://``)."""
    for scheme in DATABASE_SCHEMES:
        if url.startswith(scheme):
            return "postgresql://" + url[len(scheme) :]
    return url


def zone_name_is_well_formed(value: str) -> bool:
    """Kubernetes' shape check for ``spec.timeZone``, minus names that are files, not zones
    (whether the zone exists is a separate question)."""
    parts = value.split("/")
    return (
        value not in NOT_ZONES
        and parts[0] not in NOT_ZONE_DIRECTORIES
        and all(ZONE_PART.fullmatch(part) and part not in (".", "..") for part in parts)
    )


class FrequencyError(ValueError):
    """A frequency that cannot be understood; the message names the field and the problem."""


def frequency_object(raw: Any) -> dict[str, Any]:
    """The stored frequency as a JSON object (a dict, or a JSON string of one), else
    :class:`FrequencyError` with one line saying what it is instead."""
    if isinstance(raw, str | bytes):
        try:
            raw = loads_bounded(raw)
        except JsonLimitError as error:
            raise FrequencyError(f"frequency: {error}") from None
    if not isinstance(raw, dict):
        kind = "null" if raw is None else type(raw).__name__
        raise FrequencyError(f"frequency: must be a JSON object, got {kind}")
    return raw
