"""Job outcomes -> ``alert_runs``: record the runs whose runner could not.

The runner records its own runs. But a pod killed for memory, an image that cannot be pulled,
a node that disappears or a Job that hits its deadline never reach the runner's last line: the
row stays ``running`` or does not exist at all. When a managed Job ends ``Failed``, this writes
the failure and Kubernetes' reason into the run's row (keyed by the Job's name, like the
runner's), and posts a Warning Event on the CronJob. A ``succeeded`` or ``skipped`` row is final
and never changed; a ``failed`` row keeps the runner's own, more precise, error. A Job that
failed without ever having a pod (its pod could not be created: :mod:`alert_operator.unstarted`)
says so in the row's error.

Watch events repeat (every watch restart replays every Job): the write is idempotent, and
each Job is counted (metric, Event) once per process.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from alert_core.cronjob import (
    ALERT_ID_LABEL,
    CLIENT_ID_LABEL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    cronjob_name,
)
from alert_core.db.runs import clip_error
from alert_core.jobname import scheduled_time_from_job_name
from alert_core.settings import Settings
from alert_operator.events import EventRecorder
from alert_operator.logs import LogFields, alert_fields
from alert_operator.metrics import ALERT_FAILED_RUNS, MALFORMED_JOBS, RUNS
from alert_operator.overdue import OVERDUE
from alert_operator.retry_job import RETRY_OF_ANNOTATION

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

RUN_FAILED_REASON = "RunFailed"
MAX_ATTEMPTS = 2**31 - 1  # alert_runs.attempts is an integer column
POD_COUNTS = ("active", "ready", "terminating", "succeeded", "failed")
NO_POD = "no pod was ever created (the Job's FailedCreate events say why: kubectl describe job)"


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _mapping(parent: Mapping[str, Any], key: str, field: str) -> Mapping[str, Any]:
    """``parent[key]`` when it is a mapping; an empty one (counted) when it is anything else."""
    value = parent.get(key)
    if value is None or isinstance(value, Mapping):
        return value or {}
    MALFORMED_JOBS.labels(field=field).inc()
    return {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _attempts(status: Mapping[str, Any]) -> int:
    """``status.failed`` (failed pods); 0, counted, when it is not a plausible count."""
    value = status.get("failed")
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ATTEMPTS:
        return value
    MALFORMED_JOBS.labels(field="status.failed").inc()
    return 0


def _owner(metadata: Mapping[str, Any]) -> tuple[str | None, str | None]:
    for ref in _list(metadata.get("ownerReferences")):
        if isinstance(ref, Mapping) and ref.get("kind") == "CronJob" and ref.get("name"):
            return str(ref["name"]), (str(ref["uid"]) if ref.get("uid") else None)
    return None, None


@dataclass(frozen=True)
class JobRef:
    """Which managed Job a watch event is about, and its status (an empty one if absent)."""

    key: str  # uid, else namespace/name: what makes a Job "already handled"
    job_name: str
    cronjob_name: str
    cronjob_uid: str | None
    alert_id: uuid.UUID
    client_id: uuid.UUID | None
    status: Mapping[str, Any]

    def log_fields(self, **more: object) -> LogFields:
        return alert_fields(self.alert_id, self.client_id, self.cronjob_name,
                            job_name=self.job_name, **more)


@dataclass(frozen=True)
class FinishedJob(JobRef):
    """What a finished managed Job says about its run."""

    failed: bool
    reason: str
    message: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    never_had_a_pod: bool = False  # failed before the Job controller could create any pod
    retry_of: str | None = None  # a retry Job's (alertctl retry): the run's own Job name

    def log_fields(self, **more: object) -> LogFields:
        return super().log_fields(reason=self.reason, **more)

    @property
    def error(self) -> str:
        error = f"{self.reason}: {self.message}" if self.message else self.reason
        if self.never_had_a_pod:
            error += f"; {NO_POD}"
        return clip_error(error)


def managed_job(job: Mapping[str, Any]) -> JobRef | None:
    """The managed Job ``job`` is, else None (not ours, or no usable alert id or name)."""
    metadata = _mapping(job, "metadata", "metadata")
    labels = _mapping(metadata, "labels", "labels")
    # The watch is filtered by label on the server; checked again here, as for CronJobs.
    if labels.get(MANAGED_BY_LABEL) != MANAGED_BY:
        return None
    alert_id = _uuid(labels.get(ALERT_ID_LABEL))
    name = metadata.get("name")
    if alert_id is None or not isinstance(name, str) or not name:
        return None
    owner_name, owner_uid = _owner(metadata)
    return JobRef(
        key=str(metadata.get("uid") or f"{metadata.get('namespace', '')}/{name}"),
        job_name=name, cronjob_name=owner_name or cronjob_name(alert_id), cronjob_uid=owner_uid,
        alert_id=alert_id, client_id=_uuid(labels.get(CLIENT_ID_LABEL)),
        status=_mapping(job, "status", "status"),
    )


def ended_condition(status: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The Job's ``Complete`` or ``Failed`` condition that holds, if it has ended."""
    for condition in _list(status.get("conditions")):
        if (isinstance(condition, Mapping) and condition.get("status") == "True"
                and condition.get("type") in ("Failed", "Complete")):
            return condition
    return None


def finished_job(job: Mapping[str, Any]) -> FinishedJob | None:
    """The outcome of a managed Job that has ended (``Complete`` or ``Failed``), else None."""
    ref = managed_job(job)
    ended = None if ref is None else ended_condition(ref.status)
    if ref is None or ended is None:
        return None
    status = ref.status
    failed = ended["type"] == "Failed"
    metadata = _mapping(job, "metadata", "metadata")
    retry_of = _mapping(metadata, "annotations", "annotations").get(RETRY_OF_ANNOTATION)
    return FinishedJob(
        **{field.name: getattr(ref, field.name) for field in fields(JobRef)},
        failed=failed,
        reason=str(ended.get("reason") or ("Failed" if failed else "Complete")),
        message=str(ended.get("message") or ""),
        attempts=_attempts(status),
        started_at=_time(status.get("startTime")),
        finished_at=_time(ended.get("lastTransitionTime")) or _time(status.get("completionTime")),
        never_had_a_pod=failed and not has_had_a_pod(status),
        retry_of=retry_of if isinstance(retry_of, str) and retry_of else None,
    )


def has_had_a_pod(status: Mapping[str, Any]) -> bool:
    """Whether the Job's status counts any pod, running or ended. A real API server leaves a
    zero count out; ``ready`` and ``terminating`` may be there as 0."""
    return any(_count(status.get(field)) for field in POD_COUNTS)


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


class JobOutcomeRecorder:
    """Call :meth:`handle` for every watch event of a managed Job; ``engine`` is called when
    the first ended Job is recorded (alert_core.db.engine.LazyEngine)."""

    def __init__(
        self,
        engine: Callable[[], AsyncEngine],
        settings: Settings,
        events: EventRecorder | None,
        *,
        remember: int = 10_000,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._events = events
        self._remember = remember
        self._handled: OrderedDict[str, None] = OrderedDict()
        self._started = datetime.now(UTC)

    async def handle(self, job: Mapping[str, Any]) -> None:
        info = finished_job(job)
        if info is None or info.key in self._handled:
            return
        # Imported at the first ended Job, with the engine: SQLAlchemy is not on the start-up path.
        from sqlalchemy.exc import SQLAlchemyError

        try:
            if info.retry_of is not None:
                retried = await self._retried_run(info)
                if retried is None:
                    return
                info = retried
            if info.failed:
                status, runner_wrote = await self._record_failure(info)
            else:
                status, runner_wrote = (await self._status(info.job_name) or "succeeded"), True
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            # Not marked handled: the next watch event of this Job (there is at least the
            # DELETED one when its TTL ends) tries again.
            log.warning("could not record the outcome of Job %s: %s", info.job_name,
                        f"{type(error).__name__}: {str(error).splitlines()[0][:300]}",
                        extra=info.log_fields())
            return
        self._mark_handled(info.key)
        RUNS.labels(outcome=status).inc()
        if status in ("succeeded", "skipped"):
            OVERDUE.ran(info.alert_id, info.finished_at or datetime.now(UTC))
        if status == "failed" and (info.finished_at or self._started) >= self._started:
            # Not the failures of the last day that a restart lists again: a rule alerting on
            # this counter's new series would page for each of them once more.
            ALERT_FAILED_RUNS.labels(alert_id=str(info.alert_id),
                                     client_id=str(info.client_id or "")).inc()
        if not info.failed:
            return
        if status != "failed":
            log.info("Job %s failed after its run was already %s; the run is kept as it is",
                     info.job_name, status, extra=info.log_fields())
            return
        log.warning("run failed: Job %s: %s%s", info.job_name, info.error,
                    "" if runner_wrote else " (the runner recorded nothing)",
                    extra=info.log_fields())
        if self._events is not None:
            await self._events.record(
                info.cronjob_name, info.alert_id, "Warning", RUN_FAILED_REASON,
                _event_message(info, runner_wrote), uid=info.cronjob_uid,
            )

    async def _retried_run(self, info: FinishedJob) -> FinishedJob | None:
        """A retry Job's outcome belongs to the run it retried (the row its pods claim), as
        long as no newer retry has taken that run over; None (and handled) when one has."""
        assert info.retry_of is not None
        from alert_core.db.history import run_by_job_name  # SQLAlchemy: see handle

        async with self._engine().connect() as conn:
            run = await run_by_job_name(conn, self._settings, info.retry_of)
        if run is None or run.alert_id != info.alert_id or run.retry_job_name != info.job_name:
            self._mark_handled(info.key)
            log.info("retry Job %s ended; its run %s is another retry's now: not recorded",
                     info.job_name, info.retry_of)
            return None
        return replace(info, job_name=info.retry_of)

    async def _record_failure(self, info: FinishedJob) -> tuple[str, bool]:
        """Upsert the failed run; its status afterwards and whether the runner had a row."""
        from alert_core.db.history import JobFailure, record_job_failure  # SQLAlchemy: see handle

        now = datetime.now(UTC)
        failure = JobFailure(
            alert_id=info.alert_id, client_id=info.client_id, job_name=info.job_name,
            scheduled_for=scheduled_time_from_job_name(info.job_name, info.cronjob_name),
            attempts=info.attempts, started_at=info.started_at,
            finished_at=info.finished_at or now, error=info.error,
        )
        async with self._engine().begin() as conn:
            return await record_job_failure(conn, self._settings, failure, now)

    async def _status(self, job_name: str) -> str | None:
        from alert_core.db.history import run_by_job_name  # SQLAlchemy: see handle

        async with self._engine().connect() as conn:
            run = await run_by_job_name(conn, self._settings, job_name)
        return None if run is None else run.status

    def _mark_handled(self, key: str) -> None:
        self._handled[key] = None
        while len(self._handled) > self._remember:
            self._handled.popitem(last=False)


def _event_message(info: FinishedJob, runner_wrote: bool) -> str:
    message = f"Job {info.job_name} failed: {info.error}"
    if not runner_wrote and not info.never_had_a_pod:
        message += (
            " (the runner recorded nothing: killed for memory, image not pulled, node lost,"
            " or deadline reached before it started?)"
        )
    return message
