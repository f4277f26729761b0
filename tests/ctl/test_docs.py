"""The README's "Operating" section documents every command and every JSON property."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer

from alert_ctl import schemas
from alert_ctl.cli import app

README = Path(__file__).parents[2] / "README.md"
SCHEMAS = {"status": schemas.STATUS, "sync": schemas.SYNC, "run-now": schemas.RUN_NOW,
           "history": schemas.HISTORY, "history --failed": schemas.FAILED_RUNS,
           "retry": schemas.RETRY}


def operating_section() -> str:
    text = README.read_text()
    match = re.search(r"^## Operating\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, "README has no '## Operating' section"
    return match.group(1)


def property_names(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        yield from schema.get("properties", {})
        for value in schema.values():
            yield from property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from property_names(item)


@pytest.mark.parametrize("command", sorted(SCHEMAS))
def test_every_json_property_is_documented(command: str) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMAS[command])
    section = operating_section()
    missing = sorted({name for name in property_names(SCHEMAS[command])
                      if f"`{name}`" not in section})
    assert not missing, f"README Operating: undocumented {command} JSON properties {missing}"


def test_old_endpoints_are_mapped_to_commands() -> None:
    section = operating_section()
    for endpoint, command in [
        ("GET /scheduler/status", "alertctl status"),
        ("POST /scheduler/reload", "alertctl sync"),
        ("POST /scheduler/stop", "alertctl pause --all"),
        ("POST /scheduler/start", "alertctl resume --all"),
    ]:
        row = next((line for line in section.splitlines() if endpoint in line), "")
        assert command in row, f"{endpoint} is not mapped to {command}"


def test_documented_commands_exist() -> None:
    names = set(typer.main.get_group(app).commands)
    for command in ("status", "sync", "run-now", "pause", "resume", "history", "retry"):
        assert command in names
        assert f"alertctl {command}" in operating_section()
