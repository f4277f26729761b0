"""What ``alertctl run-now --wait`` shows while it waits: one status line on a terminal (the Job,
its pod's phase, the time waited), rewritten in place and cleared at the end; nothing when
stderr is not a terminal (scripts read the final line only).
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from alert_core.printable import visible

JOB_NAME_LABEL = "batch.kubernetes.io/job-name"  # set by the Job controller on its pods
CLEAR_LINE = "\r\x1b[K"


def pod_phase(pods: list[dict[str, Any]]) -> str:
    """The newest pod's phase, with the reason its container waits (``ImagePullBackOff``)."""
    if not pods:
        return "no pod yet"
    newest = max(pods, key=lambda pod: str((pod.get("metadata") or {}).get("creationTimestamp")
                                           or ""))
    status = newest.get("status") or {}
    phase = str(status.get("phase") or "Pending")
    for container in status.get("containerStatuses") or []:
        reason = ((container.get("state") or {}).get("waiting") or {}).get("reason")
        if reason:
            return f"pod {phase} ({reason})"
    return f"pod {phase}"


def job_phase(job: dict[str, Any] | None) -> str:
    """The Job's own counters, when its pods cannot be listed (RBAC): active, failed."""
    status = (job or {}).get("status") or {}
    if status.get("active"):
        return "pod running" if status.get("ready") else "pod starting"
    if status.get("failed"):
        return f"{status['failed']} pod(s) failed, retrying"
    return "no pod yet"


class WaitProgress:
    """The status line; silent unless ``stream`` is a terminal."""

    def __init__(self, job_name: str, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._on = self._stream.isatty()
        self._job = job_name
        self._started = time.monotonic()
        self._shown = False

    @property
    def enabled(self) -> bool:
        return self._on

    def update(self, phase: str, run_status: str | None = None) -> None:
        if not self._on:
            return
        waited = int(time.monotonic() - self._started)
        text = f"job.batch/{self._job} created · {phase}"
        if run_status is not None:
            text += f" · run {run_status}"
        self._stream.write(f"{CLEAR_LINE}{visible(text)} · {waited}s")
        self._stream.flush()
        self._shown = True

    def done(self) -> None:
        if self._shown:
            self._stream.write(CLEAR_LINE)
            self._stream.flush()
            self._shown = False
