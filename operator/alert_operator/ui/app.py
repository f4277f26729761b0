"""What the web UI's handlers share: the templates, the context of a request, the parts.

The URLs and the security headers are :mod:`.routes`. Templates autoescape, and every value
they print first has its control and bidi characters shown as escapes
(:func:`alert_core.printable.visible`): alert names and run errors are written by the
application's users.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any, Protocol

import jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from alert_core.printable import visible
from alert_core.settings import Settings
from alert_operator.events import EventRecorder
from alert_operator.reconciler import Reconciler
from alert_operator.state import OperatorState
from alert_operator.ui.catalog import NextRuns, ViewCache
from alert_operator.ui.routes import PREFIX
from alert_operator.ui.timeline import ChartCache

AUDIT_SIZE = 200
MAX_NOTICE = 200


class OperatorParts(Protocol):
    """What the pages and actions use of the running operator (alert_operator.handlers.Runtime);
    each part is None until the operator has logged in to the cluster."""

    @property
    def api(self) -> object: ...

    @property
    def events(self) -> EventRecorder | None: ...

    @property
    def reconciler(self) -> Reconciler | None: ...


class NoParts:
    """An operator without a cluster connection (the pages then say so)."""

    api: object = None
    events: EventRecorder | None = None
    reconciler: Reconciler | None = None


def _shown(value: Any) -> Any:
    """Every printed value: control and bidi characters as escapes, line breaks kept (they are
    inert in HTML, and a <pre> block keeps its lines)."""
    if isinstance(value, str):
        return "\n".join(visible(line) for line in value.split("\n"))
    return "" if value is None else value


def template_environment() -> jinja2.Environment:
    folder = resources.files("alert_operator.ui") / "templates"
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        finalize=_shown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment


@dataclass(frozen=True)
class AuditEntry:
    """One action taken from the UI: when, by which token, what."""

    at: datetime
    who: str
    what: str


@dataclass
class UiContext:
    """Everything a page handler needs; one per status server."""

    settings: Settings
    state: OperatorState
    engine: Callable[[], AsyncEngine | None]
    parts: OperatorParts = field(default_factory=NoParts)
    templates: jinja2.Environment = field(default_factory=template_environment)
    next_runs: NextRuns = field(default_factory=NextRuns)
    views: ViewCache = field(default_factory=ViewCache)
    charts: ChartCache = field(default_factory=ChartCache)
    audit: deque[AuditEntry] = field(default_factory=lambda: deque(maxlen=AUDIT_SIZE))
    # The signed-in session of a request (alert_operator.ui.auth), when actions are on.
    session_of: Callable[[web.Request], object] = lambda _request: None

    def render(self, request: web.Request, name: str, status: int = 200,
               **values: Any) -> web.Response:
        page = self.templates.get_template(name).render(
            prefix=PREFIX, namespace=self.settings.namespace, request_path=request.path,
            session=self.session_of(request), actions=self.settings.ui_actions_enabled,
            notice=request.query.get("done", "")[:MAX_NOTICE] or None, audit=list(self.audit),
            **values)
        return web.Response(text=page, status=status, content_type="text/html",
                            charset="utf-8")
