"""The dry-run shadow of the cluster (alert_operator.shadow): a KubeApi in memory."""

from __future__ import annotations

import pytest

from alert_core.cronjob import desired_cronjob
from alert_operator.compare import matches
from alert_operator.kube import NotFoundError, RetryableApiError
from alert_operator.planner import merge_patch as planner_patch
from alert_operator.shadow import ShadowCluster, merge_patch
from tests.core.test_cronjob import make_alert, make_settings


def test_merge_patch_is_rfc_7386() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "list": [1, 2]}
    patch = {"a": "z", "c": {"f": None}, "list": [3], "new": {"x": 1}}
    assert merge_patch(target, patch) == {"a": "z", "c": {"d": "e"}, "list": [3],
                                          "new": {"x": 1}}
    assert target["c"] == {"d": "e", "f": "g"}  # the target is not changed


async def test_what_was_created_and_patched_is_what_the_next_sync_reads() -> None:
    shadow, desired = ShadowCluster(), desired_cronjob(make_alert(), make_settings())
    name = desired["metadata"]["name"]

    created = await shadow.create_cronjob("alerts", desired)
    assert created["metadata"]["uid"] and created["metadata"]["creationTimestamp"]
    assert matches(await shadow.get_cronjob("alerts", name), desired)
    with pytest.raises(RetryableApiError) as conflict:
        await shadow.create_cronjob("alerts", desired)
    assert conflict.value.status == 409

    renamed = desired_cronjob(make_alert(name="Evening digest"), make_settings())
    patched = await shadow.patch_cronjob("alerts", name, planner_patch(renamed))
    assert matches(patched, renamed) and not matches(patched, desired)
    assert patched["metadata"]["uid"] == created["metadata"]["uid"]
    assert [body["metadata"]["name"] for body in await shadow.list_managed_cronjobs("alerts")] \
        == [name]
    assert await shadow.list_managed_cronjobs("elsewhere") == []

    await shadow.delete_cronjob("alerts", name, propagation="Orphan")
    assert await shadow.get_cronjob("alerts", name) is None
    with pytest.raises(NotFoundError):
        await shadow.delete_cronjob("alerts", name)
    with pytest.raises(NotFoundError):
        await shadow.patch_cronjob("alerts", name, {})


async def test_a_caller_cannot_change_what_the_shadow_holds() -> None:
    shadow, desired = ShadowCluster(), desired_cronjob(make_alert(), make_settings())
    read = await shadow.create_cronjob("alerts", desired)
    read["spec"]["schedule"] = "* * * * *"
    desired["spec"]["suspend"] = True
    live = await shadow.get_cronjob("alerts", desired["metadata"]["name"])
    assert live is not None
    assert (live["spec"]["schedule"], live["spec"]["suspend"]) == ("0 10 * * 1,3,5", False)
