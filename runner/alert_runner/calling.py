"""Calling an executor: an ``async`` one is awaited; a plain one runs in a daemon thread.

A plain function that blocks (``time.sleep``, a synchronous HTTP client) would otherwise block
the event loop, and with it the SIGTERM handler, until it returns. In a thread, a signal cancels
the wait at once, the runner records the interruption and exits; the thread is a daemon, so the
process does not wait for it either (``asyncio.to_thread``'s pool would: it is joined at exit).
What the function had done by then stays done: see the README's executor contract.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from typing import Any

from alert_runner.executors import Executor, RunContext, is_async


async def call_executor(executor: Executor, context: RunContext) -> None:
    result: Any = executor(context) if is_async(executor) else await _in_daemon_thread(
        executor, context
    )
    if inspect.isawaitable(result):  # a plain function may still hand back an awaitable
        await result


async def _in_daemon_thread(executor: Executor, context: RunContext) -> object:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[object] = loop.create_future()

    def settle(result: object, error: BaseException | None) -> None:
        if future.done():  # cancelled meanwhile (SIGTERM): nobody waits for the result
            return
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)

    def work() -> None:
        result: object = None
        error: BaseException | None = None
        try:
            result = executor(context)
        except BaseException as caught:  # handed to the awaiting task, which decides
            error = caught
        # RuntimeError: the loop has closed, the run ended (interrupted) without us.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name="alert-executor", daemon=True).start()
    return await future
