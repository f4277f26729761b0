"""The real operator's JSON log output, captured for a test (fixture ``json_lines``)."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from alert_core.settings import Settings
from alert_operator.logs import log_handler


class Lines:
    """The operator's JSON log output, parsed."""

    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._stream.getvalue().splitlines()]

    def about(self, alert_id: uuid.UUID, **wanted: str) -> list[dict[str, Any]]:
        return [line for line in self.all() if line.get("alert_id") == str(alert_id)
                and all(line.get(key) == value for key, value in wanted.items())]


@pytest.fixture
def json_lines(operator_settings: Settings) -> Iterator[Lines]:
    """The operator's handler at INFO on the root logger, as its main sets it up. The
    ``alert_operator`` logger's own level is reset too: an in-process ``alertctl sync`` (an
    earlier test) silences it for its process."""
    stream = io.StringIO()
    handler = log_handler(operator_settings.model_copy(update={"log_format": "json"}), stream)
    root, ours = logging.getLogger(), logging.getLogger("alert_operator")
    levels = root.level, ours.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    ours.setLevel(logging.NOTSET)
    try:
        yield Lines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        ours.setLevel(levels[1])
