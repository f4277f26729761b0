"""CronJob watch events: reduced when they arrive, handled after the sync, never kept as bodies.

The Reconciler alone (no kopf) against the API emulator and a real PostgreSQL: the operator's
CronJob watch (cronjob_watch.py) calls ``note_cronjob_event`` and goes on; the operator's task
runs ``handle_events``.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from alert_core.cronjob import cronjob_name
from alert_core.settings import Settings
from alert_operator.kube import HttpKubeApi
from alert_operator.reconciler import Reconciler
from alert_operator.source import PostgresAlertSource
from alert_operator.state import OperatorState
from tests.operator.conftest import NAMESPACE, Database, Emulator


class PlainHttp:
    """What HttpKubeApi reads of kopf's ConnectionInfo, for the emulator's plain HTTP."""

    trust_env = False

    def __init__(self, server: str) -> None:
        self.server = server

    def as_ssl_context(self) -> bool:
        return True

    def as_http_headers(self) -> dict[str, str]:
        return {}


class Body(dict[str, Any]):
    """A body that a weak reference can watch (a plain dict cannot be weakly referenced)."""


def run(emulator: Emulator, database_url: str,
        steps: Callable[[Reconciler], Awaitable[None]]) -> None:
    async def _main() -> None:
        settings = Settings(database_url=database_url, namespace=NAMESPACE)
        source = PostgresAlertSource(settings)
        api = HttpKubeApi(PlainHttp(emulator.url))
        try:
            await steps(Reconciler(settings, source, api, OperatorState()))
        finally:
            await api.close()
            await source.close()

    asyncio.run(_main())


def test_events_equal_to_the_sync_cost_nothing_and_the_last_one_per_cronjob_counts(
    emulator: Emulator, db: Database, database_url: str
) -> None:
    alert = db.add_alert("a")
    name = cronjob_name(alert)

    async def steps(reconciler: Reconciler) -> None:
        assert (await reconciler.full_sync()).actions["create"] == 1
        await reconciler.full_sync()  # now the CronJob is as the sync saw it
        live = emulator.cronjobs()[name]
        edited = copy.deepcopy(live)
        edited["spec"]["schedule"] = "1 1 * * *"  # as a server sends an edit: a new generation
        edited["metadata"]["generation"] = int(live["metadata"]["generation"]) + 1
        before = len(emulator.requests())
        # An edit immediately undone: only the last event counts, and it equals the sync.
        reconciler.note_cronjob_event("MODIFIED", edited)
        reconciler.note_cronjob_event("MODIFIED", live)
        await reconciler.handle_events()
        assert emulator.requests()[before:] == []

        reconciler.note_cronjob_event("MODIFIED", edited)
        await reconciler.handle_events()
        assert [method for method, _ in emulator.requests()[before:]] == ["GET"]  # in sync

    run(emulator, database_url, steps)


def test_the_events_of_our_own_writes_cost_nothing(
    emulator: Emulator, db: Database, database_url: str
) -> None:
    created = db.add_alert("created")
    changed = db.add_alert("changed")

    async def steps(reconciler: Reconciler) -> None:
        await reconciler.full_sync()
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute("UPDATE app.alerts SET name = 'renamed' WHERE id = $1", changed)
        finally:
            await conn.close()
        await reconciler.sync_alert(changed)
        before = len(emulator.requests())
        # The ADDED/MODIFIED events of the creates and the patch above, as a watch delivers them.
        for alert in (created, changed):
            reconciler.note_cronjob_event("MODIFIED", emulator.cronjobs()[cronjob_name(alert)])
        await reconciler.handle_events()
        assert emulator.requests()[before:] == []  # no GET, no one-alert sync per own write

    run(emulator, database_url, steps)


def test_a_hand_edit_seen_by_the_watch_is_repaired(
    emulator: Emulator, db: Database, database_url: str
) -> None:
    alert = db.add_alert("a")
    name = cronjob_name(alert)

    async def steps(reconciler: Reconciler) -> None:
        await reconciler.full_sync()
        await reconciler.full_sync()
        assert emulator.patch_cronjob(name, {"spec": {"concurrencyPolicy": "Allow"}}) == 200
        reconciler.note_cronjob_event("MODIFIED", emulator.cronjobs()[name])
        await reconciler.handle_events()
        assert emulator.cronjobs()[name]["spec"]["concurrencyPolicy"] == "Forbid"

        gone = emulator.cronjobs()[name]
        assert emulator.delete_cronjob(name) == 200
        reconciler.note_cronjob_event("DELETED", gone)
        await reconciler.handle_events()
        assert name in emulator.cronjobs()

    run(emulator, database_url, steps)


def test_an_event_keeps_no_reference_to_its_body(
    emulator: Emulator, db: Database, database_url: str
) -> None:
    alert = db.add_alert("a")

    async def steps(reconciler: Reconciler) -> None:
        await reconciler.full_sync()
        body = Body(emulator.cronjobs()[cronjob_name(alert)])
        watcher = weakref.ref(body)
        reconciler.note_cronjob_event("ADDED", body)
        del body
        gc.collect()
        assert watcher() is None  # reduced at once: the watch drops it as soon as we return
        await reconciler.handle_events()

    run(emulator, database_url, steps)
