"""The web UI's URLs and the headers of all its responses: what the status server mounts at
its start. The handlers behind the URLs (:mod:`.views`, :mod:`.actions`: jinja2, the pages'
queries, SQLAlchemy) are imported at the first request (:mod:`.server`), not on the
operator's start-up path.

Every response carries a strict Content-Security-Policy: no script at all, styles and images
from the package's own ``static/`` only (no CDN: clusters often have no internet), no framing,
forms posting only back here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from alert_operator.ui.actions import Actions
    from alert_operator.ui.views import Pages

PREFIX = "/ui"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # "no-referrer" would make browsers send "Origin: null"
    "Cache-Control": "no-store",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# (method, path under PREFIX, the handler of the pages or of the actions)
PAGE_ROUTES: tuple[tuple[str, str, Callable[[Pages], Handler]], ...] = (
    ("GET", "/", lambda pages: pages.overview),
    ("GET", "/alerts", lambda pages: pages.alerts),
    ("GET", "/alerts/{alert_id}", lambda pages: pages.alert),
    ("GET", "/timeline", lambda pages: pages.timeline),
)
ACTION_ROUTES: tuple[tuple[str, str, Callable[[Actions], Handler]], ...] = (
    ("GET", "/login", lambda actions: actions.login_page),
    ("POST", "/login", lambda actions: actions.login),
    ("POST", "/logout", lambda actions: actions.logout),
    ("POST", "/sync", lambda actions: actions.sync),
    ("POST", "/alerts/{alert_id}/pause", lambda actions: actions.pause),
    ("POST", "/alerts/{alert_id}/resume", lambda actions: actions.resume),
    ("POST", "/alerts/{alert_id}/run-now", lambda actions: actions.run_now),
    ("POST", "/runs/{run_id}/retry", lambda actions: actions.retry),
)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers.update(SECURITY_HEADERS)
        raise
    response.headers.update(SECURITY_HEADERS)
    return response


def static_folder() -> Path:
    return Path(str(resources.files("alert_operator.ui") / "static"))
