"""planner.digest: changes exactly when what we manage of a live CronJob may have changed."""

from __future__ import annotations

import copy
from typing import Any

from alert_operator.planner import digest


def live(**metadata: Any) -> dict[str, Any]:
    return {"metadata": {"name": "a", "labels": {"app": "x"}, "annotations": {"h": "1"},
                         **metadata},
            "spec": {"schedule": "0 9 * * *", "suspend": False},
            "status": {"lastScheduleTime": "2026-01-01T09:00:00Z"}}


def test_with_uid_and_generation_the_pair_stands_for_the_spec() -> None:
    body = live(uid="u1", generation=1, resourceVersion="5")
    same = copy.deepcopy(body)
    same["status"] = {}
    same["metadata"]["resourceVersion"] = "6"  # a status update: new version, same spec
    assert digest(same) == digest(body)
    for changed in (live(uid="u1", generation=2), live(uid="u2", generation=1),
                    {**live(uid="u1", generation=1), "metadata": {
                        **live(uid="u1", generation=1)["metadata"], "labels": {"app": "y"}}}):
        assert digest(changed) != digest(body)


def test_without_a_generation_the_spec_itself_is_hashed() -> None:
    body = live(uid="u1")
    edited = copy.deepcopy(body)
    edited["spec"]["suspend"] = True
    assert digest(edited) != digest(body)
    assert digest(copy.deepcopy(body)) == digest(body)
