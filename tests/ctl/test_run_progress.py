"""run-now --wait's progress line: what it says of pods and Jobs, and silence off a terminal."""

from __future__ import annotations

import io

from alert_ctl.run_progress import CLEAR_LINE, WaitProgress, job_phase, pod_phase


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _pod(created: str, phase: str | None, waiting: str | None = None) -> dict[str, object]:
    status: dict[str, object] = {} if phase is None else {"phase": phase}
    if waiting:
        status["containerStatuses"] = [{"state": {"waiting": {"reason": waiting}}}]
    return {"metadata": {"creationTimestamp": created}, "status": status}


def test_the_newest_pod_and_why_it_waits() -> None:
    assert pod_phase([]) == "no pod yet"
    assert pod_phase([_pod("2026-01-01T00:00:00Z", "Failed"),
                      _pod("2026-01-01T00:01:00Z", "Pending", "ImagePullBackOff")]) == (
        "pod Pending (ImagePullBackOff)")
    assert pod_phase([_pod("2026-01-01T00:00:00Z", None)]) == "pod Pending"  # no status yet


def test_job_counters_when_pods_cannot_be_listed() -> None:
    assert job_phase(None) == "no pod yet"
    assert job_phase({"status": {"active": 1}}) == "pod starting"
    assert job_phase({"status": {"active": 1, "ready": 1}}) == "pod running"
    assert job_phase({"status": {"failed": 2}}) == "2 pod(s) failed, retrying"


def test_one_line_rewritten_then_cleared_and_silent_in_a_pipe() -> None:
    terminal = Terminal()
    progress = WaitProgress("job-1", terminal)
    progress.update("pod Running", "running")
    progress.update("pod Running\x1b[2J")
    progress.done()
    shown = terminal.getvalue()
    assert shown.startswith(f"{CLEAR_LINE}job.batch/job-1 created · pod Running · run running · ")
    assert "\\x1b[2J" in shown and "\x1b[2J" not in shown and "\n" not in shown
    assert shown.endswith(CLEAR_LINE)
    pipe = io.StringIO()
    quiet = WaitProgress("job-1", pipe)
    quiet.update("pod Running")
    quiet.done()
    assert not quiet.enabled and pipe.getvalue() == ""
