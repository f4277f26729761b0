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
from alert_operator.compare import matches
from alert_operator.planner import Plan, digest, summarize
from alert_operator.planner import plan as make_plan
from alert_operator.summarizer import Summarizer

SETTINGS = Settings(namespace="alerts", mass_delete_min=3, max_delete_fraction=0.5)
NO_PAUSES = Pauses(False, frozenset())
DAILY = {"type": "daily", "time": "09:00", "timezone": "UTC"}


def row(frequency: Any = None, *, active: bool = True, name: str = "a") -> AlertRow:
    return AlertRow(uuid.uuid4(), uuid.uuid4(), name, frequency or DAILY, active)


Body = dict[str, Any]


def live(r: AlertRow, *, paused: bool = False, settings: Settings = SETTINGS) -> Body:
    """The CronJob as a real server returns it: ours plus defaults and status."""
    body = copy.deepcopy(desired_cronjob(validate_alert(r), settings, paused=paused))
    body["metadata"].update(
        uid="u-1", resourceVersion="42", creationTimestamp="2024-01-01T00:00:00Z"
    )
    body["spec"]["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"] = "ClusterFirst"
    body["status"] = {"lastScheduleTime": "2024-01-02T09:00:00Z"}
    return body


def foreign_copy(r: AlertRow, name: str) -> Body:
    body = copy.deepcopy(desired_cronjob(validate_alert(r), SETTINGS))
    body["metadata"]["name"] = name
    return body


def plan(
    rows: list[AlertRow], bodies: list[Body], pauses: Pauses, settings: Settings, **kwargs: Any
) -> Plan:
    """What the reconciler does: each live body summarized against the rows, then planned."""
    summarize = Summarizer(rows, pauses, settings)
    return make_plan(rows, [summarize(body) for body in bodies], pauses, settings, **kwargs)


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
    body = live(r)
    body["spec"]["concurrencyPolicy"] = "Allow"
    result = plan([r], [body], NO_PAUSES, SETTINGS)
    assert [(a.kind, a.reason) for a in result.actions] == [("update", "edited by hand")]


def test_changed_settings_update_by_hash() -> None:
    r = row()
    result = plan([r], [live(r)], NO_PAUSES, SETTINGS.model_copy(update={"backoff_limit": 7}))
    assert [(a.kind, a.reason) for a in result.actions] == [("update", "spec changed")]


def test_resource_quantities_rewritten_by_the_server_are_not_drift() -> None:
    settings = SETTINGS.model_copy(update={"runner_cpu_limit": "1000m"})
    r = row()
    existing = live(r, settings=settings)
    container = existing["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
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
    body = live(r)
    body["metadata"]["labels"][ALERT_ID_LABEL] = "not-a-uuid"
    result = plan([], [body], NO_PAUSES, SETTINGS)
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


def test_summary_reads_labels_and_annotations_and_keeps_no_body() -> None:
    r = row(name="Morning digest")
    body = live(r)
    existing = summarize(body, None)
    assert existing.alert_id == r.id and existing.name == cronjob_name(r.id)
    assert existing.spec_hash == body["metadata"]["annotations"][HASH_ANNOTATION]
    assert body["metadata"]["labels"][MANAGED_BY_LABEL] == MANAGED_BY
    assert existing.created == "2024-01-01T00:00:00Z" and existing.time_zone == "UTC"
    assert existing.alert_name == "Morning digest" and existing.matches is None
    assert not hasattr(existing, "__dict__")  # slots: a summary is a few small fields


def test_summarizer_compares_each_body_with_its_alerts_desired_object() -> None:
    r, gone, bad = row(), row(), row()
    broken = AlertRow(bad.id, bad.client_id, bad.name, {"type": "nope"}, True)
    edited = live(r)
    edited["spec"]["concurrencyPolicy"] = "Allow"
    summarize_ = Summarizer([r, broken], NO_PAUSES, SETTINGS)
    assert summarize_(live(r)).matches is True
    assert summarize_(edited).matches is False
    # Compared with nothing: no row, an invalid row, a copy under another name.
    assert summarize_(live(gone)).matches is None
    assert summarize_(live(bad)).matches is None
    assert summarize_(foreign_copy(r, "my-copy")).matches is None


def test_summarizer_keeps_verdicts_of_in_sync_and_reuses_them_while_nothing_changed() -> None:
    r, other = row(), row()
    body, drifted = live(r), live(other)
    drifted["spec"]["concurrencyPolicy"] = "Allow"
    first = Summarizer([r, other], NO_PAUSES, SETTINGS)
    assert first(body, digest(body)).matches is True
    assert first(drifted, digest(drifted)).matches is False
    assert first(live(r)).matches is True  # no digest given: nothing kept
    assert set(first.verified_now) == {r.id}  # only what was found in sync
    # The verdict is reused for the same digest, row and pause, so this (impossible: the digest
    # says it is the body from before) body is taken as in sync without a comparison ...
    verified = first.verified_now
    again = Summarizer([r, other], NO_PAUSES, SETTINGS, verified)
    assert again(drifted | {"metadata": body["metadata"]}, digest(body)).matches is True
    assert set(again.verified_now) == {r.id}
    # ... and compared again as soon as the CronJob, the row or the pause is not the same.
    edited = copy.deepcopy(body)
    edited["spec"]["concurrencyPolicy"] = "Allow"
    edited["metadata"]["generation"] = 2
    assert Summarizer([r], NO_PAUSES, SETTINGS, verified)(edited, digest(edited)).matches is False
    renamed = AlertRow(r.id, r.client_id, "renamed", r.frequency, r.is_active)
    assert Summarizer([renamed], NO_PAUSES, SETTINGS, verified)(body, digest(body)).matches \
        is False
    paused = Pauses(False, frozenset({r.id}))
    assert Summarizer([r], paused, SETTINGS, verified)(body, digest(body)).matches is False


def test_a_summary_compared_with_nothing_counts_as_drifted() -> None:
    r = row()
    result = make_plan([r], [summarize(live(r), None)], NO_PAUSES, SETTINGS)
    assert [(a.kind, a.reason) for a in result.actions] == [("update", "edited by hand")]


def test_actions_carry_no_manifest_and_build_it_when_asked() -> None:
    r = row()
    action = plan([r], [], NO_PAUSES, SETTINGS).actions[0]
    assert action.manifest == desired_cronjob(validate_alert(r), SETTINGS)
    assert action.manifest is not action.manifest  # built anew: nothing keeps it
    fields = [getattr(action, name) for name in action.__slots__]
    assert not [value for value in fields if isinstance(value, dict)]


@pytest.mark.parametrize("spread", [0, 15])
@pytest.mark.parametrize("paused", [False, True])
def test_states_say_what_the_desired_object_says(spread: int, paused: bool) -> None:
    settings = SETTINGS.model_copy(update={"schedule_spread_minutes": spread})
    rows = [row({"type": "hourly", "time": "00:10"}), row({**DAILY, "timezone": "Asia/Tokyo"}),
            row({"type": "cron", "expression": "*/5 9-17 * * 1-5", "timezone": "UTC"}),
            row(active=False)]
    pauses = Pauses(paused, frozenset())
    for bodies in ([], [live(r, paused=paused, settings=settings) for r in rows]):
        for state in plan(rows, bodies, pauses, settings).alerts:
            r = next(r for r in rows if r.id == state.id)
            spec = desired_cronjob(validate_alert(r), settings, paused=paused)["spec"]
            assert (state.schedule, state.timezone, state.suspended) == (
                spec["schedule"], spec["timeZone"], spec["suspend"])
            assert state.cronjob == ("in sync" if bodies else "missing")


def test_an_orphans_state_shows_the_alert_name_annotation() -> None:
    orphan = row(name="Weekly revenue")
    result = plan([], [live(orphan)], NO_PAUSES, SETTINGS.model_copy(
        update={"confirm_mass_delete": True}))
    assert [(s.name, s.cronjob) for s in result.alerts] == [("Weekly revenue", "orphan")]
