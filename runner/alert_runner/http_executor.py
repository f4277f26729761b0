"""The built-in ``http`` executor: POST the alert and the run as JSON to ``ALERT_HTTP_URL``.

For applications that keep their trigger logic behind an internal endpoint. Any answer outside
2xx, a timeout or a connection error is a failure (retried by the Job); a missing URL is a
permanent error. Redirects are never followed: a 301/302/303 would turn the POST into a GET
without the alert, a 307/308 would re-post the alert to another origin; a 3xx is a failure
naming the status and the host it pointed to. The executor declares external effects, so the
runner calls it with no database transaction open; the request carries
``Idempotency-Key: <run id>``, the same on every attempt of the Job, so that a receiver that
must never act twice can deduplicate retries. Error messages name the status or the problem,
never the URL (it may hold credentials) or the token.
"""

from __future__ import annotations

import json
from urllib.parse import urljoin, urlsplit

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


def _redirect_message(url: str, response: aiohttp.ClientResponse) -> str:
    location = response.headers.get("Location")
    try:
        host = urlsplit(urljoin(url, location)).hostname if location else None
    except ValueError:  # a Location that is not a URL
        host = None
    target = f"to host {host[:253]!r}" if host else "without a usable Location"
    return (f"http executor: endpoint answered {response.status} {response.reason or ''}".rstrip()
            + f", a redirect {target} (redirects are not followed)")


async def post_run(context: RunContext) -> None:
    settings = context.settings
    if settings.http_url is None:
        raise PermanentError("http executor: ALERT_HTTP_URL is not set")
    body = json.dumps(context.describe())
    timeout = settings.http_timeout_seconds
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.post(settings.http_url, data=body, headers=_headers(context),
                         allow_redirects=False) as response,
        ):
            if 300 <= response.status < 400:
                raise HttpExecutorError(_redirect_message(settings.http_url, response))
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
