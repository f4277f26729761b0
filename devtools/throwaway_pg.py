"""A throwaway PostgreSQL server for tests, benchmarks and the quick start.

Started from the local PostgreSQL binaries (Debian: /usr/lib/postgresql/*/bin; install the
``postgresql`` package when they are missing). PostgreSQL refuses to run as root, so as root the
server runs as the unprivileged ``postgres`` user (created by that package) via runuser.

    python -m devtools.throwaway_pg start DIR   # prints the DATABASE_URL, leaves it running
    python -m devtools.throwaway_pg stop DIR
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries not found: install them (Debian/Ubuntu: "
    "'apt-get install -y postgresql'), or point TEST_DATABASE_URL at a running server"
)
SUPERUSER = "alert"
FAST_UNSAFE_OPTIONS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "128MB",
}


class PostgresUnavailable(RuntimeError):  # noqa: N818 (public name used by the tests)
    pass


def find_bindir() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    for candidate in reversed(candidates):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailable(INSTALL_HINT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            "running as root and there is no 'postgres' user to run PostgreSQL as: "
            "install the 'postgresql' package (it creates one)"
        ) from None
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass
class ThrowawayPostgres:
    directory: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    @property
    def _data(self) -> Path:
        return self.directory / "data"

    def start(self) -> str:
        bindir = find_bindir()
        if self.directory.exists():
            shutil.rmtree(self.directory)
        self.directory.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run([str(bindir / "initdb"), "-D", str(self._data), "-U", SUPERUSER,
                   "--auth=trust", "--encoding=UTF8", "--no-sync"])
        self.port = self.port or _free_port()
        options = " ".join(
            [f"-c {key}={value}" for key, value in FAST_UNSAFE_OPTIONS.items()]
            + [f"-p {self.port}", "-h 127.0.0.1", f"-k {self.directory}"]
        )
        self._run([str(bindir / "pg_ctl"), "-D", str(self._data), "-w", "-t", "60",
                   "-l", str(self.directory / "server.log"), "-o", options, "start"])
        (self.directory / "url").write_text(self.url)
        return self.url

    def stop(self) -> None:
        if not self._data.exists():
            return
        try:
            bindir = find_bindir()
            self._run([str(bindir / "pg_ctl"), "-D", str(self._data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, command: list[str]) -> None:
        result = subprocess.run(
            _as_server_user(command), capture_output=True, text=True, check=False, timeout=120
        )
        if result.returncode != 0:
            log = self.directory / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise PostgresUnavailable(
                f"{' '.join(command[:1])} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()} {tail}"
            )


def wait_until_accepting(url: str, timeout: float = 30.0) -> None:
    """Block until a TCP connection to the server's port succeeds."""
    host_port = url.split("@", 1)[-1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host or "127.0.0.1", int(port or 5432)), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"start", "stop"}:
        print("usage: python -m devtools.throwaway_pg start|stop DIR", file=sys.stderr)
        return 2
    server = ThrowawayPostgres(Path(argv[1]).resolve())
    try:
        if argv[0] == "start":
            print(server.start())
        else:
            server.stop()
    except PostgresUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
