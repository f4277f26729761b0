"""Record: what a sync did, as the operator's next state (pure: no I/O, no clock).

A full sync replaces the state of every alert; a one-alert sync replaces its alert's entry only.
Each function returns a new :class:`OperatorState`; the reconciler adopts it (``/status`` and the
probes read the one shared object).
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from alert_core.cronjob import cronjob_name
from alert_operator.applier import Applied
from alert_operator.planner import Plan
from alert_operator.state import AlertState, OperatorState


def record(state: OperatorState, the_plan: Plan, applied: Applied, *, dry_run: bool,
           now: datetime) -> OperatorState:
    """The state after ``the_plan`` was applied (``dry_run``: nothing was written)."""
    if the_plan.scope is None:
        return _record_full(state, the_plan, applied, dry_run=dry_run, now=now)
    new = dataclasses.replace(state, alerts=dict(state.alerts))
    for alert_id in the_plan.scope:
        _record_alert(new, alert_id, the_plan, applied, dry_run=dry_run)
    return new


def failed_actions(applied: Applied) -> str | None:
    return None if applied.ok else f"{len(applied.failed)} action(s) failed"


def _record_full(state: OperatorState, the_plan: Plan, applied: Applied, *, dry_run: bool,
                 now: datetime) -> OperatorState:
    alerts = {alert.id: alert for alert in the_plan.alerts}
    for action in [] if dry_run else applied.applied:
        if action.alert_id in alerts and action.kind != "delete":
            alerts[action.alert_id] = dataclasses.replace(alerts[action.alert_id],
                                                          cronjob="in sync")
        elif action.kind == "delete" and action.alert_id in alerts:
            del alerts[action.alert_id]
    for action in the_plan.actions:
        if action.name in applied.failed and action.alert_id in alerts:
            alerts[action.alert_id] = dataclasses.replace(
                alerts[action.alert_id], problem=applied.failed[action.name])
    deleted = sum(1 for action in applied.applied if action.kind == "delete")
    created = sum(1 for action in applied.applied if action.kind == "create")
    return dataclasses.replace(
        state,
        alerts=alerts,
        managed_cronjobs=the_plan.managed + (0 if dry_run else created - deleted),
        mass_delete_blocked=the_plan.blocked_deletes,
        last_sync_error=failed_actions(applied),
        last_sync_at=now,
        full_syncs=state.full_syncs + 1,
    )


def _record_alert(state: OperatorState, alert_id: uuid.UUID, the_plan: Plan, applied: Applied,
                  *, dry_run: bool) -> None:
    """``state`` (a fresh copy) with the entry of ``alert_id`` as this one-alert sync left it."""
    name = cronjob_name(alert_id)
    for alert in the_plan.alerts:
        if alert.id == alert_id and alert.cronjob != "orphan":
            entry: AlertState = alert
            if applied.applied and not dry_run:
                entry = dataclasses.replace(entry, cronjob="in sync")
            if name in applied.failed:
                entry = dataclasses.replace(entry, problem=applied.failed[name])
            state.alerts[alert_id] = entry
    if any(a.kind == "delete" for a in applied.applied) and not dry_run:
        state.alerts.pop(alert_id, None)
