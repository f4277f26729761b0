"""Log lines: python-json-logger with our keys, escaped text, and the context's fields."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import uuid

from alert_core.settings import Settings
from alert_operator.logs import alert_fields, log_context, log_handler, sync_scope

ALERT = uuid.UUID("0b7e1c5e-8a64-4a55-9d4e-0b1d9a3e7f10")
CLIENT = uuid.UUID("11111111-1111-4111-8111-111111111111")
HOSTILE = "n\x1b]0;owned\x07\r\n\x9b2J\u202eevil\x00"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]")


def _logger(settings: Settings, log_format: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    logger = logging.getLogger(f"alert_operator.test_logs.{log_format}")
    logger.handlers[:] = [log_handler(settings.model_copy(update={"log_format": log_format}),
                                      stream)]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_json_line_has_the_alert_keys_and_escapes_hostile_text(settings: Settings) -> None:
    logger, stream = _logger(settings, "json")
    logger.warning("alert %s (%s) cannot be scheduled", ALERT, HOSTILE,
                   extra=alert_fields(ALERT, CLIENT, reason=HOSTILE, action="create"))
    [line] = stream.getvalue().splitlines()
    assert not RAW_CONTROL.search(line)  # JSON escapes them: one line, nothing for a terminal
    entry = json.loads(line)
    assert entry["message"] == f"alert {ALERT} ({HOSTILE}) cannot be scheduled"  # exact text
    assert (entry["level"], entry["logger"]) == ("warning", "alert_operator.test_logs.json")
    assert (entry["alert_id"], entry["client_id"], entry["cronjob"]) == (
        str(ALERT), str(CLIENT), f"alert-{ALERT}")
    assert (entry["action"], entry["reason"]) == ("create", HOSTILE)
    assert entry["time"].endswith("+00:00")


def test_json_exception_is_one_line(settings: Settings) -> None:
    logger, stream = _logger(settings, "json")
    try:
        raise ValueError(HOSTILE)
    except ValueError:
        logger.exception("crashed", extra=alert_fields(ALERT))
    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert "Traceback" in entry["exception"] and HOSTILE in entry["exception"]
    assert entry["client_id"] is None and entry["alert_id"] == str(ALERT)


def test_text_line_escapes_hostile_text(settings: Settings) -> None:
    logger, stream = _logger(settings, "text")
    logger.warning("alert %s", HOSTILE, extra=alert_fields(ALERT))
    [line] = stream.getvalue().splitlines()
    assert not RAW_CONTROL.search(line)
    assert "\\x1b]0;owned\\x07\\x0d\\x0a\\x9b2J\\u202eevil\\x00" in line


async def test_context_fields_reach_lines_of_tasks_started_within(settings: Settings) -> None:
    logger, stream = _logger(settings, "json")

    async def write(message: str, **known: object) -> None:
        logger.info(message, extra=alert_fields(None, **known) if known else None)

    with sync_scope(), log_context(alert_fields(ALERT, CLIENT, action="update")):
        await asyncio.create_task(write("in a task"))
        await write("own cronjob wins", cronjob="other")
    await write("outside")
    inside, own, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert re.fullmatch("[0-9a-f]{12}", inside["sync_id"])
    assert (inside["alert_id"], inside["client_id"], inside["action"]) == (
        str(ALERT), str(CLIENT), "update")
    assert own["sync_id"] == inside["sync_id"]
    assert (own["cronjob"], own["alert_id"]) == ("other", str(ALERT))  # null filled by context
    assert "sync_id" not in outside and "alert_id" not in outside


async def test_each_sync_scope_has_its_own_id(settings: Settings) -> None:
    logger, stream = _logger(settings, "json")
    for _ in range(2):
        with sync_scope():
            logger.info("sync")
    first, second = (json.loads(line)["sync_id"] for line in stream.getvalue().splitlines())
    assert first != second


def test_kopf_object_lines_show_the_object_and_not_its_settings(settings: Settings) -> None:
    import kopf

    logger, stream = _logger(settings, "json")
    body = kopf.Body({"apiVersion": "batch/v1", "kind": "Job",
                      "metadata": {"name": "j", "namespace": "alerts", "uid": "u"}})
    kopf_logger = kopf.ObjectLogger(body=body, settings=kopf.OperatorSettings())
    kopf_logger.logger = logger  # its lines through our handler
    kopf_logger.warning("Handler failed")
    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["object"] == {"apiVersion": "batch/v1", "kind": "Job", "name": "j",
                               "uid": "u", "namespace": "alerts"}
    assert "settings" not in entry and "k8s_skip" not in entry
