"""The alerts as the web UI lists them: the database's rows, their pauses, the operator's view of
their CronJobs, and the schedule each CronJob really runs (spread included).

Built from the same parts as ``alertctl status``: :func:`alert_core.alert.validate_alert`, the
spread (:mod:`alert_core.spread`), :func:`alert_core.describe.describe_cron`, the pauses
(:mod:`alert_core.db.pauses`) and, for the last runs, :func:`alert_core.db.history.last_runs`.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from alert_core.alert import AlertError, validate_alert
from alert_core.db.alerts import AlertRow
from alert_core.db.history import RunRecord
from alert_core.db.pauses import GLOBAL_PAUSE_UUID, PauseRecord
from alert_core.describe import describe_cron
from alert_core.frequency import AnyFrequency, next_fire_times
from alert_core.spread import spread_frequency
from alert_operator.state import AlertState, OperatorState

AlertStateName = Literal["active", "paused", "suspended", "invalid"]
STATES: tuple[AlertStateName, ...] = ("active", "paused", "suspended", "invalid")
OUTCOMES = ("succeeded", "failed", "running", "skipped", "never")
SORTS = ("name", "next")
PAGE_SIZE = 50
SHORT_ID = 8
MAX_QUERY = 200
_NEXT_CACHE_SIZE = 20_000


@dataclass(slots=True)
class AlertView:
    """One alert, ready to show. ``next_run`` is filled in by :func:`fill_next_runs` for the
    alerts that need it (a page, or all when sorting by it): one fire time costs ~0.1 ms."""

    id: uuid.UUID
    name: str
    client_id: uuid.UUID | None
    state: AlertStateName
    pause: PauseRecord | None
    frequency: AnyFrequency | None  # None: invalid
    stored: Any  # the frequency column's JSON as stored (None: unreadable)
    cron: str | None  # the CronJob's schedule (spread included)
    timezone: str | None
    problem: str | None
    cronjob: str  # the operator's last view: in sync, drifted, missing, invalid; "?" if unseen
    spread: AnyFrequency | None = None  # the frequency the CronJob runs (spread included)
    next_run: datetime | None = None

    @property
    def description(self) -> str | None:
        """The schedule in words (cron-descriptor costs ~1 ms: only for the rows shown)."""
        return None if self.cron is None else describe_cron(self.cron)

    @property
    def short_id(self) -> str:
        return str(self.id)[:SHORT_ID]

    @property
    def cronjob_name(self) -> str:
        return f"alert-{self.id}"


class NextRuns:
    """The next fire time of each (schedule, zone), computed once and kept until it passes:
    thousands of alerts share a handful of schedules, and one fire time takes ~0.1 ms."""

    def __init__(self, size: int = _NEXT_CACHE_SIZE) -> None:
        self._size = size
        self._known: OrderedDict[tuple[str, str], datetime | None] = OrderedDict()
        self._lock = threading.Lock()  # pages sort in worker threads

    def next_after(self, frequency: AnyFrequency, now: datetime) -> datetime | None:
        key = (frequency.to_cron(), frequency.timezone)
        with self._lock:
            known = self._known.get(key, now)
        if known is not None and known <= now:
            upcoming = next_fire_times(frequency, now, 1)
            known = upcoming[0] if upcoming else None
            with self._lock:
                self._known[key] = known
                if len(self._known) > self._size:
                    self._known.popitem(last=False)
        return known


class ViewCache:
    """The views of the last build, reused for rows (and pauses, CronJob states) unchanged since:
    validating 10,000 frequencies again on every page would cost most of a second."""

    def __init__(self) -> None:
        self.entries: dict[uuid.UUID, tuple[tuple[Any, ...], AlertView]] = {}


def build_views(
    rows: Iterable[AlertRow],
    pauses: dict[uuid.UUID, PauseRecord],
    state: OperatorState,
    spread_minutes: int,
    cache: ViewCache | None = None,
) -> list[AlertView]:
    """Every alert as a view (validated, spread; next run and description come later)."""
    everything = pauses.get(GLOBAL_PAUSE_UUID)
    known_views = {} if cache is None else cache.entries
    kept: dict[uuid.UUID, tuple[tuple[Any, ...], AlertView]] = {}
    views = []
    for row in rows:
        pause = pauses.get(row.id) or everything
        known = state.alerts.get(row.id)
        inputs = (row, pause, spread_minutes,
                  None if known is None else (known.cronjob, known.problem))
        cached = known_views.get(row.id)
        view = cached[1] if cached is not None and cached[0] == inputs else _view(
            row, pause, known, spread_minutes)
        kept[row.id] = (inputs, view)
        views.append(view)
    if cache is not None:
        cache.entries = kept
    return views


def _view(
    row: AlertRow, pause: PauseRecord | None, known: AlertState | None, spread_minutes: int
) -> AlertView:
    cronjob = "?" if known is None else known.cronjob
    try:
        alert = validate_alert(row)
    except AlertError as error:
        return AlertView(row.id, row.name, row.client_id, "invalid", pause, None,
                         row.frequency, None, None, str(error), "invalid")
    status: AlertStateName = "paused" if pause else (
        "active" if row.is_active else "suspended")
    frequency = spread_frequency(alert.frequency, alert.id, spread_minutes)
    return AlertView(
        row.id, row.name, row.client_id, status, pause, alert.frequency, row.frequency,
        frequency.to_cron(), frequency.timezone, None if known is None else known.problem,
        cronjob, frequency,
    )


def fill_next_runs(views: Iterable[AlertView], now: datetime, next_runs: NextRuns) -> None:
    """Set the next run of each active alert among ``views``."""
    for view in views:
        if view.state == "active" and view.spread is not None:
            view.next_run = next_runs.next_after(view.spread, now)


@dataclass(frozen=True)
class ListQuery:
    """What the alerts page asks for (from its query string, checked)."""

    text: str = ""
    state: AlertStateName | None = None
    outcome: str | None = None
    sort: str = "name"
    page: int = 1

    @property
    def needs_all_runs(self) -> bool:
        return self.outcome is not None


class QueryError(ValueError):
    """A query string value the alerts page does not accept (the message names it)."""


def parse_query(params: dict[str, str]) -> ListQuery:
    text = params.get("q", "").strip()[:MAX_QUERY]
    state = params.get("state") or None
    if state is not None and state not in STATES:
        raise QueryError(f"state: must be one of {', '.join(STATES)}")
    outcome = params.get("outcome") or None
    if outcome is not None and outcome not in OUTCOMES:
        raise QueryError(f"outcome: must be one of {', '.join(OUTCOMES)}")
    sort = params.get("sort") or "name"
    if sort not in SORTS:
        raise QueryError(f"sort: must be one of {', '.join(SORTS)}")
    raw_page = params.get("page") or "1"
    if not raw_page.isdecimal() or not 1 <= int(raw_page) <= 10**6:
        raise QueryError("page: must be a whole number from 1")
    return ListQuery(text, state, outcome, sort, int(raw_page))


def outcome_of(run: RunRecord | None) -> str:
    if run is None:
        return "never"
    return run.status if run.status in OUTCOMES else "running"


def matches_text(view: AlertView, text: str) -> bool:
    """Name (any part, any case), id or client id (a prefix, any case)."""
    if not text:
        return True
    folded = text.casefold()
    return (folded in view.name.casefold() or str(view.id).startswith(folded)
            or (view.client_id is not None and str(view.client_id).startswith(folded)))


def select(
    views: Sequence[AlertView], query: ListQuery, runs: dict[uuid.UUID, RunRecord] | None,
    now: datetime, next_runs: NextRuns,
) -> list[AlertView]:
    """The alerts the query matches, sorted (``runs``: all last runs, for an outcome filter)."""
    chosen = [view for view in views
              if matches_text(view, query.text)
              and (query.state is None or view.state == query.state)]
    if query.outcome is not None and runs is not None:
        chosen = [view for view in chosen if outcome_of(runs.get(view.id)) == query.outcome]
    if query.sort == "next":
        fill_next_runs(chosen, now, next_runs)
        # Alerts without a next run (paused, invalid) last; then by name.
        chosen.sort(key=lambda v: (v.next_run is None,
                                   0.0 if v.next_run is None else v.next_run.timestamp(),
                                   v.name.casefold(), str(v.id)))
    else:
        chosen.sort(key=lambda v: (v.name.casefold(), str(v.id)))
    return chosen


@dataclass(frozen=True)
class Page:
    items: list[AlertView]
    number: int
    pages: int
    total: int


def paginate(views: list[AlertView], number: int, size: int = PAGE_SIZE) -> Page:
    pages = max(1, -(-len(views) // size))
    number = min(number, pages)
    start = (number - 1) * size
    return Page(views[start : start + size], number, pages, len(views))


@dataclass(frozen=True)
class Counts:
    alerts: int
    active: int
    paused: int
    suspended: int
    invalid: int
    failing: int


def count(views: Sequence[AlertView], runs: dict[uuid.UUID, RunRecord]) -> Counts:
    states = {name: 0 for name in STATES}
    for view in views:
        states[view.state] += 1
    failing = sum(1 for view in views if outcome_of(runs.get(view.id)) == "failed")
    return Counts(len(views), states["active"], states["paused"], states["suspended"],
                  states["invalid"], failing)
