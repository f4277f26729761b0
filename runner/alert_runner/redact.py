"""One-line, storable messages from exceptions, without secrets (database URL, password, token)."""

from __future__ import annotations

from urllib.parse import unquote

from alert_core.db.runs import storable
from alert_runner.config import RunnerSettings
from alert_runner.executors import PermanentError

MAX_MESSAGE_LENGTH = 500


class Redactor:
    """Turns exceptions into one-line messages without secrets (database URL, password, token)."""

    def __init__(self, settings: RunnerSettings) -> None:
        secrets: list[str] = []
        if settings.database_url:
            secrets += [settings.database_url, settings.asyncpg_dsn]
            password = _password(settings.asyncpg_dsn)
            if password:
                secrets += [password, unquote(password)]  # as written and as decoded
        if settings.http_token is not None and settings.http_token.get_secret_value():
            secrets.append(settings.http_token.get_secret_value())
        self._secrets = sorted(set(secrets), key=len, reverse=True)

    def __call__(self, error: BaseException | str) -> str:
        if isinstance(error, str):
            text = error
        elif isinstance(error, PermanentError) or type(error).__module__.startswith("alert_"):
            text = str(error)  # our own messages are written to be read as they are
        else:
            text = f"{type(error).__name__}: {error}".rstrip(": ")
        line = " ".join(text.split())  # one line, whatever the exception printed
        for secret in self._secrets:
            line = line.replace(secret, "***")
        # NUL, control characters, lone surrogates: PostgreSQL refuses them, terminals obey them.
        return storable(line)[:MAX_MESSAGE_LENGTH]


def _password(dsn: str) -> str | None:
    userinfo = dsn.partition("://")[2].rpartition("@")[0]
    return userinfo.partition(":")[2] or None if userinfo else None
