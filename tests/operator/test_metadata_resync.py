"""A full sync after one that found CronJobs in sync lists their metadata only, and reads whole
only the CronJobs changed since (snapshot._read_cluster), against the in-memory cluster (which,
like a real server, bumps generation on every spec change)."""

from __future__ import annotations

import dataclasses
from typing import Any

from alert_core.cronjob import cronjob_name
from alert_operator.snapshot import WHOLE_READS_LIMIT
from tests.operator.fakes import FakeCluster
from tests.operator.test_reconciler_rules import World, planned, run, scheduled


async def settled(world: World, count: int) -> list[Any]:
    """``count`` alerts created, then a sync that finds them all in sync (its verdicts kept)."""
    alerts = await scheduled(world, count)
    assert planned(await world.reconciler.full_sync()).actions == []
    return alerts


def test_a_settled_re_sync_lists_metadata_only_and_reads_nothing_whole() -> None:
    async def steps(world: World) -> None:
        await settled(world, 9)
        lists, gets = len(world.cluster.lists), world.cluster.gets
        writes = len(world.cluster.writes)
        for _ in range(2):
            assert planned(await world.reconciler.full_sync()).actions == []
        assert world.cluster.lists[:lists] == [False] * lists  # no verdicts yet: whole objects
        assert world.cluster.lists[lists:] == [True, True]
        assert world.cluster.gets == gets and len(world.cluster.writes) == writes
        assert all(entry.cronjob == "in sync" for entry in world.state.alerts.values())

    run(steps)


def test_a_hand_edit_row_change_and_pause_are_each_read_whole_and_repaired() -> None:
    async def steps(world: World) -> None:
        edited, renamed, paused = await settled(world, 3)
        world.cluster.hand_edit(cronjob_name(edited),
                                lambda body: body["spec"].update(concurrencyPolicy="Allow"))
        world.source.rows[renamed] = dataclasses.replace(world.source.rows[renamed], name="new")
        world.source.paused.add(paused)
        gets = world.cluster.gets
        result = await world.reconciler.full_sync()
        assert world.cluster.lists[-1] is True and world.cluster.gets == gets + 3
        assert sorted((a.kind, a.alert_id == edited) for a in planned(result).actions) == [
            ("suspend", False), ("update", False), ("update", True)]
        spec = world.cluster.cronjobs[cronjob_name(edited)]["spec"]
        assert spec["concurrencyPolicy"] != "Allow"

    run(steps)


def test_a_label_or_annotation_edit_is_read_whole_too() -> None:
    # Labels and annotations are metadata: no generation bump, but the digest has them.
    async def steps(world: World) -> None:
        [alert] = await settled(world, 1)
        name = cronjob_name(alert)
        world.cluster.hand_edit(name, lambda body: body["metadata"]["annotations"].update(
            {"alert-operator/spec-hash": "forged"}))
        gets = world.cluster.gets
        result = await world.reconciler.full_sync()
        assert world.cluster.gets == gets + 1
        assert [a.kind for a in planned(result).actions] == ["update"]
        assert world.cluster.cronjobs[name]["metadata"]["annotations"][
            "alert-operator/spec-hash"] != "forged"

    run(steps)


def test_many_changed_are_read_in_one_more_list_not_one_get_each() -> None:
    async def steps(world: World) -> None:
        count = WHOLE_READS_LIMIT + 5
        alerts = await settled(world, count)
        for alert in alerts:
            world.cluster.hand_edit(cronjob_name(alert),
                                    lambda body: body["spec"].update(concurrencyPolicy="Allow"))
        lists, gets = len(world.cluster.lists), world.cluster.gets
        result = await world.reconciler.full_sync()
        assert world.cluster.lists[lists:] == [True, False] and world.cluster.gets == gets
        assert planned(result).count("update") == count

    run(steps)


def test_a_cronjob_deleted_between_the_list_and_its_read_is_created_again() -> None:
    async def steps(world: World) -> None:
        [gone, kept] = await settled(world, 2)
        world.cluster.hand_edit(cronjob_name(gone), lambda body: body["spec"].update(suspend=True))
        world.cluster.before_get = world.cluster.cronjobs.pop  # kubectl delete, just before
        result = await world.reconciler.full_sync()
        assert [(a.kind, a.alert_id) for a in planned(result).actions] == [("create", gone)]
        assert set(world.cluster.cronjobs) == {cronjob_name(gone), cronjob_name(kept)}

    run(steps)


def test_a_server_that_sends_whole_objects_to_a_metadata_list_is_read_as_they_come() -> None:
    async def steps(world: World) -> None:
        world.cluster = world.reconciler.api = world.reconciler.applier.api = FakeCluster(
            serves_metadata_lists=False)
        [edited, _] = await settled(world, 2)
        world.cluster.hand_edit(cronjob_name(edited),
                                lambda body: body["spec"].update(concurrencyPolicy="Allow"))
        gets = world.cluster.gets
        result = await world.reconciler.full_sync()
        assert world.cluster.lists[-1] is True and world.cluster.gets == gets
        assert [(a.kind, a.alert_id) for a in planned(result).actions] == [("update", edited)]

    run(steps)
