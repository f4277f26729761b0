"""``alertctl run-now``: start an alert's run now, as ``kubectl create job --from=cronjob/...``.

The Job is built by ``alert_operator.manual_job``. ``--wait`` follows the run's row in
``alert_runs`` (and the Job, for a Job that fails before its pod could record anything) until it
is final.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.cronjob import cronjob_name
from alert_core.db.alerts import AlertRow, get_alert
from alert_core.db.engine import make_engine
from alert_core.db.history import RunRecord, run_by_job_name
from alert_core.db.pauses import load_pauses
from alert_core.settings import Settings
from alert_ctl.alert_ids import parse_alert_ref, resolve_alert_ref
from alert_ctl.cluster import (
    ClusterUnavailableError,
    CtlKubeApi,
    connect,
    describe_cluster_error,
)
from alert_ctl.common import (
    EXIT_FAILURE,
    ContextOption,
    DatabaseUrlOption,
    KubeconfigOption,
    NamespaceOption,
    fail,
    run_async,
    settings_from,
)
from alert_ctl.dbaccess import UnknownAlertsError, with_connection
from alert_ctl.formatting import (
    Format,
    FormatOption,
    NoHeadersOption,
    human_duration,
    note,
    print_document,
    print_names,
    say,
)
from alert_ctl.history_cmd import run_document
from alert_ctl.run_progress import WaitProgress, job_phase, pod_phase
from alert_operator.kube import ApiError, is_managed
from alert_operator.login import KubeLogin
from alert_operator.manual_job import ManualJobError, job_from_cronjob, manual_job_name

POLL_SECONDS = 1.0


class RunNowError(RuntimeError):
    """One line for the user (exit 1)."""


@dataclass
class Started:
    job_name: str
    cronjob: str
    run: RunRecord | None = None
    job_failure: str | None = None  # the Job failed without a final run row
    timed_out: bool = False


def _job_failure(job: dict[str, Any] | None) -> str | None:
    if job is None:
        return None
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Failed" and condition.get("status") == "True":
            return f"{condition.get('reason') or 'Failed'}: {condition.get('message') or ''}"
    return None


async def _phase(
    settings: Settings, api: CtlKubeApi, job_name: str, job: dict[str, Any] | None
) -> str:
    """The pod's phase for the progress line; the Job's counters where pods may not be read."""
    try:
        return pod_phase(await api.list_job_pods(settings.namespace, job_name))
    except ApiError:
        return job_phase(job)


async def _wait(
    settings: Settings, api: CtlKubeApi, started: Started, wait_seconds: float
) -> None:
    deadline = time.monotonic() + wait_seconds
    engine = make_engine(settings, pool_size=1)
    progress = WaitProgress(started.job_name)
    try:
        while True:
            async with engine.connect() as conn:
                started.run = await run_by_job_name(conn, settings, started.job_name)
            if started.run is not None and started.run.status in ("succeeded", "skipped"):
                return
            # "failed" is final only when the Job gives up (a retry may still succeed).
            job = await api.get_job(settings.namespace, started.job_name)
            if progress.enabled:
                progress.update(await _phase(settings, api, started.job_name, job),
                                None if started.run is None else started.run.status)
            failure = _job_failure(job)
            if failure is not None:
                if started.run is None or started.run.status != "failed":
                    started.job_failure = failure
                return
            if time.monotonic() > deadline:
                started.timed_out = True
                return
            await asyncio.sleep(POLL_SECONDS)
    finally:
        progress.done()
        await engine.dispose()


async def start_run(
    settings: Settings, alert: AlertRow, *, wait: bool, wait_seconds: float,
    kube_login: KubeLogin | None = None,
) -> Started:
    name = cronjob_name(alert.id)
    async with connect(kube_login) as api:
        cronjob = await api.get_cronjob(settings.namespace, name)
        if cronjob is None:
            raise RunNowError(f"no CronJob {name} in namespace {settings.namespace}"
                              " (run `alertctl sync`, or check --namespace)")
        if not is_managed(cronjob):
            raise RunNowError(f"CronJob {name} is not managed by alert-operator: not touched")
        job_name = manual_job_name(name)
        try:
            job = job_from_cronjob(cronjob, job_name)
        except ManualJobError as error:
            raise RunNowError(str(error)) from None
        await api.create_job(settings.namespace, job)
        started = Started(job_name, name)
        if wait:
            await _wait(settings, api, started, wait_seconds)
        return started


def _document(started: Started, settings: Settings) -> dict[str, Any]:
    """The JSON output (schema: alert_ctl.schemas.RUN_NOW)."""
    return {
        "namespace": settings.namespace,
        "cronjob": started.cronjob,
        "job_name": started.job_name,
        "logs_command": f"kubectl logs -n {settings.namespace} job/{started.job_name} -f",
        "run": None if started.run is None else run_document(started.run),
        "job_failure": started.job_failure,
        "timed_out": started.timed_out,
    }


def _outcome(document: dict[str, Any]) -> tuple[str, bool]:
    run = document["run"]
    if document["timed_out"]:
        state = "no run recorded yet" if run is None else f"still {run['status']}"
        return f"timed out waiting ({state})", False
    if document["job_failure"] is not None:
        return f"the Job failed before the run was recorded: {document['job_failure']}", False
    assert run is not None
    duration = run["duration_seconds"]
    text = f"run {run['status']} after {run['attempts']} attempt(s)"
    if duration is not None:
        text += f" in {human_duration(timedelta(seconds=duration))}"
    if run["error"]:
        text += f": {run['error']}"
    return text, run["status"] == "succeeded"


def run_now(
    alert_id: Annotated[
        str, typer.Argument(metavar="ALERT_ID", help="the alert (UUID or a unique prefix)")
    ],
    wait: Annotated[bool, typer.Option("--wait", help="wait for the run's outcome")] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="seconds --wait waits at most")
    ] = 900.0,
    output: FormatOption = Format.table,
    no_headers: NoHeadersOption = False,  # taken as everywhere; run-now prints no header line
    database_url: DatabaseUrlOption = None,
    namespace: NamespaceOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """Start the alert's run now from its CronJob (a manual Job) and say how to follow it."""
    settings = settings_from(database_url=database_url, namespace=namespace)
    ref = parse_alert_ref(alert_id)

    async def read(conn: AsyncConnection) -> tuple[AlertRow, bool]:
        wanted = await resolve_alert_ref(conn, settings, ref)
        alert = await get_alert(conn, settings, wanted)
        if alert is None:
            raise UnknownAlertsError([wanted])
        return alert, (await load_pauses(conn, settings)).is_paused(alert.id)

    alert, paused = with_connection(settings, read)
    if paused or not alert.is_active:
        note("the alert is " + ("paused" if paused else "inactive")
             + ": its schedule is suspended, but this manual run goes ahead")
    try:
        kube_login = KubeLogin(kubeconfig, context)
        started = run_async(lambda: start_run(settings, alert, wait=wait, wait_seconds=timeout,
                                              kube_login=kube_login))
    except RunNowError as error:
        fail(str(error), EXIT_FAILURE)
    except ClusterUnavailableError as error:
        fail(str(error), EXIT_FAILURE)
    except ApiError as error:
        fail(describe_cluster_error(error), EXIT_FAILURE)
    document = _document(started, settings)
    outcome, ok = _outcome(document) if wait else ("", True)
    if output is Format.name:
        print_names([f"job.batch/{started.job_name}"])
    elif output.is_table:
        say(f"job.batch/{started.job_name} created")
        say(f"follow it: {document['logs_command']}")
        if wait:
            say(outcome)
    else:
        print_document(document, output)
    if not ok:
        raise typer.Exit(EXIT_FAILURE)
