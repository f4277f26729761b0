"""The reconciler's rules against in-memory fakes of its seams (source, cluster, clock).

Fast: no database, no HTTP, no sleeping for windows (the clock is moved). The same rules are
tested end to end in test_reconcile_e2e.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import pytest

from alert_core.cronjob import cronjob_name
from alert_core.settings import Settings
from alert_operator.planner import Plan
from alert_operator.reconciler import Reconciler, SyncResult
from alert_operator.source import SourceError
from alert_operator.state import OperatorState
from tests.operator.fakes import FakeAlertSource, FakeClock, FakeCluster

SETTINGS = Settings(namespace="alerts", mass_delete_min=3, max_delete_fraction=0.5,
                    resync_interval_seconds=60)


@dataclass
class World:
    source: FakeAlertSource
    cluster: FakeCluster
    clock: FakeClock
    state: OperatorState
    reconciler: Reconciler

    def deletes(self, since: int = 0) -> int:
        return sum(1 for verb, _ in self.cluster.writes[since:] if verb == "delete")


def planned(result: SyncResult) -> Plan:
    assert result.plan is not None, result
    return result.plan


def run(steps: Callable[[World], Coroutine[Any, Any, None]], **overrides: Any) -> None:
    settings = SETTINGS.model_copy(update=overrides)
    source, cluster, clock, state = FakeAlertSource(), FakeCluster(), FakeClock(), OperatorState()
    reconciler = Reconciler(settings, source, cluster, state, clock=clock)
    asyncio.run(steps(World(source, cluster, clock, state, reconciler)))


async def scheduled(world: World, count: int) -> list[uuid.UUID]:
    """``count`` alerts with their CronJobs created by a full sync."""
    alerts = [world.source.add(f"a{i}") for i in range(count)]
    result = await world.reconciler.full_sync()
    assert result.ok and result.actions["create"] == count
    return alerts


def test_both_scopes_run_one_pipeline_and_report_plan_and_applied() -> None:
    async def steps(world: World) -> None:
        [alert] = await scheduled(world, 1)
        world.source.rows[alert] = dataclasses.replace(world.source.rows[alert], name="renamed")
        result = await world.reconciler.sync_alert(alert)
        assert result.ok and result.plan is not None and result.applied is not None
        assert result.plan.scope == frozenset({alert})
        assert [(a.kind, a.name) for a in result.applied.applied] == [
            ("update", cronjob_name(alert))]
        assert world.state.alerts[alert].cronjob == "in sync"
        full = await world.reconciler.full_sync()
        assert full.plan is not None and full.plan.scope is None and full.plan.actions == []
        assert world.state.full_syncs == 2

    run(steps)


def test_a_database_error_aborts_before_any_write() -> None:
    async def steps(world: World) -> None:
        alerts = await scheduled(world, 4)
        writes = len(world.cluster.writes)
        world.source.rows.clear()  # what an empty read would look like: must not be reached
        world.source.error = SourceError("OperationalError", "connection refused")
        full = await world.reconciler.full_sync()
        assert not full.ok and full.plan is None
        assert full.error == "database: OperationalError: connection refused"
        one = await world.reconciler.sync_alert(alerts[0])
        assert not one.ok and one.error == "database: OperationalError"
        assert world.cluster.writes[writes:] == []
        assert not world.state.database_reachable
        assert world.state.last_sync_error == full.error

    run(steps)


def test_a_cluster_error_aborts_before_any_write() -> None:
    async def steps(world: World) -> None:
        world.source.add("a")
        world.cluster.fail_next("list", 503)
        result = await world.reconciler.full_sync()
        assert not result.ok and result.error is not None
        assert result.error.startswith("kubernetes: list: HTTP 503")
        assert world.cluster.writes == [] and world.state.database_reachable

    run(steps)


def test_pauses_suspend_and_resuming_recreates() -> None:
    async def steps(world: World) -> None:
        paused, running = await scheduled(world, 2)
        world.source.paused.add(paused)
        result = await world.reconciler.full_sync()
        assert [(a.kind, a.alert_id) for a in planned(result).actions] == [("suspend", paused)]
        assert world.cluster.cronjobs[cronjob_name(paused)]["spec"]["suspend"] is True
        world.source.everything_paused = True
        result = await world.reconciler.full_sync()
        assert [(a.kind, a.alert_id) for a in planned(result).actions] == [("suspend", running)]
        world.source.everything_paused = False
        world.source.paused.clear()
        result = await world.reconciler.full_sync()
        assert sorted(a.kind for a in planned(result).actions) == ["recreate", "recreate"]
        assert not any(body["spec"]["suspend"] for body in world.cluster.cronjobs.values())

    run(steps)


def test_an_invalid_alert_is_skipped_and_the_others_are_scheduled() -> None:
    async def steps(world: World) -> None:
        bad = world.source.add("bad", {"type": "fortnightly"})
        good = world.source.add("good")
        result = await world.reconciler.full_sync()
        assert result.ok and result.invalid == 1
        assert list(world.cluster.cronjobs) == [cronjob_name(good)]
        assert world.state.alerts[bad].cronjob == "invalid"
        assert world.state.alerts[good].cronjob == "in sync"

    run(steps)


def test_a_422_fails_that_alert_only() -> None:
    async def steps(world: World) -> None:
        alerts = [world.source.add(f"a{i}") for i in range(3)]
        world.cluster.fail_next("create", 422)
        result = await world.reconciler.full_sync()
        assert not result.ok and result.error == "1 action(s) failed"
        [(name, error)] = result.failed.items()
        assert "HTTP 422" in error and len(world.cluster.cronjobs) == 2
        failed = next(a for a in alerts if cronjob_name(a) == name)
        assert world.state.alerts[failed].problem == error
        assert world.state.last_sync_error == "1 action(s) failed"
        assert (await world.reconciler.full_sync()).ok  # the next sync creates it

    run(steps)


@pytest.mark.parametrize("status", [409, 429, 500, 503])
def test_retryable_errors_are_retried(status: int) -> None:
    async def steps(world: World) -> None:
        world.source.add("a")
        world.cluster.fail_next("create", 0 if status == 409 else status, status)
        result = await world.reconciler.full_sync()
        assert result.ok and len(world.cluster.cronjobs) == 1
        assert [verb for verb, _ in world.cluster.writes] == ["create"] * 3

    run(steps)


# --- mass delete on every deletion path (at most mass_delete_min disappear) -------------------

def _held_by_the_guard(world: World, result: Any, deleted: int, total: int) -> None:
    assert world.deletes() == deleted <= SETTINGS.mass_delete_min
    assert result.blocked_deletes is not None
    assert f"would delete {total} of {total} managed CronJobs" in result.blocked_deletes
    assert world.state.mass_delete_blocked == result.blocked_deletes
    assert len(world.cluster.cronjobs) == total - deleted


def test_rows_deleted_one_by_one_stop_at_the_absolute_bound() -> None:
    async def steps(world: World) -> None:
        alerts = await scheduled(world, 30)
        world.source.rows.clear()
        for alert in alerts:  # the change feed: one notification per row, in order
            await world.reconciler.sync_alert(alert)
        assert world.deletes() == 3 and world.reconciler.full_sync_wanted.is_set()
        _held_by_the_guard(world, await world.reconciler.full_sync(), 3, 30)

    run(steps)


def test_concurrent_one_by_one_deletes_stop_at_the_absolute_bound() -> None:
    async def steps(world: World) -> None:
        alerts = await scheduled(world, 30)
        world.source.rows.clear()
        await asyncio.gather(*(world.reconciler.sync_alert(a) for a in alerts))
        _held_by_the_guard(world, await world.reconciler.full_sync(), 3, 30)

    run(steps)


def test_batches_within_the_window_are_judged_together() -> None:
    async def steps(world: World) -> None:
        alerts = await scheduled(world, 30)
        for batch in (alerts[:2], alerts[2:4], alerts[4:]):
            for alert in batch:
                del world.source.rows[alert]
            for alert in batch:
                await world.reconciler.sync_alert(alert)
            result = await world.reconciler.full_sync()
            world.clock.advance(10)
        _held_by_the_guard(world, result, 3, 30)

    run(steps)


def test_a_legitimate_bulk_delete_goes_once_the_deletion_is_over() -> None:
    async def steps(world: World) -> None:
        alerts = await scheduled(world, 30)
        for alert in alerts[:8]:  # 8 of 30: under max_delete_fraction
            del world.source.rows[alert]
            await world.reconciler.sync_alert(alert)
        held = await world.reconciler.full_sync()
        assert world.deletes() == 3 and len(planned(held).held_deletes) == 5
        assert held.blocked_deletes is None and held.ok
        world.clock.advance(61)  # the window: no delete for a minute
        done = await world.reconciler.full_sync()
        assert done.actions["delete"] == 5 and len(world.cluster.cronjobs) == 22

    run(steps)


@pytest.mark.parametrize("how", ["truncate", "drop and re-create", "empty copy"])
def test_an_emptied_table_deletes_nothing(how: str) -> None:
    """TRUNCATE (one notification: a full sync), a table dropped and re-created (reads fail,
    then read empty), a DATABASE_URL naming an empty copy (a fresh operator reads empty)."""
    async def steps(world: World) -> None:
        await scheduled(world, 30)
        world.source.rows.clear()
        if how == "drop and re-create":
            world.source.error = SourceError("UndefinedTableError", 'relation "app.alerts"')
            assert not (await world.reconciler.full_sync()).ok
            world.source.error = None
        reconciler = world.reconciler
        if how == "empty copy":
            world.state = OperatorState()
            reconciler = Reconciler(SETTINGS, world.source, world.cluster, world.state,
                                    clock=world.clock)
        _held_by_the_guard(world, await reconciler.full_sync(), 0, 30)

    run(steps)


def test_the_one_by_one_window_forgets_after_a_resync_interval() -> None:
    async def steps(world: World) -> None:
        alerts = await scheduled(world, 30)
        for alert in alerts[:4]:
            del world.source.rows[alert]
        for alert in alerts[:3]:
            await world.reconciler.sync_alert(alert)
        await world.reconciler.sync_alert(alerts[3])
        assert world.deletes() == 3  # the fourth waits
        world.clock.advance(61)
        await world.reconciler.sync_alert(alerts[3])
        assert world.deletes() == 4

    run(steps)


def test_confirm_mass_delete_deletes_everything() -> None:
    async def steps(world: World) -> None:
        alerts = await scheduled(world, 10)
        world.source.rows.clear()
        for alert in alerts:
            await world.reconciler.sync_alert(alert)
        assert world.cluster.cronjobs == {}

    run(steps, confirm_mass_delete=True)


def test_shutdown_drains_the_writes_in_flight_and_starts_no_new_one() -> None:
    async def steps(world: World) -> None:
        for i in range(20):
            world.source.add(f"a{i}")
        world.cluster.hold = asyncio.Event()
        sync = asyncio.create_task(world.reconciler.full_sync())
        # Let the workers send all they may (max_concurrency, unanswered): how many turns of
        # the loop the read and the plan take before that is not fixed; then some more turns.
        for _ in range(2000):
            if world.cluster.creates_started == 4:
                break
            await asyncio.sleep(0)
        for _ in range(50):
            await asyncio.sleep(0)
        assert world.cluster.creates_started == 4
        drain = asyncio.create_task(world.reconciler.applier.drain(grace_seconds=30))
        sync.cancel()  # the operator's shutdown cancels the sync task
        await asyncio.sleep(0)
        assert not drain.done() and world.reconciler.applier.in_flight == 4
        world.cluster.hold.set()
        await drain
        assert world.cluster.creates_started == world.cluster.creates_finished == 4
        assert len(world.cluster.cronjobs) == 4 and world.reconciler.applier.in_flight == 0
        with contextlib.suppress(asyncio.CancelledError):
            await sync
        assert world.cluster.creates_started == 4  # nothing new after the drain

    run(steps, max_concurrency=4)


def test_one_alert_deletes_wait_for_a_full_sync_that_holds_nothing_back() -> None:
    """A restart: the watch events of CronJobs whose rows are gone come before the first full
    sync; none may delete, and after a full sync that blocks, none may either."""
    async def steps(world: World) -> None:
        alerts = await scheduled(world, 8)
        world.source.rows.clear()
        restarted = Reconciler(SETTINGS, world.source, world.cluster, OperatorState(),
                               clock=world.clock)
        before = await restarted.sync_alert(alerts[0])
        assert before.blocked_deletes == "no full sync yet" and world.deletes() == 0
        assert restarted.full_sync_wanted.is_set()
        held = await restarted.full_sync()
        assert held.blocked_deletes and restarted.state.mass_delete_blocked
        after = await restarted.sync_alert(alerts[1])
        assert after.blocked_deletes == "mass-delete protection holds deletes"
        assert world.deletes() == 0 and len(world.cluster.cronjobs) == 8

    run(steps)


def test_re_syncs_repair_what_changed_after_a_sync_found_it_in_sync() -> None:
    # A no-op sync keeps its verdicts of "in sync" for the next one (summarizer.Verified): a hand
    # edit, a changed row and a pause must each still be seen.
    async def steps(world: World) -> None:
        edited, renamed, paused = await scheduled(world, 3)
        assert (await world.reconciler.full_sync()).actions["update"] == 0
        world.cluster.hand_edit(cronjob_name(edited),
                                lambda body: body["spec"].update(concurrencyPolicy="Allow"))
        world.source.rows[renamed] = dataclasses.replace(world.source.rows[renamed], name="new")
        world.source.paused.add(paused)
        result = await world.reconciler.full_sync()
        assert planned(result).actions and sorted(
            (a.kind, a.alert_id == edited, a.alert_id == renamed) for a in planned(result).actions
        ) == [("suspend", False, False), ("update", False, True), ("update", True, False)]
        assert world.cluster.cronjobs[cronjob_name(edited)]["spec"]["concurrencyPolicy"] != "Allow"
        writes = len(world.cluster.writes)
        assert planned(await world.reconciler.full_sync()).actions == []
        assert len(world.cluster.writes) == writes

    run(steps)
