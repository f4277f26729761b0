"""Report a plan before it is applied: log lines and Events for what will not be done."""

from __future__ import annotations

import logging

from alert_operator.applier import EventSink
from alert_operator.delete_window import DeleteWindow
from alert_operator.logs import alert_fields
from alert_operator.planner import Plan

log = logging.getLogger("alert_operator.reconciler")  # where these lines always were
EVENTS_PER_BLOCKED_SYNC = 5


async def report(the_plan: Plan, events: EventSink | None, deletes: DeleteWindow) -> None:
    for invalid in the_plan.invalid:
        log.warning("alert %s (%s) cannot be scheduled: %s; its CronJob is left as it is",
                    invalid.alert_id, invalid.name[:80], invalid.problem,
                    extra=alert_fields(invalid.alert_id, invalid.client_id, invalid.cronjob,
                                       reason=invalid.problem))
        if invalid.cronjob and events is not None:
            await events.record(invalid.cronjob, invalid.alert_id, "Warning", "InvalidAlert",
                                invalid.problem)
    for name in the_plan.unknown:
        log.warning("managed CronJob %s has no usable alert-id label: left untouched", name,
                    extra=alert_fields(None, None, name))
    if the_plan.blocked_deletes:
        log.error(the_plan.blocked_deletes)
        if events is not None:
            for action in the_plan.held_deletes[:EVENTS_PER_BLOCKED_SYNC]:
                await events.record(action.name, action.alert_id, "Warning",
                                    "MassDeleteBlocked", the_plan.blocked_deletes)
    elif the_plan.held_deletes:
        log.warning("%d CronJob delete(s) wait: %d deleted in the last %.0f s, a deletion is "
                    "in progress; a full sync after it judges them all together",
                    len(the_plan.held_deletes), deletes.count(), deletes.seconds)
