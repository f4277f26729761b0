"""Live CronJobs reduced to :class:`~alert_operator.planner.Existing` summaries for the planner,
each compared with its alert's desired object as its page arrives, and the verdicts of "in sync"
kept for the next sync (:class:`Verified`): most of a no-op re-sync's work is not done again,
and a CronJob known in sync needs only its metadata (snapshot's metadata-only lists)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from alert_core.alert import Alert, AlertError, validate_alert
from alert_core.cronjob import cronjob_name, desired_cronjob
from alert_core.db.alert_rows import AlertRow
from alert_core.db.pause_set import Pauses
from alert_core.settings import Settings
from alert_operator.planner import Existing, alert_id_of, summarize


@dataclass(frozen=True, slots=True)
class Verified:
    """A CronJob a sync found equal to its alert's desired object: its :func:`digest` then,
    and what that desired object was built from (the row, whether paused; the settings are the
    process's). The same three again give the same verdict without building and comparing
    (and the same validated alert)."""

    digest: str
    row: AlertRow
    paused: bool
    alert: Alert  # the row validated
    existing: Existing  # the CronJob's summary then (the same digest: the same summary)


class Summarizer:
    """Summarizes live CronJobs against the desired objects of ``alerts``: one desired object
    at a time, built for the comparison and dropped (a page of bodies is reduced as it comes).

    ``verified`` (what an earlier sync found in sync) skips the build and the comparison of a
    CronJob whose digest, row and pause are still the same: most of a no-op re-sync's work.
    :attr:`verified_now` collects this sync's verdicts of "in sync" for the next one."""

    def __init__(self, alerts: Iterable[AlertRow], pauses: Pauses, settings: Settings,
                 verified: Mapping[uuid.UUID, Verified] | None = None) -> None:
        self._rows = {row.id: row for row in alerts}
        self._pauses = pauses
        self._settings = settings
        self._verified = verified or {}
        self.verified_now: dict[uuid.UUID, Verified] = {}
        self.validated: dict[uuid.UUID, Alert] = {}  # the rows it validated (plan needs no 2nd)

    def desired(self, alert_id: uuid.UUID | None, name: str) -> dict[str, Any] | None:
        """The desired object the CronJob ``name`` is compared with (None: with nothing)."""
        row = None if alert_id is None else self._rows.get(alert_id)
        if row is None or name != cronjob_name(row.id):
            return None  # no row, or a copy under another name: deleted, never compared
        try:
            alert = self.validated[row.id] = validate_alert(row)
        except AlertError:
            return None  # invalid: its CronJob is left as it is
        return desired_cronjob(alert, self._settings, paused=self._pauses.is_paused(alert.id))

    def __call__(self, body: Mapping[str, Any], body_digest: str | None = None) -> Existing:
        """``body_digest``: its :func:`digest`, given to use (and keep) earlier verdicts."""
        if body_digest is not None:
            known = self.remembered(body, body_digest)
            if known is not None:
                return known
        name = str((body.get("metadata") or {}).get("name") or "")
        alert_id = alert_id_of(body)
        item = summarize(body, self.desired(alert_id, name))
        row = None if alert_id is None else self._rows.get(alert_id)
        if body_digest is not None and item.matches and row is not None:
            self.verified_now[row.id] = Verified(body_digest, row, self._pauses.is_paused(row.id),
                                                 self.validated[row.id], item)
        return item

    def remembered(self, body: Mapping[str, Any], body_digest: str) -> Existing | None:
        """The summary an earlier sync made of this CronJob, while its digest, its alert's row
        and pause are as they were then; it needs only the body's ``metadata`` (a CronJob read
        from a metadata-only list). None: it must be summarized from its whole body."""
        alert_id = alert_id_of(body)
        before = None if alert_id is None else self._verified.get(alert_id)
        name = (body.get("metadata") or {}).get("name")
        if before is None or before.digest != body_digest or before.existing.name != name \
                or before.row != self._rows.get(before.row.id) \
                or before.paused != self._pauses.is_paused(before.row.id):
            return None
        self.validated[before.row.id] = before.alert
        self.verified_now[before.row.id] = before
        return before.existing
