"""Read: the alert source and the cluster, for one sync, as a :class:`Snapshot`.

The alert source first, then the cluster: each page of live CronJobs is reduced to summaries
(compared with its alert's desired object right then) before the next page is read, so a full
sync of 10,000 never holds 10,000 bodies. A full sync after one that found CronJobs in sync
lists their metadata only (a fifth of the bytes): a CronJob whose digest (uid, generation,
labels, annotations) is still the one found in sync needs no spec; the few others are read
whole. Any failure is one :class:`ReadError`, raised before
anything is planned: the sync stops before any write.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import nullcontext
from dataclasses import dataclass

from alert_core.alert import Alert
from alert_core.cronjob import cronjob_name
from alert_core.db.alert_rows import AlertRow
from alert_core.db.pause_set import Pauses
from alert_core.settings import Settings
from alert_operator.collector import collector_paused
from alert_operator.kube import ApiError, Body, KubeApi, is_managed
from alert_operator.logs import alert_fields
from alert_operator.planner import Existing, digest
from alert_operator.source import AlertSource, SourceError
from alert_operator.summarizer import Summarizer, Verified

log = logging.getLogger(__name__)
# A full sync after one that found CronJobs in sync lists metadata only; it reads whole the
# CronJobs changed since, one GET each up to this many, else in one more (full) list.
WHOLE_READS_LIMIT = 50

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
            existing, digests = await _read_cluster(api, settings, summarize, seen,
                                                    metadata_only=bool(verified))
        else:
            existing, digests = await _read_cronjob(api, settings, scope, summarize)
    except ApiError as error:
        raise ReadError(f"kubernetes: {error}", database=False) from error
    return Snapshot(scope, rows, pauses, existing, digests, summarize.verified_now,
                    summarize.validated)


async def _read_cluster(
    api: KubeApi, settings: Settings, summarize: Summarizer, seen: SeenCronJob | None,
    metadata_only: bool,
) -> tuple[list[Existing], dict[uuid.UUID, str]]:
    """``metadata_only``: list the CronJobs' metadata only, and read whole only those whose
    summary an earlier sync does not vouch for (see :meth:`Summarizer.remembered`); ``seen``
    is told each listed CronJob's name and uid."""
    existing: list[Existing] = []
    digests: dict[uuid.UUID, str] = {}
    unknown: list[str] = []  # listed without their spec, and changed since the last sync

    def keep(item: Existing, body_digest: str) -> None:
        existing.append(item)
        if item.alert_id is not None and item.name == cronjob_name(item.alert_id):
            digests[item.alert_id] = body_digest

    async for page in api.managed_cronjob_pages(settings.namespace, metadata_only=metadata_only):
        for body in page:
            body_digest = digest(body)
            metadata = body.get("metadata") or {}
            if seen is not None:
                seen(str(metadata.get("name") or ""), metadata.get("uid"))
            if "spec" in body:  # whole (a first sync, or a server that sent it whole)
                keep(summarize(body, body_digest), body_digest)  # earlier verdicts used there
                continue
            known = summarize.remembered(body, body_digest)
            if known is not None:
                keep(known, body_digest)
            else:
                unknown.append(str(metadata.get("name") or ""))
        del page  # not kept while the next page is read
    async for body in _whole(api, settings, unknown):
        body_digest = digest(body)
        keep(summarize(body, body_digest), body_digest)
    return existing, digests


async def _whole(api: KubeApi, settings: Settings, names: list[str]) -> AsyncIterator[Body]:
    """The whole live objects of the CronJobs ``names`` (those deleted since are missing)."""
    if len(names) > WHOLE_READS_LIMIT:  # many changed: one more list beats one GET each
        wanted = set(names)
        async for page in api.managed_cronjob_pages(settings.namespace):
            for body in page:
                if (body.get("metadata") or {}).get("name") in wanted:
                    yield body
            del page
        return
    for name in names:
        live = await api.get_cronjob(settings.namespace, name)
        if live is not None and is_managed(live):
            yield live


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
