"""The real ``alert-operator run`` as a child process, logged in to the emulator.

Its stderr (JSON log lines) goes to a file, read as it grows, so that the benchmark can wait for
"full sync" lines (a pipe read by a thread of this busy process filled up and blocked the
operator's log writes: py-spy showed 10% of its samples in ``StreamHandler.emit``); its
memory is read from /proc (VmRSS now, VmHWM the peak), and so is its CPU time.
``started_at`` is CLOCK_MONOTONIC just before the exec (the emulator stamps the same clock).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.context import NAMESPACE

STOP_TIMEOUT_SECONDS = 40.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _kubeconfig(api_url: str, directory: Path) -> Path:
    path = directory / "kubeconfig.json"  # JSON is YAML
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "bench",
        "clusters": [{"name": "bench", "cluster": {"server": api_url}}],
        "users": [{"name": "bench", "user": {"token": "bench"}}],
        "contexts": [{"name": "bench", "context": {
            "cluster": "bench", "user": "bench", "namespace": NAMESPACE}}],
    }))
    return path


class OperatorProcess:
    def __init__(self, api_url: str, database_url: str, resync_seconds: float) -> None:
        self._directory = Path(tempfile.mkdtemp(prefix="alert-operator-bench-"))
        env = {
            **os.environ,
            "KUBECONFIG": str(_kubeconfig(api_url, self._directory)),
            "DATABASE_URL": database_url,
            "ALERT_NAMESPACE": NAMESPACE,
            "ALERT_RESYNC_INTERVAL_SECONDS": str(resync_seconds),
            "ALERT_LIVENESS_PORT": str(_free_port()),
            "ALERT_STATUS_PORT": str(_free_port()),
            "ALERT_LOG_FORMAT": "json",
            "ALERT_LOG_LEVEL": "INFO",
        }
        command = [str(Path(sys.executable).with_name("alert-operator")), "run"]
        log = self._directory / "stderr.log"
        with log.open("wb") as stderr:
            self.started_at = time.monotonic()
            self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                            stderr=stderr)
        self._log = log.open(encoding="utf-8", errors="replace")
        self._partial = ""
        self._lines: list[str] = []
        self._syncs = 0

    @property
    def lines(self) -> list[str]:
        """Every complete line written so far."""
        text = self._partial + self._log.read()
        *complete, self._partial = text.split("\n")
        self._syncs += sum(1 for line in complete if "full sync:" in line)
        self._lines += complete
        return self._lines

    def full_syncs(self) -> int:
        _ = self.lines
        return self._syncs

    def wait_for_syncs(self, count: int, limit_seconds: float) -> None:
        deadline = time.monotonic() + limit_seconds
        while self.full_syncs() < count:
            if self.process.poll() is not None:
                raise RuntimeError("alert-operator exited:\n" + "\n".join(self.lines[-20:]))
            if time.monotonic() > deadline:
                raise TimeoutError(f"alert-operator: no {count} full syncs in {limit_seconds}s:\n"
                                   + "\n".join(self.lines[-20:]))
            time.sleep(0.05)

    def memory_mb(self) -> dict[str, float]:
        found = {}
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                key = line.split(":", 1)[0]
                if key in {"VmRSS", "VmHWM"}:
                    found[key] = int(line.split()[1]) / 1024
        return {"rss_mb": round(found.get("VmRSS", 0.0), 1),
                "peak_rss_mb": round(found.get("VmHWM", 0.0), 1)}

    def wait_until_idle(self, limit_seconds: float, window: float = 1.0,
                        busy_cpu: float = 0.05) -> float:
        """Wait until the process spends less than ``busy_cpu`` CPU seconds in ``window``
        (its watch backlog handled); the monotonic time it went idle."""
        deadline = time.monotonic() + limit_seconds
        last = self.cpu_seconds()
        while True:
            time.sleep(window)
            now = self.cpu_seconds()
            if now - last < busy_cpu:
                return time.monotonic() - window
            if self.process.poll() is not None:
                raise RuntimeError("alert-operator exited:\n" + "\n".join(self.lines[-20:]))
            if time.monotonic() > deadline:
                raise TimeoutError(f"alert-operator still busy after {limit_seconds}s")
            last = now

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            # Fields after the command name (which may hold spaces): utime, stime are 14, 15.
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        shutil.rmtree(self._directory, ignore_errors=True)
