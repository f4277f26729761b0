"""The pure planner: alerts + existing CronJobs + pauses -> the actions that make them equal.

No I/O here: the reconciler reads, this decides, the applier writes. Memory stays flat at
10,000 CronJobs: each live body is reduced to an :class:`Existing`
(:class:`alert_operator.summarizer.Summarizer`, which compares it with its alert's desired
object right then) as its page arrives, and an
:class:`Action` carries what its manifest is built from, not the manifest. Rules:

- active alert without CronJob -> ``create`` (an inactive or paused one without CronJob: nothing);
- schedule or timezone differs -> ``recreate`` (delete with propagationPolicy Orphan, then
  create; see :data:`RECREATE_WHY`), and so does resuming a suspended one (:data:`RESUME_WHY`);
- anything else differs (spec-hash annotation, or a field edited by hand) -> ``update`` (a JSON
  merge patch with the desired object), called ``suspend`` when it suspends the CronJob;
- alert row gone, or a managed CronJob whose alert id is not in the table -> ``delete``; also a
  second managed CronJob for the same alert (a copy under another name: it would run twice);
- invalid alert (frequency not understood...) -> no action, its CronJob left as it is;
- equal -> nothing at all (a no-op sync makes zero writes).

Mass-delete protection: when the deletes exceed ``max_delete_fraction`` of the managed
CronJobs and ``mass_delete_min``, every delete is held back (``blocked_deletes`` says why)
unless ``confirm_mass_delete`` is set; deletes past ``mass_delete_min`` while a deletion is in
progress wait until it is over (``held_deletes`` without ``blocked_deletes``). A truncated
table or a wrong DATABASE_URL must not wipe a cluster's schedules.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from alert_core import json_codec
from alert_core.alert import Alert, AlertError, validate_alert
from alert_core.cronjob import (
    ALERT_ID_LABEL,
    HASH_ANNOTATION,
    NAME_ANNOTATION,
    cronjob_name,
    cronjob_timing,
    desired_cronjob,
)
from alert_core.db.alert_rows import AlertRow
from alert_core.db.pause_set import Pauses
from alert_core.settings import Settings
from alert_operator.compare import matches
from alert_operator.logs import LogFields, alert_fields
from alert_operator.state import AlertState

ActionKind = Literal["create", "update", "recreate", "suspend", "delete"]

# Why a schedule or timezone change recreates the CronJob instead of patching it.
# The CronJob controller starts the most recent "missed" run between status.lastScheduleTime
# (or metadata.creationTimestamp when the CronJob never ran) and now, if it is within
# startingDeadlineSeconds (kubernetes/kubernetes#63371). Patch "0 9 * * *" to "0 8 * * *" at
# 08:02 and the controller sees 08:00 as missed and starts it at once: a run for a time before
# the change. A new object has no lastScheduleTime and creationTimestamp = now, so no earlier
# time can be missed; propagationPolicy Orphan keeps the Jobs that are running (and their
# history, cleaned later by ttlSecondsAfterFinished) alive through the delete.
RECREATE_WHY = "recreated so no run before the change is 'missed'"
# Resuming is the same hazard: the controller counts the times passed while suspended as
# missed, and starts the latest of them on resume if it is within startingDeadlineSeconds. An
# alert switched back on must not fire for a time at which it was off.
RESUME_WHY = "resumed: recreated so no run from the suspended time is 'missed'"


@dataclass(frozen=True, slots=True)
class Existing:
    """A managed CronJob in the cluster, reduced to what the planner needs.

    Made by :func:`summarize` while the live body is at hand; the body itself is not kept
    (10,000 parsed CronJobs are ~130 MB). ``matches`` is :func:`matches` of the body against its
    alert's desired object, computed right then: ``None`` when it was compared with nothing (no
    row, an invalid row, a copy under another name); the planner counts that as drifted.
    """

    name: str
    alert_id: uuid.UUID | None  # None when the label is missing or not a UUID
    spec_hash: str | None
    schedule: str | None
    time_zone: str | None
    suspended: bool
    created: str | None
    alert_name: str | None = None  # the alert-name annotation (an orphan's state shows it)
    matches: bool | None = None


def alert_id_of(body: Mapping[str, Any]) -> uuid.UUID | None:
    """The alert-id label as a UUID; None when it is missing or not a UUID."""
    labels = (body.get("metadata") or {}).get("labels") or {}
    try:
        return uuid.UUID(str(labels[ALERT_ID_LABEL]))
    except (KeyError, ValueError):
        return None


def summarize(body: Mapping[str, Any], desired: Mapping[str, Any] | None, *,
              in_sync: bool = False) -> Existing:
    """``body`` (a live CronJob) as an :class:`Existing`, compared with ``desired`` (the
    desired object of its alert, or None); ``in_sync``: known to match without comparing."""
    metadata = body.get("metadata") or {}
    spec = body.get("spec") or {}
    annotations = metadata.get("annotations") or {}
    return Existing(
        name=str(metadata.get("name") or ""),
        alert_id=alert_id_of(body),
        spec_hash=annotations.get(HASH_ANNOTATION),
        schedule=spec.get("schedule"),
        time_zone=spec.get("timeZone"),
        suspended=bool(spec.get("suspend")),
        created=metadata.get("creationTimestamp"),
        alert_name=annotations.get(NAME_ANNOTATION),
        matches=True if in_sync else None if desired is None else matches(body, desired),
    )


@dataclass(frozen=True, slots=True)
class Target:
    """What an action's manifest is built from, when it is sent (not when it is planned:
    a cold sync of 10,000 must not hold 10,000 manifests at once)."""

    alert: Alert
    paused: bool
    settings: Settings = field(repr=False)

    def desired(self) -> dict[str, Any]:
        return desired_cronjob(self.alert, self.settings, paused=self.paused)


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    name: str
    alert_id: uuid.UUID | None
    reason: str
    target: Target | None = field(default=None, repr=False, compare=False)  # None: delete

    @property
    def manifest(self) -> dict[str, Any] | None:
        """create/recreate: the desired object; update/suspend: the merge patch; delete: None.

        Built anew on each access (so nothing holds it longer than the request that sends it).
        """
        if self.target is None:
            return None
        desired = self.target.desired()
        return merge_patch(desired) if self.kind in ("update", "suspend") else desired

    def log_fields(self) -> LogFields:
        """The keys of this action's log lines (:func:`alert_operator.logs.alert_fields`); a
        delete knows no client id (its row is gone)."""
        client_id = None if self.target is None else self.target.alert.client_id
        return alert_fields(self.alert_id, client_id, self.name, action=self.kind,
                            reason=self.reason)

    def describe(self) -> str:
        """`` for alert 'name': <schedule> <zone>[, suspended]`` (empty for a delete): what a
        dry-run user compares with the old scheduler."""
        if self.target is None:
            return ""
        alert = self.target.alert
        schedule, zone, suspend = cronjob_timing(alert, self.target.settings,
                                                 paused=self.target.paused)
        return f" for alert {alert.name[:80]!r}: {schedule} {zone}" + (
            ", suspended" if suspend else "")


@dataclass(frozen=True)
class Invalid:
    alert_id: uuid.UUID
    name: str
    problem: str
    cronjob: str | None  # the CronJob left untouched, if there is one
    client_id: uuid.UUID | None = None  # None when the row's is missing or not a UUID


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)
    alerts: list[AlertState] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # managed CronJobs without a usable id
    blocked_deletes: str | None = None
    held_deletes: list[Action] = field(default_factory=list)
    managed: int = 0
    scope: frozenset[uuid.UUID] | None = None  # the alerts a one-alert sync planned; None: all

    def count(self, kind: ActionKind) -> int:
        return sum(1 for action in self.actions if action.kind == kind)


def merge_patch(desired: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON merge patch that sets what we manage (metadata labels/annotations and spec)."""
    metadata = desired["metadata"]
    return {
        "metadata": {"labels": metadata["labels"], "annotations": metadata["annotations"]},
        "spec": desired["spec"],
    }


def _state(alert_id: uuid.UUID, name: str,
           timing: tuple[str | None, str | None, bool] | None,
           cronjob: Literal["in sync", "drifted", "missing", "invalid", "orphan"],
           problem: str | None = None) -> AlertState:
    schedule, time_zone, suspended = timing or (None, None, False)
    return AlertState(
        id=alert_id, name=name, schedule=schedule, timezone=time_zone,
        suspended=suspended, cronjob=cronjob, problem=problem,
    )


def _plan_alert(
    row: AlertRow, existing: Existing | None, pauses: Pauses, settings: Settings, plan: Plan,
    validated: Alert | None,
) -> None:
    try:
        alert = validated or validate_alert(row)
    except AlertError as error:
        problem = str(error)
        plan.invalid.append(Invalid(row.id, row.name, problem, existing.name if existing else None,
                                    row.client_id))
        plan.alerts.append(_state(row.id, row.name, None, "invalid", problem))
        return
    paused = pauses.is_paused(alert.id)
    target = Target(alert, paused, settings)
    name = cronjob_name(alert.id)
    timing = cronjob_timing(alert, settings, paused=paused)
    schedule, time_zone, suspend = timing
    if existing is None:
        plan.alerts.append(_state(alert.id, alert.name, timing, "missing"))
        if not suspend:  # inactive or paused, and nothing to suspend: nothing to do
            plan.actions.append(Action("create", name, alert.id, "no CronJob yet", target))
        return
    if existing.matches:
        plan.alerts.append(_state(alert.id, alert.name, timing, "in sync"))
        return
    plan.alerts.append(_state(alert.id, alert.name, timing, "drifted"))
    if existing.schedule != schedule or existing.time_zone != time_zone:
        changed = " and ".join(what for what, live, wanted in (
            ("schedule", existing.schedule, schedule), ("timezone", existing.time_zone, time_zone),
        ) if live != wanted)
        plan.actions.append(Action("recreate", name, alert.id, f"{changed} changed: {RECREATE_WHY}",
                                   target))
    elif existing.suspended and not suspend:
        plan.actions.append(Action("recreate", name, alert.id, RESUME_WHY, target))
    elif suspend and not existing.suspended:
        reason = "paused" if paused else "alert inactive"
        plan.actions.append(Action("suspend", name, alert.id, reason, target))
    else:
        spec_hash = target.desired()["metadata"]["annotations"][HASH_ANNOTATION]
        reason = "spec changed" if existing.spec_hash != spec_hash else "edited by hand"
        plan.actions.append(Action("update", name, alert.id, reason, target))


def _guard_mass_delete(plan: Plan, settings: Settings, recently_deleted: int) -> None:
    """Block a mass delete; while a deletion is in progress (``recently_deleted``), hold the
    deletes past ``mass_delete_min`` until it is over (the next batch may make it a mass delete:
    at most ``mass_delete_min`` CronJobs disappear before the guard can judge the whole)."""
    deletes = [action for action in plan.actions if action.kind == "delete"]
    count, managed = len(deletes) + recently_deleted, plan.managed + recently_deleted
    if not deletes or settings.confirm_mass_delete or count <= settings.mass_delete_min:
        return
    if count > settings.max_delete_fraction * managed:
        already = f" ({recently_deleted} of them deleted already)" if recently_deleted else ""
        plan.blocked_deletes = (
            f"mass-delete protection: this sync would delete {count} of {managed} "
            f"managed CronJobs{already} (more than {settings.max_delete_fraction:.0%} and more "
            f"than {settings.mass_delete_min}); nothing deleted. Check DATABASE_URL and the "
            "alerts table; run with --confirm-mass-delete if this is intended"
        )
    elif not recently_deleted:
        return
    plan.held_deletes = deletes
    plan.actions = [action for action in plan.actions if action.kind != "delete"]


def plan(
    alerts: Iterable[AlertRow],
    existing: Iterable[Existing],
    pauses: Pauses,
    settings: Settings,
    *,
    scope: Iterable[uuid.UUID] | None = None,
    recently_deleted: int = 0,
    validated: Mapping[uuid.UUID, Alert] | None = None,
) -> Plan:
    """The actions that make ``existing`` equal to ``alerts``.

    ``scope`` limits deletes to those alert ids (a one-alert sync must not decide about the
    rest of the cluster from a table it did not read). ``recently_deleted``: CronJobs deleted
    within the delete-rate window (:mod:`alert_operator.delete_window`); they count towards the
    mass-delete bound, so that rows deleted one by one or in batches cannot get around it.
    ``validated``: these rows validated already (:attr:`Summarizer.validated`).
    """
    allowed = None if scope is None else frozenset(scope)
    result = Plan(scope=allowed)
    by_alert: dict[uuid.UUID, Existing] = {}
    duplicates: list[Existing] = []
    cronjobs = sorted(existing, key=lambda item: item.name)
    result.managed = len(cronjobs)
    for item in cronjobs:
        if item.alert_id is None:
            result.unknown.append(item.name)
        elif item.name != cronjob_name(item.alert_id):
            duplicates.append(item)
        else:
            by_alert[item.alert_id] = item
    rows = {row.id: row for row in alerts}
    for row in rows.values():
        _plan_alert(row, by_alert.get(row.id), pauses, settings, result,
                    None if validated is None else validated.get(row.id))
    for alert_id, item in by_alert.items():
        if alert_id not in rows and (allowed is None or alert_id in allowed):
            result.actions.append(Action("delete", item.name, alert_id, "alert row gone"))
            result.alerts.append(_state(alert_id, item.alert_name or item.name, None, "orphan"))
    for item in duplicates:
        if allowed is None or item.alert_id in allowed:
            reason = f"not named {cronjob_name(item.alert_id)}: a copy would run the alert twice"
            result.actions.append(Action("delete", item.name, item.alert_id, reason))
    _guard_mass_delete(result, settings, recently_deleted)
    return result


def digest(body: Mapping[str, Any]) -> str:
    """What we manage of a live CronJob (labels, annotations, spec; not status), hashed:
    a watch event with the digest we last saw in sync needs no reconcile.

    The spec stands as (uid, generation) when the server gave both: it bumps ``generation``
    at every change of ``spec`` and a new object gets a new uid, so the pair changes exactly
    when the spec may have. Serialising the spec instead was a third of the operator's CPU per
    watch event of its own creates (BENCHMARKS.md)."""
    metadata = body.get("metadata") or {}
    uid, generation = metadata.get("uid"), metadata.get("generation")
    managed = {
        "labels": metadata.get("labels"),
        "annotations": metadata.get("annotations"),
        "spec": [uid, generation] if uid and generation else body.get("spec"),
    }
    return hashlib.sha256(json_codec.canonical(managed, default=str)).hexdigest()[:24]
