"""JSON Schemas of alertctl's ``--output json`` documents (YAML carries the same document).

Scripts may rely on these; the README's "Operating" section documents them and the tests check
every command's output against them. Adding a property is compatible; removing or retyping one
is not.
"""

from __future__ import annotations

from typing import Any

_STRING = {"type": "string"}
_UUID = {"type": "string", "format": "uuid"}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_OPT_STRING = {"type": ["string", "null"]}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


RUN = _object({
    "job_name": _STRING,
    "trigger": {"enum": ["schedule", "manual"]},
    "scheduled_for": _TIME,
    "status": {"enum": ["running", "succeeded", "failed", "skipped"]},
    "attempts": {"type": "integer", "minimum": 0},
    "started_at": _TIME,
    "finished_at": _TIME,
    "duration_seconds": {"type": ["number", "null"]},
    "error": _OPT_STRING,
})

HISTORY = _object({
    "alert_id": _UUID,
    "alert_name": _OPT_STRING,  # null when the alert was deleted but its runs remain
    "runs": {"type": "array", "items": RUN},  # newest first
})
