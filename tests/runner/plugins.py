"""Executors the runner's tests load by dotted path (``tests.runner.plugins:NAME``)."""

from __future__ import annotations

import asyncio
import time

from alert_runner.executors import PermanentError, RunContext, external_effects, record

# In-process tests count executions here (one process, several runners).
calls: list[str] = []


async def slow_record(context: RunContext) -> None:
    """Record, but slowly: long enough for a second pod of the same Job to arrive meanwhile."""
    calls.append(context.job_name)
    await asyncio.sleep(0.5)
    await record(context)


async def flaky(context: RunContext) -> None:
    """Fails on the Job's first pod, succeeds on its retry."""
    await record(context)  # rolled back with the failure: must not survive the first attempt
    if context.attempt == 1:
        raise RuntimeError("downstream unavailable (first attempt)")


async def always_fails(context: RunContext) -> None:
    await record(context)
    raise ValueError("boom")


def refuses(context: RunContext) -> None:
    """A plain (not async) executor that fails for good."""
    raise PermanentError("this alert can never run: template missing")


async def sleeps(context: RunContext) -> None:
    """Records, then waits far longer than any test: only a signal ends it."""
    await record(context)
    await asyncio.sleep(300)


not_callable = 42


def sleeps_plainly(context: RunContext) -> None:
    """A plain function that blocks for 20 s (a synchronous client, say)."""
    calls.append(context.job_name)
    time.sleep(20)


async def fails_with_nul(context: RunContext) -> None:
    """Database effects, then an error text PostgreSQL cannot store as it is."""
    await record(context)
    raise RuntimeError("bad\x00byte \udcff end")


@external_effects(lease_seconds=60)
async def calls_out_and_fails_with_nul(context: RunContext) -> None:
    calls.append(context.job_name)
    raise RuntimeError("remote said \x00\x1b[31m")


async def loses_its_connection(context: RunContext) -> None:
    """Database effects, then the server ends the session mid-transaction."""
    await record(context)
    await context.connection.execute("SELECT pg_terminate_backend(pg_backend_pid())")
