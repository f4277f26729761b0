"""Read: the alert source and the cluster, for one sync, as a :class:`Snapshot`.

The alert source first, then the cluster: each page of live CronJobs is reduced to summaries
(compared with its alert's desired object right then) before the next page is read, so a full
sync of 10,000 never holds 10,000 bodies. Any failure is one :class:`ReadError`, raised before
anything is planned: the sync stops before any write.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from alert_core.alert import Alert
from alert_core.cronjob import cronjob_name
from alert_core.db.alerts import AlertRow
from alert_core.db.pauses import Pauses
from alert_core.settings import Settings
from alert_operator.collector import collector_paused
from alert_operator.kube import ApiError, KubeApi, is_managed
from alert_operator.logs import alert_fields
from alert_operator.planner import Existing, Summarizer, Verified, digest
from alert_operator.source import AlertSource, SourceError

log = logging.getLogger(__name__)

SeenCronJob = Callable[[str, str | None], None]  # (name, uid) of each CronJob a full read listed


@dataclass
class Snapshot:
    """What one sync read: ``scope`` None = every alert, else the one alert."""

    scope: uuid.UUID | None
    rows: list[AlertRow]
    pauses: Pauses
    existing: list[Existing]
    digests: dict[uuid.UUID, str]  # alert id -> digest of its CronJob (named after it) as read
    verified: dict[uuid.UUID, Verified]  # the CronJobs found in sync (for the next sync)
    validated: dict[uuid.UUID, Alert]  # the rows validated while reading (for the plan)


class ReadError(Exception):
    """``str()`` is one line; ``database``: the alert source failed (else the cluster)."""

    def __init__(self, message: str, *, database: bool) -> None:
        super().__init__(message)
        self.database = database


async def read(scope: uuid.UUID | None, source: AlertSource, api: KubeApi,
               settings: Settings, verified: dict[uuid.UUID, Verified] | None = None,
               seen: SeenCronJob | None = None) -> Snapshot:
    """``verified``: an earlier sync's :attr:`Snapshot.verified` (skips comparing what it
    found in sync and has not changed since); ``seen`` is told each listed CronJob's name and
    uid (the Event recorder's uids: the watch no longer replays every CronJob at start). A
    full read pauses the cyclic collector (:mod:`alert_operator.collector`)."""
    with collector_paused() if scope is None else nullcontext():
        return await _read(scope, source, api, settings, verified, seen)


async def _read(scope: uuid.UUID | None, source: AlertSource, api: KubeApi,
                settings: Settings, verified: dict[uuid.UUID, Verified] | None,
                seen: SeenCronJob | None) -> Snapshot:
    try:
        if scope is None:
            rows, pauses = await source.read_all()
        else:
            row, pauses = await source.read_one(scope)
            rows = [] if row is None else [row]
    except SourceError as error:
        detail = str(error) if scope is None else error.kind
        raise ReadError(f"database: {detail}", database=True) from error
    summarize = Summarizer(rows, pauses, settings, verified)
    try:
        if scope is None:
            existing, digests = await _read_cluster(api, settings, summarize, seen)
        else:
            existing, digests = await _read_cronjob(api, settings, scope, summarize)
    except ApiError as error:
        raise ReadError(f"kubernetes: {error}", database=False) from error
    return Snapshot(scope, rows, pauses, existing, digests, summarize.verified_now,
                    summarize.validated)


async def _read_cluster(
    api: KubeApi, settings: Settings, summarize: Summarizer, seen: SeenCronJob | None
) -> tuple[list[Existing], dict[uuid.UUID, str]]:
    existing: list[Existing] = []
    digests: dict[uuid.UUID, str] = {}
    async for page in api.managed_cronjob_pages(settings.namespace):
        for body in page:
            body_digest = digest(body)
            item = summarize(body, body_digest)
            existing.append(item)
            if item.alert_id is not None and item.name == cronjob_name(item.alert_id):
                digests[item.alert_id] = body_digest
            if seen is not None:
                seen(item.name, (body.get("metadata") or {}).get("uid"))
        del page  # not kept while the next page is read
    return existing, digests


async def _read_cronjob(
    api: KubeApi, settings: Settings, alert_id: uuid.UUID, summarize: Summarizer
) -> tuple[list[Existing], dict[uuid.UUID, str]]:
    name = cronjob_name(alert_id)
    live = await api.get_cronjob(settings.namespace, name)
    if live is None:
        return [], {}
    if not is_managed(live):
        log.warning("CronJob %s exists without our label: not touched", name,
                    extra=alert_fields(alert_id, None, name))
        raise ReadError(f"{name} exists and is not ours", database=False)
    live_digest = digest(live)
    return [summarize(live, live_digest)], {alert_id: live_digest}
