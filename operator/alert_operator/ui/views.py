"""The read-only pages: overview, alerts (search, filter, sort, pages), one alert, timeline."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import yaml
from aiohttp import web

from alert_core.fire_times import FireTime, explain_fire_times, offset_changes
from alert_core.frequency import zone
from alert_core.spread import spread_frequency
from alert_operator.metrics import REGISTRY
from alert_operator.status import health
from alert_operator.ui.app import UiContext
from alert_operator.ui.catalog import (
    OUTCOMES,
    SORTS,
    STATES,
    QueryError,
    count,
    fill_next_runs,
    outcome_of,
    paginate,
    parse_query,
    select,
)
from alert_operator.ui.queries import (
    ReadError,
    read_cluster,
    read_history,
    read_last_runs,
    read_one_view,
    read_views,
)
from alert_operator.ui.timeline import SPANS

FIRE_TIMES = 10
MAX_STORED = 20_000


def relative(moment: datetime | None, now: datetime) -> str:
    """"in 2h05m", "3m ago", "now"."""
    if moment is None:
        return ""
    seconds = int((moment - now).total_seconds())
    span = abs(seconds)
    if span < 60:
        return "now"
    minutes, _ = divmod(span, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    text = f"{days}d{hours:02d}h" if days else (f"{hours}h{minutes:02d}m" if hours
                                                  else f"{minutes}m")
    return f"in {text}" if seconds > 0 else f"{text} ago"


def duration(started: datetime | None, finished: datetime | None) -> str:
    if started is None or finished is None:
        return ""
    total = (finished - started).total_seconds()
    if total < 60:
        return f"{total:.1f}s"
    minutes, secs = divmod(int(total), 60)
    return f"{minutes}m{secs:02d}s"


def _dst_marks(times: list[FireTime]) -> list[str | None]:
    """What daylight saving does to each listed time (skipped, shifted, repeated, a new
    UTC offset), or None."""
    return ["; ".join(part for part in (item.reason, offset) if part) or None
            for item, offset in zip(times, offset_changes(times), strict=True)]


def in_zone(moment: datetime | None, zone_name: str | None) -> datetime | None:
    if moment is None or zone_name is None:
        return moment
    return moment.astimezone(zone(zone_name))


class Pages:
    """The page handlers, around one :class:`UiContext`."""

    def __init__(self, ui: UiContext) -> None:
        self.ui = ui

    def _helpers(self, now: datetime) -> dict[str, Any]:
        return {"now": now, "relative": lambda moment: relative(moment, now),
                "duration": duration, "in_zone": in_zone}

    async def overview(self, request: web.Request) -> web.Response:
        ui, now = self.ui, datetime.now(UTC)
        status, problems = health(ui.state, ui.settings, now)
        counts, error = None, None
        try:
            views = await read_views(ui.engine(), ui.settings, ui.state, ui.views)
            runs = await read_last_runs(ui.engine(), ui.settings, None)
            counts = count(views, runs)
        except ReadError as failure:
            error = str(failure)
        changefeed = REGISTRY.get_sample_value("alert_operator_changefeed_connected")
        return ui.render(
            request, "overview.html", health=status, problems=problems,
            counts=counts, error=error, state=ui.state,
            changefeed=None if changefeed is None else bool(changefeed),
            dry_run=ui.state.dry_run or ui.settings.dry_run,
            spread=ui.settings.schedule_spread_minutes, **self._helpers(now))

    async def alerts(self, request: web.Request) -> web.Response:
        ui, now = self.ui, datetime.now(UTC)
        try:
            query = parse_query(dict(request.query))
        except QueryError as error:
            raise web.HTTPBadRequest(text=f"{error}\n") from None
        try:
            views = await read_views(ui.engine(), ui.settings, ui.state, ui.views)
            all_runs = (await read_last_runs(ui.engine(), ui.settings, None)
                        if query.needs_all_runs else None)
            chosen = await asyncio.to_thread(select, views, query, all_runs, now, ui.next_runs)
            page = paginate(chosen, query.page)
            fill_next_runs(page.items, now, ui.next_runs)
            runs = all_runs if all_runs is not None else await read_last_runs(
                ui.engine(), ui.settings, [view.id for view in page.items])
        except ReadError as error:
            return ui.render(request, "error.html", status=503, title="Alerts",
                             error=str(error))

        def link(**changes: Any) -> str:
            values = {"q": query.text, "state": query.state or "", "outcome": query.outcome or "",
                      "sort": query.sort, "page": str(query.page)}
            values.update({key: str(value) for key, value in changes.items()})
            return "?" + urlencode({key: value for key, value in values.items() if value})

        return ui.render(
            request, "alerts.html", page=page, query=query, runs=runs, outcome_of=outcome_of,
            states=STATES, outcomes=OUTCOMES, sorts=SORTS, link=link, **self._helpers(now))

    async def alert(self, request: web.Request) -> web.Response:
        ui, now = self.ui, datetime.now(UTC)
        try:
            alert_id = uuid.UUID(request.match_info["alert_id"])
        except ValueError:
            raise web.HTTPNotFound(text="no such alert: not a UUID\n") from None
        try:
            view = await read_one_view(ui.engine(), ui.settings, ui.state, alert_id, now)
            history = [] if view is None else await read_history(
                ui.engine(), ui.settings, alert_id)
        except ReadError as error:
            return ui.render(request, "error.html", status=503, title="Alert", error=str(error))
        if view is None:
            raise web.HTTPNotFound(text="no such alert\n")
        times: list[FireTime] = []
        if view.frequency is not None:
            times = explain_fire_times(spread_frequency(
                view.frequency, view.id, ui.settings.schedule_spread_minutes), now, FIRE_TIMES)
        cluster = await read_cluster(ui.parts.api, ui.settings, view.cronjob_name)
        stored = ("" if view.stored is None
                  else json.dumps(view.stored, indent=2, ensure_ascii=True)[:MAX_STORED])
        return ui.render(
            request, "alert.html", view=view, history=history, stored=stored,
            fire_times=list(zip(times, _dst_marks(times), strict=True)), cluster=cluster,
            cronjob_yaml=None if cluster.cronjob is None else yaml.safe_dump(
                cluster.cronjob, sort_keys=False, allow_unicode=False),
            **self._helpers(now))

    async def timeline(self, request: web.Request) -> web.Response:
        ui, now = self.ui, datetime.now(UTC)
        span = request.query.get("span", "day")
        if span not in SPANS:
            raise web.HTTPBadRequest(text=f"span: must be one of {', '.join(SPANS)}\n")
        try:
            views = await read_views(ui.engine(), ui.settings, ui.state, ui.views)
        except ReadError as error:
            return ui.render(request, "error.html", status=503, title="Timeline",
                             error=str(error))
        active = [(view.id, view.frequency) for view in views
                  if view.state == "active" and view.frequency is not None]
        chart = await asyncio.to_thread(ui.charts.chart, active, now, span,
                                        ui.settings.schedule_spread_minutes,
                                        ui.settings.ui_prompt_starts_per_minute)
        return ui.render(request, "timeline.html", chart=chart, spans=list(SPANS),
                         alerts=len(active), end=chart.start + timedelta(
                             minutes=SPANS[span][0]), **self._helpers(now))
