"""Runs that cannot start: a managed Job that still has no pod after a grace period.

Seen on a real control plane: when the runner's ServiceAccount is missing from the namespace,
the Job controller cannot create the pod; the Job sits with ``FailedCreate`` events ("error
looking up service account ...") and no pod until its ``activeDeadlineSeconds``, then fails
``DeadlineExceeded``. A ResourceQuota or an admission webhook refusing the pod look the same.

The Job's own status says so on the watch we already have: it counts no pod (no ``active``,
``ready``, ``terminating``, ``succeeded`` or ``failed``; a real API server leaves the zero counts
out). Nothing changes on the Job while it waits, so no watch event comes: :meth:`check` runs
every few seconds over the Jobs waiting. Each Job is reported once per process: a Warning
Event ``RunNotStarted`` on its CronJob, ``alert_operator_runs_not_started_total``, a log line,
and a ``/status`` problem that stays until a Job of that CronJob gets a pod (or the CronJob is
deleted). The run's ``alert_runs`` row is written when the Job fails (:mod:`alert_operator.jobs`).

Why not the ``FailedCreate`` Events themselves: reading them takes ``list``/``watch`` on every
Event of the namespace (RBAC cannot narrow it to one reason or to our Jobs), a stream with
several Events per run at 10,000 CronJobs; the Job's status costs nothing more.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from alert_core.settings import Settings
from alert_operator.events import EventRecorder
from alert_operator.jobs import JobRef, ended_condition, has_had_a_pod, managed_job
from alert_operator.metrics import RUNS_NOT_STARTED
from alert_operator.state import OperatorState

log = logging.getLogger(__name__)

RUN_NOT_STARTED_REASON = "RunNotStarted"
CHECK_EVERY_SECONDS = 5.0


@dataclass(frozen=True)
class WaitingJob:
    ref: JobRef
    since: datetime  # its creationTimestamp (when it was first seen, if it has none)
    service_account: str | None  # the pod template's


def _created(job: Mapping[str, Any], now: datetime) -> datetime:
    metadata = job.get("metadata")
    value = metadata.get("creationTimestamp") if isinstance(metadata, Mapping) else None
    try:
        created = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        created = None
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return now if created is None or created > now else created  # a skewed clock: from now


def _service_account(job: Mapping[str, Any]) -> str | None:
    pod_spec: Any = job
    for key in ("spec", "template", "spec"):
        pod_spec = pod_spec.get(key) if isinstance(pod_spec, Mapping) else None
    name = pod_spec.get("serviceAccountName") if isinstance(pod_spec, Mapping) else None
    return name if isinstance(name, str) and name else None


def _suspended(job: Mapping[str, Any]) -> bool:
    spec = job.get("spec")
    return isinstance(spec, Mapping) and spec.get("suspend") is True  # no pod, on purpose


class UnstartedRuns:
    """Call :meth:`note` for every watch event of a managed Job, and run :meth:`run`."""

    def __init__(
        self,
        settings: Settings,
        state: OperatorState,
        events: EventRecorder | None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        remember: int = 10_000,
    ) -> None:
        self._settings = settings
        self._state = state
        self._events = events
        self._clock = clock
        self._remember = remember
        self._waiting: OrderedDict[str, WaitingJob] = OrderedDict()  # Job key -> it
        self._reported: OrderedDict[str, None] = OrderedDict()

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self._settings.run_start_grace_seconds)

    def note(self, event_type: str | None, job: Mapping[str, Any]) -> None:
        ref = managed_job(job)
        if ref is None:
            return
        if has_had_a_pod(ref.status):  # it started: whatever kept its CronJob's runs back is gone
            self._state.runs_not_started.pop(ref.cronjob_name, None)
        if (event_type == "DELETED" or has_had_a_pod(ref.status) or _suspended(job)
                or ended_condition(ref.status) is not None):
            self._waiting.pop(ref.key, None)
            return
        if ref.key not in self._waiting and ref.key not in self._reported:
            self._waiting[ref.key] = WaitingJob(ref, _created(job, self._clock()),
                                                _service_account(job))
            while len(self._waiting) > self._remember:
                self._waiting.popitem(last=False)

    def forget_cronjob(self, name: str) -> None:
        """The CronJob is gone: so is its problem."""
        self._state.runs_not_started.pop(name, None)

    async def run(self) -> None:
        """Forever: :meth:`check` every few seconds (the operator runs this as a task)."""
        every = min(CHECK_EVERY_SECONDS, max(0.5, self._settings.run_start_grace_seconds / 4))
        while True:
            await asyncio.sleep(every)
            await self.check()

    async def check(self) -> None:
        """Report each Job that has waited for its pod longer than the grace period."""
        deadline = self._clock() - self.grace
        due = [job for job in self._waiting.values() if job.since <= deadline]
        for job in due:
            del self._waiting[job.ref.key]
            self._reported[job.ref.key] = None
            while len(self._reported) > self._remember:
                self._reported.popitem(last=False)
            await self._report(job)

    async def _report(self, job: WaitingJob) -> None:
        ref = job.ref
        cause = self.cause(job)
        RUNS_NOT_STARTED.inc()
        log.warning("run cannot start: %s", cause,
                    extra=ref.log_fields(reason=RUN_NOT_STARTED_REASON))
        problems = self._state.runs_not_started
        problems.pop(ref.cronjob_name, None)  # the newest last
        problems[ref.cronjob_name] = cause
        while len(problems) > self._remember:
            del problems[next(iter(problems))]
        if self._events is not None:
            await self._events.record(ref.cronjob_name, ref.alert_id, "Warning",
                                      RUN_NOT_STARTED_REASON, cause, uid=ref.cronjob_uid)

    def cause(self, job: WaitingJob) -> str:
        account = job.service_account or "default"
        return (
            f"Job {job.ref.job_name} has no pod {self._settings.run_start_grace_seconds:g} s"
            f" after it was created: the Job controller cannot create it. Most often the"
            f" ServiceAccount {account!r} is missing in namespace {self._settings.namespace!r}"
            f" (else a ResourceQuota or an admission webhook); `kubectl describe job"
            f" {job.ref.job_name}` shows the FailedCreate events"
        )
