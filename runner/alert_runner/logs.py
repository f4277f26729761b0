"""The runner's log lines: one JSON object per line on stdout, plain text on a terminal.

``kubectl logs`` shows what the pod wrote to stdout; a log collector parses one JSON object per
line. Every line of a run carries the run's identity (alert id, client id, job name, run id,
trigger) once it is known, so a single line is enough to find the run in ``alert_runs``; the
keys are the operator's (``alert_id``, ``client_id``, ``cronjob``, ``job_name``, ``reason``:
README, "Logs"). Kept small on purpose (no python-json-logger): the runner starts for every run.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from alert_core.printable import visible

LOGGER_NAME = "alert_runner"
# Attributes every LogRecord has; anything else was passed in ``extra`` and is ours to print.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        line.update(_fields(record))
        # ASCII only: `kubectl logs` prints to a terminal, where a raw C1 CSI (\x9b) acts.
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """For a terminal: control characters from the data (a reason quoting a remote error) are
    escaped; JSON escapes them by itself."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        details = " ".join(f"{key}={value}" for key, value in _fields(record).items())
        return visible(f"{when} {record.levelname:<7} {record.getMessage()}" + (
            f"  {details}" if details else ""
        ))


def wants_json(log_format: str, stream: TextIO) -> bool:
    if log_format == "auto":
        isatty = getattr(stream, "isatty", None)
        return not (isatty is not None and isatty())
    return log_format == "json"


def configure(log_format: str, level: str, stream: TextIO | None = None) -> logging.Logger:
    """The runner's logger, writing to stdout (or ``stream``) in the chosen format."""
    stream = stream if stream is not None else sys.stdout
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if wants_json(log_format, stream) else TextFormatter())
    logger = logging.getLogger(LOGGER_NAME)
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)
