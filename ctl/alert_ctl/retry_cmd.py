"""Failed runs as a dead-letter queue: ``alertctl history --failed`` lists them across alerts,
``alertctl retry RUN_ID`` re-runs one.

A retry is a manual Job from the alert's CronJob (:mod:`alert_operator.retry_job`) whose runner
claims the failed run's own ``alert_runs`` row (:mod:`alert_core.db.retry`): the run keeps its
id (the executors' idempotency key), Job name and scheduled time, and ``alertctl history`` shows
its new outcome in place of the failure.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db.alerts import alert_names
from alert_core.db.engine import make_engine
from alert_core.db.history import RunRecord, failed_runs
from alert_core.db.retry import NotRetryableError, RetryTarget, claim_retry, release_retry
from alert_core.settings import Settings
from alert_ctl.cluster import ClusterUnavailableError, connect, describe_cluster_error
from alert_ctl.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    ContextOption,
    DatabaseUrlOption,
    KubeconfigOption,
    NamespaceOption,
    describe_database_error,
    fail,
    run_async,
    settings_from,
)
from alert_ctl.dbaccess import parse_alert_id, require_database, with_connection
from alert_ctl.formatting import (
    Format,
    FormatOption,
    iso,
    print_document,
    print_table,
    say,
    short_time,
)
from alert_operator.kube import ApiError, is_managed
from alert_operator.login import KubeLogin
from alert_operator.manual_job import ManualJobError
from alert_operator.retry_job import retry_job_from_cronjob

FAILED_HEADERS = ("RUN", "ALERT", "NAME", "WHEN", "TRIGGER", "ATTEMPTS", "RETRIED BY", "ERROR")
MAX_ERROR_CELL = 100
MAX_NAME_CELL = 40
_DURATION = re.compile(r"(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,8})s)?")


def parse_since(text: str) -> timedelta:
    """``90s``, ``15m``, ``24h``, ``7d``, ``1h30m``: a positive duration, else exit 2."""
    found = _DURATION.fullmatch(text.strip())
    if not text.strip() or found is None or not any(found.groups()):
        fail(f"--since {text[:40]!r}: not a duration (e.g. 30m, 24h, 7d, 1h30m)", EXIT_USAGE)
    days, hours, minutes, secs = (int(part or 0) for part in found.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=secs)
    if not duration:
        fail(f"--since {text[:40]!r}: must be longer than 0", EXIT_USAGE)
    return duration


def failed_document(run: RunRecord, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    """One failed run as in the JSON output (schema: alert_ctl.schemas.FAILED_RUN)."""
    return {
        "run_id": str(run.run_id),
        "alert_id": str(run.alert_id),
        "alert_name": names.get(run.alert_id),
        "job_name": run.job_name,
        "trigger": run.trigger,
        "scheduled_for": iso(run.scheduled_for),
        "attempts": run.attempts,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "error": run.error,
        "retry_job_name": run.retry_job_name,
    }


def show_failed(
    settings: Settings, *, alert: str | None, since: str | None, client: str | None,
    limit: int, output: Format,
) -> None:
    """``alertctl history --failed``: the failed runs, newest first."""
    alert_id = None if alert is None else parse_alert_id(alert)
    client_id = None if client is None else parse_alert_id(client, "client id")
    after = None if since is None else datetime.now(UTC) - parse_since(since)

    async def work(conn: AsyncConnection) -> tuple[list[RunRecord], dict[uuid.UUID, str]]:
        runs = await failed_runs(conn, settings, since=after, client_id=client_id,
                                 alert_id=alert_id, limit=limit)
        return runs, await alert_names(conn, settings, (run.alert_id for run in runs))

    runs, names = with_connection(settings, work)
    if output is not Format.table:
        print_document({"since": iso(after), "client_id": None if client_id is None
                        else str(client_id), "runs": [failed_document(r, names) for r in runs]},
                       output)
        return
    if not runs:
        say("no failed runs" + ("" if since is None else f" in the last {since}"))
        return
    print_table(FAILED_HEADERS, [_failed_row(run, names) for run in runs])


def _failed_row(run: RunRecord, names: dict[uuid.UUID, str]) -> list[object]:
    name = names.get(run.alert_id, "(deleted alert)")[:MAX_NAME_CELL]
    error = None if run.error is None else run.error[:MAX_ERROR_CELL]
    return [run.run_id, run.alert_id, name, short_time(run.moment), run.trigger, run.attempts,
            run.retry_job_name, error]


class RetryError(RuntimeError):
    """One line for the user (exit 1); the run is not reserved any more."""


@dataclass(frozen=True)
class Retried:
    target: RetryTarget
    namespace: str

    @property
    def logs_command(self) -> str:
        return f"kubectl logs -n {self.namespace} job/{self.target.retry_job_name} -f"


async def _reserve(settings: Settings, run_id: uuid.UUID) -> RetryTarget:
    engine = make_engine(settings, pool_size=1)
    try:
        async with engine.begin() as conn:  # committed before the Job exists
            return await claim_retry(conn, settings, run_id)
    finally:
        await engine.dispose()


async def _release(settings: Settings, target: RetryTarget) -> None:
    engine = make_engine(settings, pool_size=1)
    try:
        async with engine.begin() as conn:
            await release_retry(conn, settings, target)
    finally:
        await engine.dispose()


async def _create_job(settings: Settings, target: RetryTarget, kube_login: KubeLogin) -> None:
    namespace, name = settings.namespace, target.cronjob
    async with connect(kube_login) as api:
        cronjob = await api.get_cronjob(namespace, name)
        if cronjob is None:
            raise RetryError(f"no CronJob {name} in namespace {namespace} (alert deleted? "
                             "check --namespace)")
        if not is_managed(cronjob):
            raise RetryError(f"CronJob {name} is not managed by alert-operator: not touched")
        try:
            job = retry_job_from_cronjob(cronjob, target.retry_job_name, target)
        except ManualJobError as error:
            raise RetryError(str(error)) from None
        await api.create_job(namespace, job)


async def start_retry(settings: Settings, run_id: uuid.UUID, kube_login: KubeLogin) -> Retried:
    """Reserve the run, then create its retry Job; if the Job cannot be created, the run is
    released again (and the error raised)."""
    target = await _reserve(settings, run_id)
    try:
        await _create_job(settings, target, kube_login)
    except (RetryError, ClusterUnavailableError, ApiError, OSError):
        await _release(settings, target)
        raise
    return Retried(target, settings.namespace)


def _document(retried: Retried) -> dict[str, Any]:
    """The JSON output (schema: alert_ctl.schemas.RETRY)."""
    target = retried.target
    return {
        "namespace": retried.namespace,
        "run_id": str(target.run_id),
        "alert_id": str(target.alert_id),
        "job_name": target.job_name,
        "scheduled_for": iso(target.scheduled_for),
        "cronjob": target.cronjob,
        "retry_job_name": target.retry_job_name,
        "logs_command": retried.logs_command,
    }


def retry(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID",
                                          help="the failed run (see `history --failed`)")],
    output: FormatOption = Format.table,
    database_url: DatabaseUrlOption = None,
    namespace: NamespaceOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """Re-run a failed run as a manual Job that claims the same run (its id, scheduled time
    and idempotency key); `history` then shows its new outcome."""
    settings = settings_from(database_url=database_url, namespace=namespace)
    wanted = parse_alert_id(run_id, "run id")
    kube_login = KubeLogin(kubeconfig, context)
    require_database(settings)
    try:
        retried = run_async(lambda: start_retry(settings, wanted, kube_login))
    except (NotRetryableError, RetryError, ClusterUnavailableError) as error:
        fail(str(error), EXIT_FAILURE)
    except ApiError as error:
        fail(describe_cluster_error(error), EXIT_FAILURE)
    except (OSError, SQLAlchemyError) as error:
        fail(describe_database_error(error), EXIT_FAILURE)
    if output is not Format.table:
        print_document(_document(retried), output)
        return
    target = retried.target
    when = f", scheduled {short_time(target.scheduled_for)}" if target.scheduled_for else ""
    say(f"job.batch/{target.retry_job_name} created: retrying run {target.run_id} "
        f"(Job {target.job_name}{when}, {target.attempts} attempt(s) so far)")
    say(f"follow it: {retried.logs_command}")
    say(f"its outcome: alertctl history {target.alert_id}")
