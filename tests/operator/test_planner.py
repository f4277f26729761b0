"""The pure planner, without I/O."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from alert_core.alert import validate_alert
from alert_core.cronjob import (
    ALERT_ID_LABEL,
    HASH_ANNOTATION,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    cronjob_name,
    desired_cronjob,
)
from alert_core.db.alerts import AlertRow
from alert_core.db.pauses import Pauses
from alert_core.settings import Settings
from alert_operator.planner import Existing, matches, plan

SETTINGS = Settings(namespace="alerts", mass_delete_min=3, max_delete_fraction=0.5)
NO_PAUSES = Pauses(False, frozenset())
DAILY = {"type": "daily", "time": "09:00", "timezone": "UTC"}


def row(frequency: Any = None, *, active: bool = True, name: str = "a") -> AlertRow:
    return AlertRow(uuid.uuid4(), uuid.uuid4(), name, frequency or DAILY, active)


def live(r: AlertRow, *, paused: bool = False, settings: Settings = SETTINGS) -> Existing:
    """The CronJob as a real server returns it: ours plus defaults and status."""
    body = copy.deepcopy(desired_cronjob(validate_alert(r), settings, paused=paused))
    body["metadata"].update(
        uid="u-1", resourceVersion="42", creationTimestamp="2024-01-01T00:00:00Z"
    )
    body["spec"]["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"] = "ClusterFirst"
    body["status"] = {"lastScheduleTime": "2024-01-02T09:00:00Z"}
    return Existing.from_body(body)


def foreign_copy(r: AlertRow, name: str) -> Existing:
    body = copy.deepcopy(desired_cronjob(validate_alert(r), SETTINGS))
    body["metadata"]["name"] = name
    return Existing.from_body(body)


def kinds(result: Any) -> list[tuple[str, str]]:
    return sorted((a.kind, a.name) for a in result.actions)


def test_active_alert_without_cronjob_is_created() -> None:
    r = row()
    result = plan([r], [], NO_PAUSES, SETTINGS)
    assert kinds(result) == [("create", cronjob_name(r.id))]
    manifest = result.actions[0].manifest
    assert manifest is not None and manifest["spec"]["schedule"] == "0 9 * * *"


def test_inactive_or_paused_without_cronjob_creates_nothing() -> None:
    inactive, paused = row(active=False), row()
    result = plan([inactive, paused], [], Pauses(False, frozenset({paused.id})), SETTINGS)
    assert result.actions == []


def test_equal_cronjob_means_no_action_even_with_server_defaults() -> None:
    r = row()
    result = plan([r], [live(r)], NO_PAUSES, SETTINGS)
    assert result.actions == []
    assert result.alerts[0].cronjob == "in sync"


def test_schedule_change_recreates() -> None:
    r = row()
    existing = live(r)
    changed = AlertRow(r.id, r.client_id, r.name, {**DAILY, "time": "08:00"}, True)
    result = plan([changed], [existing], NO_PAUSES, SETTINGS)
    assert kinds(result) == [("recreate", cronjob_name(r.id))]
    assert result.actions[0].manifest["spec"]["schedule"] == "0 8 * * *"  # type: ignore[index]


def test_timezone_change_recreates() -> None:
    r = row()
    changed = AlertRow(r.id, r.client_id, r.name, {**DAILY, "timezone": "Europe/Paris"}, True)
    assert kinds(plan([changed], [live(r)], NO_PAUSES, SETTINGS))[0][0] == "recreate"


def test_name_change_is_a_patch() -> None:
    r = row(name="old")
    renamed = AlertRow(r.id, r.client_id, "new", r.frequency, True)
    result = plan([renamed], [live(r)], NO_PAUSES, SETTINGS)
    assert kinds(result) == [("update", cronjob_name(r.id))]
    patch = result.actions[0].manifest
    assert patch is not None
    assert patch["metadata"]["annotations"]["alert-operator/alert-name"] == "new"
    assert set(patch) == {"metadata", "spec"}


@pytest.mark.parametrize("paused", [False, True])
def test_inactive_or_paused_is_suspended(paused: bool) -> None:
    r = row()
    target = r if paused else AlertRow(r.id, r.client_id, r.name, r.frequency, False)
    pauses = Pauses(False, frozenset({r.id})) if paused else NO_PAUSES
    result = plan([target], [live(r)], pauses, SETTINGS)
    assert kinds(result) == [("suspend", cronjob_name(r.id))]
    assert result.actions[0].manifest["spec"]["suspend"] is True  # type: ignore[index]


def test_global_pause_suspends_everything() -> None:
    rows = [row(), row()]
    result = plan(rows, [live(r) for r in rows], Pauses(True, frozenset()), SETTINGS)
    assert [a.kind for a in result.actions] == ["suspend", "suspend"]


def test_reactivation_resumes_by_recreating() -> None:
    # A patch to suspend: false would let the controller start a run "missed" while suspended.
    r = row()
    result = plan([r], [live(r, paused=True)], NO_PAUSES, SETTINGS)
    assert kinds(result) == [("recreate", cronjob_name(r.id))]
    assert result.actions[0].manifest["spec"]["suspend"] is False  # type: ignore[index]


def test_hand_edit_is_repaired_though_the_hash_annotation_is_equal() -> None:
    r = row()
    existing = live(r)
    body = copy.deepcopy(dict(existing.body))
    body["spec"]["concurrencyPolicy"] = "Allow"
    result = plan([r], [Existing.from_body(body)], NO_PAUSES, SETTINGS)
    assert [(a.kind, a.reason) for a in result.actions] == [("update", "edited by hand")]


def test_changed_settings_update_by_hash() -> None:
    r = row()
    result = plan([r], [live(r)], NO_PAUSES, SETTINGS.model_copy(update={"backoff_limit": 7}))
    assert [(a.kind, a.reason) for a in result.actions] == [("update", "spec changed")]


def test_resource_quantities_rewritten_by_the_server_are_not_drift() -> None:
    settings = SETTINGS.model_copy(update={"runner_cpu_limit": "1000m"})
    r = row()
    existing = live(r, settings=settings)
    container = existing.body["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    container["resources"]["limits"]["cpu"] = "1"
    assert plan([r], [existing], NO_PAUSES, settings).actions == []


def test_row_gone_deletes_and_orphan_deletes() -> None:
    kept, gone = row(), row()
    result = plan([kept], [live(kept), live(gone)], NO_PAUSES, SETTINGS)
    assert kinds(result) == [("delete", cronjob_name(gone.id))]


def test_copy_under_another_name_is_deleted() -> None:
    r = row()
    result = plan([r], [live(r), foreign_copy(r, "my-copy")], NO_PAUSES, SETTINGS)
    assert kinds(result) == [("delete", "my-copy")]


def test_cronjob_without_usable_alert_id_is_left_alone() -> None:
    r = row()
    body = copy.deepcopy(dict(live(r).body))
    body["metadata"]["labels"][ALERT_ID_LABEL] = "not-a-uuid"
    result = plan([], [Existing.from_body(body)], NO_PAUSES, SETTINGS)
    assert result.actions == [] and result.unknown == [cronjob_name(r.id)]


@pytest.mark.parametrize("frequency", [{"type": "daily", "time": "25:00"}, {"type": "nope"}, "{"])
def test_invalid_alert_leaves_its_cronjob_and_others_go_on(frequency: Any) -> None:
    bad, good = row(), row()
    broken = AlertRow(bad.id, bad.client_id, bad.name, frequency, True)
    result = plan([broken, good], [live(bad)], NO_PAUSES, SETTINGS)
    assert kinds(result) == [("create", cronjob_name(good.id))]
    assert [i.alert_id for i in result.invalid] == [bad.id]
    assert result.invalid[0].cronjob == cronjob_name(bad.id)
    assert result.invalid[0].problem


def test_missing_client_id_is_invalid() -> None:
    r = AlertRow(uuid.uuid4(), None, "x", DAILY, True)
    result = plan([r], [], NO_PAUSES, SETTINGS)
    assert result.actions == [] and "client_id" in result.invalid[0].problem


def test_mass_delete_is_blocked() -> None:
    rows = [row() for _ in range(10)]
    existing = [live(r) for r in rows]
    result = plan(rows[:2], existing, NO_PAUSES, SETTINGS)
    assert result.count("delete") == 0
    assert len(result.held_deletes) == 8
    assert result.blocked_deletes and "8 of 10" in result.blocked_deletes


def test_mass_delete_block_keeps_the_other_actions() -> None:
    rows = [row() for _ in range(10)]
    new = row()
    result = plan([rows[0], new], [live(r) for r in rows], NO_PAUSES, SETTINGS)
    assert kinds(result) == [("create", cronjob_name(new.id))]


def test_empty_table_against_many_cronjobs_is_blocked() -> None:
    existing = [live(row()) for _ in range(5)]
    result = plan([], existing, NO_PAUSES, SETTINGS)
    assert result.actions == [] and result.blocked_deletes


def test_mass_delete_confirmed() -> None:
    existing = [live(row()) for _ in range(10)]
    settings = SETTINGS.model_copy(update={"confirm_mass_delete": True})
    assert plan([], existing, NO_PAUSES, settings).count("delete") == 10


@pytest.mark.parametrize(("deletes", "blocked"), [(3, False), (4, True)])
def test_mass_delete_needs_both_bounds(deletes: int, blocked: bool) -> None:
    rows = [row() for _ in range(6)]
    result = plan(rows[deletes:], [live(r) for r in rows], NO_PAUSES, SETTINGS)
    assert bool(result.blocked_deletes) is blocked
    assert result.count("delete") == (0 if blocked else deletes)


def test_small_fraction_of_many_is_not_blocked() -> None:
    rows = [row() for _ in range(20)]
    result = plan(rows[5:], [live(r) for r in rows], NO_PAUSES, SETTINGS)
    assert result.count("delete") == 5 and result.blocked_deletes is None


def test_scope_limits_deletes_to_the_alert() -> None:
    a, b = row(), row()
    result = plan([], [live(a), live(b)], NO_PAUSES, SETTINGS, scope={a.id})
    assert kinds(result) == [("delete", cronjob_name(a.id))]


def test_matches_ignores_additions_and_sees_changes() -> None:
    desired = {"a": {"b": [1, {"c": 2}]}, "d": "x"}
    assert matches({"a": {"b": [1, {"c": 2, "z": 0}]}, "d": "x", "extra": 1}, desired)
    assert not matches({"a": {"b": [1, {"c": 3}]}, "d": "x"}, desired)
    assert not matches({"a": {"b": [1]}, "d": "x"}, desired)
    assert not matches({"d": "x"}, desired)


def test_existing_from_body_reads_labels_and_annotations() -> None:
    r = row()
    existing = live(r)
    assert existing.alert_id == r.id and existing.spec_hash
    assert existing.body["metadata"]["annotations"][HASH_ANNOTATION] == existing.spec_hash
    assert existing.body["metadata"]["labels"][MANAGED_BY_LABEL] == MANAGED_BY
    assert existing.created == "2024-01-01T00:00:00Z" and existing.time_zone == "UTC"
