"""The web UI as one aiohttp sub-application, to be mounted at ``/ui/`` by the status server.

Its URLs are routed from the start (:mod:`.routes`); the pages and actions behind them are built
at the first request to one (:class:`LazyUi`): jinja2, the pages' queries and SQLAlchemy are
then imported, not on the operator's start-up path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from alert_core.settings import Settings
from alert_operator.state import OperatorState
from alert_operator.ui.routes import (
    ACTION_ROUTES,
    PAGE_ROUTES,
    PREFIX,
    Handler,
    security_headers,
    static_folder,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from alert_operator.ui.actions import Actions
    from alert_operator.ui.app import OperatorParts
    from alert_operator.ui.views import Pages


class LazyUi:
    """The pages and (when ``settings.ui_actions_enabled``) the actions, built when first used."""

    def __init__(
        self,
        settings: Settings,
        state: OperatorState,
        engine: Callable[[], AsyncEngine | None],
        parts: OperatorParts | None,
    ) -> None:
        self._settings, self._state, self._engine, self._parts = settings, state, engine, parts
        self._built: tuple[Pages, Actions | None] | None = None

    def _build(self) -> tuple[Pages, Actions | None]:
        if self._built is None:
            # Here, at the first request: see the module's docstring.
            from alert_operator.ui.actions import Actions
            from alert_operator.ui.app import NoParts, UiContext
            from alert_operator.ui.auth import Auth, Tokens
            from alert_operator.ui.views import Pages

            context = UiContext(self._settings, self._state, self._engine,
                                self._parts or NoParts())
            actions = None
            if self._settings.ui_actions_enabled:
                auth = Auth(Tokens(self._settings.ui_tokens_dir))
                context.session_of = auth.session_of
                actions = Actions(context, auth)
            self._built = Pages(context), actions
        return self._built

    def page(self, handler_of: Callable[[Pages], Handler]) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await handler_of(self._build()[0])(request)

        return handle

    def action(self, handler_of: Callable[[Actions], Handler]) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            actions = self._build()[1]
            assert actions is not None  # routed only when actions are enabled
            return await handler_of(actions)(request)

        return handle


def ui_application(
    settings: Settings,
    state: OperatorState,
    engine: Callable[[], AsyncEngine | None],
    parts: OperatorParts | None = None,
) -> web.Application:
    """The pages (and, when ``settings.ui_actions_enabled``, the actions) under ``/ui/``."""
    ui = LazyUi(settings, state, engine, parts)
    app = web.Application(middlewares=[security_headers])
    for method, path, page in PAGE_ROUTES:
        app.router.add_route(method, path, ui.page(page))
    if settings.ui_actions_enabled:
        for method, path, action in ACTION_ROUTES:
            app.router.add_route(method, path, ui.action(action))
    app.router.add_static("/static/", static_folder(), follow_symlinks=False)
    return app


def mount(app: web.Application, sub_app: web.Application) -> None:
    """``/ui/...`` serves the sub-application; ``/ui`` redirects to ``/ui/``."""

    async def redirect(_request: web.Request) -> web.Response:
        raise web.HTTPFound(PREFIX + "/")

    app.router.add_get(PREFIX, redirect)
    app.add_subapp(PREFIX + "/", sub_app)
