"""The built-in ``http`` executor: POST the alert and the run as JSON to ``ALERT_HTTP_URL``.

For applications that keep their trigger logic behind an internal endpoint. Any answer outside
2xx, a timeout or a connection error is a failure (retried by the Job); a missing URL is a
permanent error. The request carries ``Idempotency-Key: <run id>``: the POST happens before the
run's transaction commits, so a receiver that must never act twice can deduplicate retries.
Error messages name the status or the problem, never the URL (it may hold credentials) or the
token.
"""

from __future__ import annotations

import json

import aiohttp

from alert_runner.executors import PermanentError, RunContext

USER_AGENT = "alert-runner"


class HttpExecutorError(Exception):
    """The endpoint did not accept the run (retryable)."""


def _headers(context: RunContext) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": str(context.run_id),
        "User-Agent": USER_AGENT,
    }
    token = context.settings.http_token
    if token is not None and token.get_secret_value():
        headers["Authorization"] = f"Bearer {token.get_secret_value()}"
    return headers


async def post_run(context: RunContext) -> None:
    settings = context.settings
    if settings.http_url is None:
        raise PermanentError("http executor: ALERT_HTTP_URL is not set")
    body = json.dumps(context.describe())
    timeout = settings.http_timeout_seconds
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.post(settings.http_url, data=body, headers=_headers(context)) as response,
        ):
            if not 200 <= response.status < 300:
                raise HttpExecutorError(
                    f"http executor: endpoint answered {response.status} {response.reason or ''}"
                    .rstrip()
                )
    except TimeoutError:
        raise HttpExecutorError(f"http executor: no answer within {timeout:g} s") from None
    except aiohttp.ClientError as error:
        raise HttpExecutorError(
            f"http executor: request failed ({type(error).__name__})"
        ) from None
