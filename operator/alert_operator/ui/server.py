"""The web UI as one aiohttp sub-application, to be mounted at ``/ui/`` by the status server."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from alert_core.settings import Settings
from alert_operator.state import OperatorState
from alert_operator.ui.actions import Actions
from alert_operator.ui.app import (
    PREFIX,
    NoParts,
    OperatorParts,
    UiContext,
    security_headers,
    static_folder,
)
from alert_operator.ui.auth import Auth, Tokens
from alert_operator.ui.views import Pages


def ui_application(
    settings: Settings,
    state: OperatorState,
    engine: Callable[[], AsyncEngine | None],
    parts: OperatorParts | None = None,
) -> web.Application:
    """The pages (and, when ``settings.ui_actions_enabled``, the actions) under ``/ui/``."""
    context = UiContext(settings, state, engine, parts or NoParts())
    app = web.Application(middlewares=[security_headers])
    Pages(context).add_routes(app)
    if settings.ui_actions_enabled:
        auth = Auth(Tokens(settings.ui_tokens_dir))
        context.session_of = auth.session_of
        Actions(context, auth).add_routes(app)
    app.router.add_static("/static/", static_folder(), follow_symlinks=False)
    return app


def mount(app: web.Application, sub_app: web.Application) -> None:
    """``/ui/...`` serves the sub-application; ``/ui`` redirects to ``/ui/``."""

    async def redirect(_request: web.Request) -> web.Response:
        raise web.HTTPFound(PREFIX + "/")

    app.router.add_get(PREFIX, redirect)
    app.add_subapp(PREFIX + "/", sub_app)
