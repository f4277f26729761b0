"""A full sync reads with the cyclic collector paused; the collector is left as it was."""

from __future__ import annotations

import asyncio
import gc
import uuid

from alert_core.db.alerts import AlertRow
from alert_core.db.pauses import Pauses
from alert_core.settings import Settings
from alert_operator.collector import collector_paused
from alert_operator.reconciler import Reconciler
from alert_operator.state import OperatorState
from tests.operator.fakes import FakeAlertSource, FakeCluster


class WatchedSource(FakeAlertSource):
    """Records whether the collector was enabled while each read ran."""

    def __init__(self) -> None:
        super().__init__()
        self.enabled: list[tuple[str, bool]] = []

    async def read_all(self) -> tuple[list[AlertRow], Pauses]:
        self.enabled.append(("all", gc.isenabled()))
        return await super().read_all()

    async def read_one(self, alert_id: uuid.UUID) -> tuple[AlertRow | None, Pauses]:
        self.enabled.append(("one", gc.isenabled()))
        return await super().read_one(alert_id)


def test_the_collector_is_paused_inside_and_left_as_it_was() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # not enabled by us when it was off
    finally:
        gc.enable()


def test_a_full_sync_reads_with_the_collector_paused_and_a_one_alert_sync_without() -> None:
    source, cluster = WatchedSource(), FakeCluster()
    alert = source.add("a")
    reconciler = Reconciler(Settings(namespace="alerts"), source, cluster, OperatorState())

    async def steps() -> None:
        assert (await reconciler.full_sync()).ok
        assert (await reconciler.sync_alert(alert)).ok

    asyncio.run(steps())
    assert source.enabled == [("all", False), ("one", True)]
    assert gc.isenabled()
