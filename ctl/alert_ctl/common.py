"""What every alertctl command shares: settings options, exit codes, one-line errors (the output
formats are alert_ctl.formatting's)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, NoReturn, TypeVar

import asyncpg
import typer
from sqlalchemy.exc import SQLAlchemyError

from alert_core.printable import visible
from alert_core.settings import Settings, SettingsError, load_settings

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

T = TypeVar("T")


DatabaseUrlOption = Annotated[
    str | None,
    typer.Option("--database-url", help="PostgreSQL URL [env: DATABASE_URL]", show_default=False),
]
KubeconfigOption = Annotated[
    str | None,
    typer.Option("--kubeconfig", help="kubeconfig file(s), ':'-joined, as kubectl's "
                 "[env: KUBECONFIG; else ~/.kube/config; else the pod's service account]",
                 show_default=False),
]
ContextOption = Annotated[
    str | None,
    typer.Option("--context", help="the kubeconfig context to use [its current-context]",
                 show_default=False),
]
NamespaceOption = Annotated[
    str | None,
    typer.Option("--namespace", "-n", help="namespace of the CronJobs [env: ALERT_NAMESPACE]"),
]


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """Print one line on stderr and exit with ``code``."""
    typer.echo(f"error: {visible(message)}", err=True)
    raise typer.Exit(code)


def settings_from(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as error:
        fail(str(error), EXIT_USAGE)


# Anything shaped like scheme://user:password@host, wherever a driver might echo it.
_URL_WITH_CREDENTIALS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s@/]*@")
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


def describe_database_error(error: BaseException) -> str:
    """A one-line reason that never contains the URL or its password."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()[0] if str(original).strip() else ""
    text = _URL_WITH_CREDENTIALS.sub("<url>@", text)
    return f"database unreachable or failing: {type(original).__name__}: {text}"[:300]


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(factory())
