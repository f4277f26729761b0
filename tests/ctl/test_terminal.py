"""alertctl on a real terminal (a pseudo-terminal, 100 columns): tables fit without cutting an
id, usage errors stay one line, run-now --wait shows its progress line and clears it."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.cells import cell_len

from alert_ctl.run_progress import CLEAR_LINE
from tests.ctl.conftest import JOBS, NAMESPACE, Database, Emulator, Result, add_run, wait_for

ALERTCTL = str(Path(sys.executable).with_name("alertctl"))
COLUMNS = 100


def _terminal() -> tuple[int, int]:
    """A pseudo-terminal of COLUMNS columns: (our end, the program's end)."""
    ours, theirs = pty.openpty()
    fcntl.ioctl(theirs, termios.TIOCSWINSZ, struct.pack("HHHH", 40, COLUMNS, 0, 0))
    return ours, theirs


def _read_all(fd: int, seen: list[str] | None = None) -> str:
    """Everything shown on the terminal until the program closes it (``seen`` as it comes)."""
    chunks = [] if seen is None else seen
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the program closed its end
            break
        if not chunk:
            break
        chunks.append(chunk.decode(errors="replace"))
    os.close(fd)
    return "".join(chunks)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("COLUMNS", None)  # the terminal's own size decides
    return env


def _on_terminal(*args: str) -> tuple[int, str]:
    """Run alertctl with stdout and stderr on the terminal; its exit code and what it showed."""
    ours, theirs = _terminal()
    process = subprocess.Popen([ALERTCTL, *args], stdin=theirs, stdout=theirs, stderr=theirs,
                               env=_environment())
    os.close(theirs)
    shown = _read_all(ours)
    return process.wait(timeout=60), shown.replace("\r\n", "\n")


def test_status_fits_100_columns_and_keeps_ids_whole(db: Database, database_url: str) -> None:
    twins = [uuid.UUID("f4533140-96fe-46cf-aa3e-d2308a4e7178"),
             uuid.UUID("f4533140-1111-4111-8111-111111111111")]
    ids = [db.add_alert("a weekly digest with a long name " * 3, {
        "type": "weekly", "time": "10:00", "dayOfWeek": [1, 3, 5],
        "timezone": "America/Los_Angeles"}, alert_id=twins[0]),
        db.add_alert("twin\x1b[2J", alert_id=twins[1])]
    ids += [db.add_alert(f"alert {n}") for n in range(4)]
    code, shown = _on_terminal("status", "--database-url", database_url)
    assert code == 0, shown
    lines = shown.splitlines()
    table = [line for line in lines if not line.startswith("note:")]
    assert table[0] == "alerts (namespace default)"
    assert table[1].split()[:3] == ["NAME", "ID", "SCHEDULE"]
    assert len(table) == 2 + len(ids)  # one line per alert: nothing wrapped
    assert all(cell_len(line) <= COLUMNS for line in table), table
    body = "\n".join(table[2:])
    for alert in ids[2:]:
        assert re.search(rf"  {str(alert)[:8]}  ", body)  # 8 characters, whole
    for twin in twins:  # sharing 8 characters: as long as it takes to tell them apart
        assert re.search(rf"  {str(twin)[:10]}  ", body)
    assert "\x1b[2J" not in shown and "twin\\x1b[2J" in shown
    assert "…" in body  # the long name and schedule were cut instead


def test_usage_error_on_a_terminal_is_one_line() -> None:
    code, shown = _on_terminal("status", "--bogus")
    assert (code, shown) == (2, "error: No such option: --bogus (see 'alertctl status --help')\n")


def test_run_now_wait_shows_progress_on_a_terminal_only(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    alert = db.add_alert("digest")
    assert alertctl("sync", "-n", NAMESPACE, "--database-url", database_url).exit_code == 0

    def pod_then_run() -> None:
        name = wait_for(lambda: next(iter(emulator.objects(JOBS)), None), what="the Job")
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": f"{name}-x1", "labels": {"batch.kubernetes.io/job-name": name}},
            "spec": {"containers": [{"name": "runner", "image": "runner"}]}}
        path = f"/api/v1/namespaces/{NAMESPACE}/pods"
        assert emulator.http("POST", path, pod) in (200, 201)
        status = {"status": {"phase": "Pending", "containerStatuses": [{
            "name": "runner", "state": {"waiting": {"reason": "ContainerCreating"}}}]}}
        assert emulator.http("PATCH", f"{path}/{name}-x1", status,
                             "application/merge-patch+json") == 200
        wait_for(lambda: "ContainerCreating" in "".join(seen) or None, what="the progress line")
        start = datetime.now(UTC)
        add_run(db, alert, name, trigger="manual", status="succeeded", started_at=start,
                finished_at=start + timedelta(seconds=2))

    seen: list[str] = []
    ours, theirs = _terminal()
    process = subprocess.Popen(
        [ALERTCTL, "run-now", str(alert)[:8], "--wait", "--timeout", "30", "-n", NAMESPACE,
         "--database-url", database_url],
        stdout=subprocess.PIPE, stderr=theirs, env=_environment(), text=True)
    os.close(theirs)
    reader = threading.Thread(target=_read_all, args=(ours, seen), daemon=True)
    worker = threading.Thread(target=pod_then_run, daemon=True)
    worker.start()
    reader.start()
    stdout, _ = process.communicate(timeout=60)
    reader.join(timeout=10)
    worker.join(timeout=10)
    assert process.returncode == 0, (stdout, seen)
    progress = "".join(seen)
    name = next(iter(emulator.objects(JOBS)))
    assert f"job.batch/{name} created · pod Pending (ContainerCreating)" in progress
    assert re.search(r" · \d+s", progress)
    assert progress.endswith(CLEAR_LINE)  # the line is gone when the outcome is printed
    assert stdout.splitlines()[-1] == "run succeeded after 1 attempt(s) in 2.0s"

    # Not a terminal: not a byte of progress.
    quiet = alertctl("run-now", str(alert), "--wait", "--timeout", "1", "-n", NAMESPACE,
                     "--database-url", database_url)
    assert quiet.stderr == ""
