"""Log lines: JSON for collectors (not a terminal), readable text on a terminal."""

from __future__ import annotations

import io
import json

from alert_runner.logs import configure


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_when_not_a_terminal() -> None:
    stream = io.StringIO()
    configure("auto", "INFO", stream).info("run finished", extra={"outcome": "succeeded",
                                                                   "run_id": None})

    [line] = stream.getvalue().splitlines()
    data = json.loads(line)
    assert (data["level"], data["message"], data["outcome"], data["run_id"]) == (
        "info", "run finished", "succeeded", None)
    assert data["time"].endswith("+00:00")


def test_text_on_a_terminal_and_levels_filter() -> None:
    stream = _Terminal()
    logger = configure("auto", "WARNING", stream)
    logger.info("hidden")
    logger.error("run finished", extra={"outcome": "failed"})

    [line] = stream.getvalue().splitlines()
    assert "ERROR" in line and line.endswith("run finished  outcome=failed")
    assert not line.startswith("{")


def test_forced_format_wins_over_the_terminal() -> None:
    stream = _Terminal()
    configure("json", "INFO", stream).info("x")
    assert json.loads(stream.getvalue())["message"] == "x"


def test_text_escapes_control_characters_and_json_keeps_them_exact() -> None:
    hostile = "refused\x1b[2J\r\n\x9bx"
    stream = _Terminal()
    configure("auto", "INFO", stream).error("run finished", extra={"reason": hostile})
    [line] = stream.getvalue().splitlines()
    assert "reason=refused\\x1b[2J\\x0d\\x0a\\x9bx" in line and "\x1b" not in line

    stream = io.StringIO()
    configure("json", "INFO", stream).error("run finished", extra={"reason": hostile})
    [line] = stream.getvalue().splitlines()
    assert "\x1b" not in line and "\x9b" not in line
    assert json.loads(line)["reason"] == hostile
