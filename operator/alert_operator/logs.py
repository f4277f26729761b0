"""Logging: one JSON object per line in clusters, readable text on a terminal.

``log_format`` auto = JSON unless stderr is a terminal. Messages never contain DATABASE_URL
(settings are never logged whole).

A line about an alert carries the alert's identity as JSON keys (:func:`alert_fields`, passed as
``extra``): ``alert_id``, ``client_id``, ``cronjob``, and where it applies ``action``,
``reason``, ``job_name``; every line written during a sync carries its ``sync_id``
(:func:`sync_scope`), and every line written while an action is applied the action's fields
(:func:`log_context`). The runner's lines use the same key names (runner/alert_runner/logs.py).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as LibraryJsonFormatter

from alert_core.jobname import cronjob_name
from alert_core.printable import visible
from alert_core.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# kopf is chatty at INFO about every handler; its warnings and errors still show.
QUIET_LOGGERS = ("kopf", "aiohttp.access", "asyncio")
# kopf's object loggers add the object as ``k8s_ref`` (shown as ``object``, as kopf's own JSON
# format does) and their settings and a flag (left out, as kopf's format does).
JSON_RENAMES = {"levelname": "level", "name": "logger", "exc_info": "exception",
                "k8s_ref": "object"}
KOPF_INTERNAL = ("settings", "k8s_skip")

LogFields = dict[str, str | None]
# Fields every line written in this context carries (a sync's id, the alert an action is for).
_CONTEXT: contextvars.ContextVar[LogFields] = contextvars.ContextVar("log_context")


def alert_fields(
    alert_id: uuid.UUID | None,
    client_id: uuid.UUID | None = None,
    cronjob: str | None = None,
    **more: object,
) -> LogFields:
    """The ``extra`` of a log line about one alert: its ids and CronJob (named after the alert
    when not given), and ``more`` (``action``, ``reason``, ``job_name``...). A key whose value
    is unknown is there with ``null``, so that a query on it never misses the line."""
    if cronjob is None and alert_id is not None:
        cronjob = cronjob_name(alert_id)
    fields: LogFields = {
        "alert_id": None if alert_id is None else str(alert_id),
        "client_id": None if client_id is None else str(client_id),
        "cronjob": cronjob,
    }
    fields.update({key: None if value is None else str(value) for key, value in more.items()})
    return fields


@contextlib.contextmanager
def log_context(fields: LogFields) -> Iterator[None]:
    """Within: every log line of this task, and of the tasks it starts, carries ``fields``
    (a key the line's own ``extra`` has a value for keeps the line's value)."""
    token = _CONTEXT.set({**_CONTEXT.get({}), **fields})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def sync_scope() -> contextlib.AbstractContextManager[None]:
    """Within: every log line carries a new ``sync_id`` (one per full or one-alert sync)."""
    return log_context({"sync_id": uuid.uuid4().hex[:12]})


class ContextFilter(logging.Filter):
    """Adds the fields of :func:`log_context` to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _CONTEXT.get({}).items():
            if getattr(record, key, None) is None:  # the line did not know it: the context does
                setattr(record, key, value)
        return True


def _json_value(value: object) -> str:
    """Any other value as text: never an error in a log line (the library's encoder copies a
    dataclass whole, which fails on one holding a queue or a lock)."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


class JsonFormatter(LibraryJsonFormatter):
    """python-json-logger with our key names: ``level`` (lower case), ``logger``,
    ``message``, ``exception``, ``time`` (UTC, ISO 8601) and every ``extra`` key. Non-ASCII
    and control characters are escaped by JSON (``\\u001b``): the line stays one line."""

    def __init__(self) -> None:
        super().__init__("{levelname}{name}{message}", style="{", rename_fields=JSON_RENAMES,
                         reserved_attrs=[*RESERVED_ATTRS, *KOPF_INTERNAL], timestamp="time",
                         json_default=_json_value)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        log_data["level"] = str(log_data.get("level", "")).lower()
        return log_data


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal; control characters from the data (alert names, errors)
    are escaped, as in alertctl. Only a traceback keeps its line breaks."""

    def __init__(self, fmt: str = TEXT_FORMAT) -> None:
        super().__init__(fmt)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return visible(super().formatMessage(record))

    def formatException(self, ei: logging._SysExcInfoType) -> str:  # noqa: N802
        return "\n".join(visible(line) for line in super().formatException(ei).splitlines())

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return "\n".join(visible(line) for line in stack_info.splitlines())


def use_json(settings: Settings) -> bool:
    if settings.log_format == "auto":
        return not sys.stderr.isatty()
    return settings.log_format == "json"


def log_handler(settings: Settings, stream: Any = None) -> logging.Handler:
    """The operator's handler: JSON or text (see :func:`use_json`), with the context's
    fields."""
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(JsonFormatter() if use_json(settings) else TextFormatter())
    handler.addFilter(ContextFilter())
    return handler


def setup_logging(settings: Settings) -> None:
    root = logging.getLogger()
    root.handlers[:] = [log_handler(settings)]
    root.setLevel(settings.log_level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
