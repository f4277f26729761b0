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

PAUSE = {
    "oneOf": [
        {"type": "null"},
        _object({
            "paused_by": _STRING,
            "paused_at": _TIME,
            "reason": _OPT_STRING,
            "global": {"type": "boolean"},  # true: paused by `alertctl pause --all`
        }),
    ]
}

LAST_RUN = {
    "oneOf": [
        {"type": "null"},
        _object({
            key: value for key, value in RUN["properties"].items() if key != "attempts"
        }),
    ]
}

CRONJOB_STATES = ["in sync", "drifted", "missing", "invalid", "orphan"]

STATUS_ALERT = _object({
    "id": _UUID,
    "name": _STRING,
    "client_id": {"type": ["string", "null"]},
    "is_active": {"type": "boolean"},  # the application's flag
    # paused (alertctl pause, or pause --all) wins over suspended (is_active false).
    "state": {"enum": ["active", "paused", "suspended"]},
    "pause": PAUSE,
    "schedule": {
        "oneOf": [
            {"type": "null"},  # the frequency is invalid: see "problem"
            _object({"cron": _STRING, "timezone": _STRING, "description": _STRING}),
        ]
    },
    "problem": _OPT_STRING,  # why the frequency is invalid
    "next_run": _TIME,  # in the alert's timezone; null unless active and valid
    "last_run": LAST_RUN,
    "cronjob": _object({
        "name": _STRING,
        # null: the cluster could not be read ("invalid" is known from the database alone).
        "state": {"enum": [*CRONJOB_STATES, None]},
        "reason": _OPT_STRING,
        "exists": {"type": ["boolean", "null"]},
        "suspended": {"type": ["boolean", "null"]},  # the live spec.suspend
    }),
})

STATUS = _object({
    "namespace": _STRING,
    "generated_at": _TIME,
    "global_pause": PAUSE,
    "cluster": _object({"reachable": {"type": "boolean"}, "error": _OPT_STRING}),
    "alerts": {"type": "array", "items": STATUS_ALERT},
    "orphans": {"type": "array", "items": _STRING},  # managed CronJobs without an alert
})

SYNC_ACTION = _object({
    "cronjob": _STRING,
    "alert_id": {"type": ["string", "null"]},
    "action": {"enum": ["create", "update", "recreate", "suspend", "delete"]},
    "reason": _STRING,
    "result": {"enum": ["applied", "planned", "failed"]},  # planned: --dry-run
    "error": _OPT_STRING,
})

SYNC = _object({
    "namespace": _STRING,
    "dry_run": {"type": "boolean"},
    "ok": {"type": "boolean"},  # false: an action failed or deletes were held back
    "error": _OPT_STRING,
    "alerts": {"type": "integer", "minimum": 0},
    "managed_cronjobs": {"type": "integer", "minimum": 0},
    "counts": _object({
        key: {"type": "integer", "minimum": 0}
        for key in ("create", "update", "recreate", "suspend", "delete", "skipped_invalid")
    }),
    "actions": {"type": "array", "items": SYNC_ACTION},
    "invalid": {"type": "array", "items": _object({
        "alert_id": _UUID, "name": _STRING, "problem": _STRING, "cronjob": _OPT_STRING,
    })},
    "blocked_deletes": _OPT_STRING,  # mass-delete protection's reason
    "held_deletes": {"type": "array", "items": _STRING},
})

RUN_NOW = _object({
    "namespace": _STRING,
    "cronjob": _STRING,
    "job_name": _STRING,
    "logs_command": _STRING,
    "run": {"oneOf": [{"type": "null"}, RUN]},  # null without --wait (or nothing recorded yet)
    "job_failure": _OPT_STRING,  # --wait: the Job failed before its run was recorded
    "timed_out": {"type": "boolean"},
})

# --- the dead-letter queue: `history --failed` and `retry` (alert_ctl.retry_cmd) ------------
FAILED_RUN = _object({
    "run_id": _UUID,  # what `alertctl retry` takes
    "alert_id": _UUID,
    "alert_name": _OPT_STRING,  # null when the alert was deleted but its runs remain
    "job_name": _STRING,
    "trigger": {"enum": ["schedule", "manual"]},
    "scheduled_for": _TIME,
    "attempts": {"type": "integer", "minimum": 0},
    "started_at": _TIME,
    "finished_at": _TIME,
    "error": _OPT_STRING,
    "retry_job_name": _OPT_STRING,  # the latest retry's Job, if the run was retried
})

FAILED_RUNS = _object({
    "since": _TIME,
    "client_id": {"type": ["string", "null"]},
    "runs": {"type": "array", "items": FAILED_RUN},  # newest first
})

RETRY = _object({
    "namespace": _STRING,
    "run_id": _UUID,
    "alert_id": _UUID,
    "job_name": _STRING,  # the run's own Job: its alert_runs row
    "scheduled_for": _TIME,
    "cronjob": _STRING,
    "retry_job_name": _STRING,  # the manual Job created
    "logs_command": _STRING,
})
