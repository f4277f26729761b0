"""The services a benchmark run needs, each in its own process: PostgreSQL and the API emulator.

Separate processes keep their CPU and memory out of the measured process's accounting (the
operator's peak RSS is its own; the emulator's JSON work is not charged to the operator's loop).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from alert_core.db.migrate import migrate
from alert_core.settings import Settings
from devtools.demo import create_app_schema
from devtools.throwaway_pg import ThrowawayPostgres

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 30.0


@dataclass
class Emulator:
    """A running ``python -m bench.emulator`` child and a way to ask it for its counters."""

    process: subprocess.Popen[str]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def control(self, action: str, **params: str) -> Any:
        async with aiohttp.ClientSession() as session, session.get(
            f"{self.url}/_bench/{action}", params=params
        ) as response:
            response.raise_for_status()
            return await response.json()

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.control("stats")
        return result

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def emulator() -> Iterator[Emulator]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.emulator", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until it listens (or dies)
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError("the API emulator did not start (see its stderr above)")
    running = Emulator(process, int(line.split()[1]))
    try:
        yield running
    finally:
        running.stop()


def _with_database(url: str, database: str) -> str:
    return f"{url.rpartition('/')[0]}/{database}"


@dataclass
class Database:
    """The throwaway server's maintenance URL, and fresh migrated databases made from it."""

    server_url: str
    _count: int = 0

    async def fresh(self, name: str) -> str:
        """A new database with ``app.alerts`` and our migrated schema (trigger included)."""
        self._count += 1
        database = f"bench_{name}_{self._count}"
        conn = await asyncpg.connect(self.server_url)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            await conn.execute(f"CREATE DATABASE {database}")
        finally:
            await conn.close()
        url = _with_database(self.server_url, database)
        conn = await asyncpg.connect(url)
        try:
            await create_app_schema(conn)
        finally:
            await conn.close()
        await migrate(Settings(database_url=url))
        return url


@contextmanager
def postgres() -> Iterator[Database]:
    """BENCH_DATABASE_URL (a server's maintenance database) when given, else a throwaway one."""
    given = os.environ.get("BENCH_DATABASE_URL")
    if given:
        yield Database(given.replace("postgresql+asyncpg://", "postgresql://"))
        return
    directory = Path(tempfile.mkdtemp(prefix="alert-operator-bench-pg-"))
    directory.chmod(0o755)
    server = ThrowawayPostgres(directory / "pg")
    url = server.start()
    try:
        yield Database(url)
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


async def wait_for(predicate: Any, limit_seconds: float, what: str) -> None:
    """Poll an async predicate until true; fail naming ``what`` after ``limit_seconds``."""
    deadline = time.monotonic() + limit_seconds
    while not await predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {limit_seconds:.0f}s waiting for {what}")
        await asyncio.sleep(0.05)
