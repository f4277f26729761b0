"""``alert-operator run``: the kopf operator, or (dry-run, no cluster) the reconciler alone.

Kubernetes credentials as kubectl finds them (alert_operator.login, the ``kubernetes`` client's
configuration loading): ``--kubeconfig`` / ``KUBECONFIG`` / ``~/.kube/config`` (``--context`` or
the current context), else the pod's service account. kopf runs standalone (no peering
objects), watches one namespace, and never scans the cluster (the operator may only have rights
in its namespace).
SIGTERM/SIGINT: stop listening, finish the writes in flight, exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import threading
from typing import Any, NoReturn

import kopf

from alert_core.cronjob import MANAGED_SELECTOR
from alert_core.settings import Settings, SettingsError, load_settings
from alert_core.version import VersionAction
from alert_operator.clustercheck import cluster_problem, wait_until_usable
from alert_operator.handlers import Runtime, build_registry
from alert_operator.kube import LIST_PAGE_SIZE
from alert_operator.login import KubeLogin
from alert_operator.logs import setup_logging
from alert_operator.shadow import ShadowCluster
from alert_operator.state import OperatorState

log = logging.getLogger("alert_operator")

EXIT_USAGE = 2
WORKER_IDLE_SECONDS = 0.5


class NoDiffBase(kopf.DiffBaseStorage):
    """No "essence" of a watched object: kopf builds one per watch event (a deep copy of the
    body, then another deep copy to strip its progress keys, then a diff) for on.create,
    on.update and on.delete handlers, which the operator has none of (only on.event: the
    reconciler compares digests itself). A quarter of kopf's CPU per event (BENCHMARKS.md)."""

    def build(self, *, body: Any, extra_fields: Any = None) -> Any:
        return {}

    def fetch(self, *, body: Any) -> Any:
        return None

    def store(self, *, body: Any, patch: Any, essence: Any) -> None:
        return None


def kopf_settings(settings: Settings) -> kopf.OperatorSettings:
    config = kopf.OperatorSettings()
    config.peering.standalone = True
    config.scanning.disabled = True  # no cluster-wide namespace/CRD listing: namespaced rights
    config.posting.level = logging.WARNING  # kopf's own Events only for real problems
    config.watching.server_timeout = 300
    config.watching.client_timeout = 330
    config.watching.connect_timeout = 10
    # Server-side filtering of the Jobs; our handler checks the label again (a server may
    # ignore it). kopf watches no CronJobs: the operator has its own watch (cronjob_watch.py).
    config.watching.label_selectors["batch", "v1", "jobs"] = MANAGED_SELECTOR
    config.process.ultimate_exiting_timeout = 30  # within the pod's termination grace period
    # Memory (BENCHMARKS.md): kopf's initial listing of the Jobs in pages like ours, not one
    # response of every body; and a per-object worker, which keeps its last event's body while
    # it idles, exits soon after our handler (which returns at once) is done.
    config.watching.chunk_size = LIST_PAGE_SIZE
    config.queueing.idle_timeout = WORKER_IDLE_SECONDS
    config.persistence.diffbase_storage = NoDiffBase()
    return config


async def operate(
    settings: Settings,
    *,
    state: OperatorState | None = None,
    stop_flag: Any = None,
    ready_flag: Any = None,
    kube_login: KubeLogin | None = None,
    usable: bool = False,
) -> None:
    """Run the kopf operator until ``stop_flag`` (or a signal, in the main thread).

    It starts once the cluster accepts our credentials (until then: one line per try, and
    retries; ``usable``: the caller has just seen it accept them); when kopf gives up on
    credentials the cluster keeps refusing, it waits again."""
    kube_login = kube_login or KubeLogin()
    state = state or OperatorState(dry_run=settings.dry_run)

    def stopped() -> bool:
        return bool(stop_flag is not None and stop_flag.is_set())

    while usable or await wait_until_usable(kube_login, settings.namespace, stopped):
        usable = False
        try:
            await _operate_once(settings, state, stop_flag, ready_flag, kube_login)
            return
        except kopf.LoginError:
            log.error("the cluster refused our credentials (%s) after logging in again; "
                      "waiting until it accepts them", kube_login.describe())


async def _operate_once(
    settings: Settings, state: OperatorState, stop_flag: Any, ready_flag: Any,
    kube_login: KubeLogin,
) -> None:
    runtime = Runtime(settings, state, kube_login=kube_login)
    await _start_status(runtime)
    try:
        await kopf.operator(
            registry=build_registry(),
            settings=kopf_settings(settings),
            standalone=True,
            clusterwide=False,
            namespaces=[settings.namespace],
            # None: our status server answers the liveness probe on liveness_port (kopf's
            # endpoint retries a failing probe handler before answering: the probe times out).
            liveness_endpoint=None,
            stop_flag=stop_flag,
            ready_flag=ready_flag,
            memo=kopf.Memo(runtime=runtime),
        )
    finally:
        if runtime.status_server is not None:  # kopf's cleanup stops it too; twice is harmless
            await runtime.status_server.stop()


class StartupError(RuntimeError):
    """The operator cannot start at all (retrying would not help); the message says why."""


async def _start_status(runtime: Runtime) -> None:
    # Before kopf starts: a failed kopf startup handler does not end kopf's operator.
    try:
        await runtime.start_status()
    except OSError as error:  # status.PortError names the port
        raise StartupError(f"cannot serve /status, /metrics and /healthz on "
                           f"{error.strerror}") from error
    assert runtime.status_server is not None
    log.info("%s", where_to_look(runtime.settings, runtime.status_server.port))


def where_to_look(settings: Settings, port: int) -> str:
    """The start-up line that tells a newcomer where the operator shows what it does."""
    local = f"http://localhost:{port}"
    return (f"where to look: `alertctl status -n {settings.namespace}` (every alert and its "
            f"CronJob), {local}/status (this operator's view, JSON), {local}/metrics "
            "(Prometheus); in a cluster: kubectl port-forward deploy/alert-operator "
            f"{port}:{port}")


async def _wait(stop: asyncio.Event, stop_flag: threading.Event | None) -> None:
    while not stop.is_set():
        if stop_flag is not None and stop_flag.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.2)


async def operate_without_cluster(
    settings: Settings, state: OperatorState, stop_flag: threading.Event | None = None
) -> None:
    """Dry-run with no cluster: plan against a shadow of the cluster (empty at first, then
    what was "applied") and log every action it would take."""
    log.info("no Kubernetes cluster: dry-run in namespace %s against a shadow of the cluster "
             "(in memory: what would have been applied)", settings.namespace)
    runtime = Runtime(settings, state)
    stop = asyncio.Event()
    if threading.current_thread() is threading.main_thread():
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    await _start_status(runtime)
    runtime.start(ShadowCluster())
    try:
        await _wait(stop, stop_flag)
    finally:
        await runtime.stop()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"alert-operator: error: {message} (see --help)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="alert-operator",
        description="Reconcile the alerts table into one CronJob per alert (the kopf operator),"
        " or, in dry-run without a cluster, log what it would do.",
    )
    parser.add_argument("--version", action=VersionAction)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the operator")
    run.add_argument("--namespace", "-n", help="namespace of the CronJobs [env: ALERT_NAMESPACE]")
    run.add_argument("--database-url", help="PostgreSQL URL [env: DATABASE_URL]")
    run.add_argument("--dry-run", action="store_true", default=None,
                     help="write nothing; log every action it would take [env: ALERT_DRY_RUN]")
    run.add_argument("--confirm-mass-delete", action="store_true", default=None,
                     help="let one sync delete more than the mass-delete bound"
                     " [env: ALERT_CONFIRM_MASS_DELETE]")
    run.add_argument("--resync-interval", type=float, dest="resync_interval_seconds",
                     help="seconds between full syncs [env: ALERT_RESYNC_INTERVAL_SECONDS; 300]")
    run.add_argument("--max-concurrency", type=int,
                     help="API writes in flight [env: ALERT_MAX_CONCURRENCY; 16]")
    run.add_argument("--liveness-port", type=int,
                     help="the liveness probe's /healthz port [env: ALERT_LIVENESS_PORT; 8080]")
    run.add_argument("--status-port", type=int,
                     help="/status and /metrics port [env: ALERT_STATUS_PORT; 9090]")
    run.add_argument("--log-format", choices=("auto", "json", "text"),
                     help="log lines: json in clusters, text on a terminal"
                     " [env: ALERT_LOG_FORMAT; auto]")
    run.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                     help="the least severe log level shown [env: ALERT_LOG_LEVEL; INFO]")
    run.add_argument("--kubeconfig", help="kubeconfig file(s) as kubectl's (':'-joined) "
                     "[env: KUBECONFIG; else ~/.kube/config; else the pod's service account]")
    run.add_argument("--context", help="the kubeconfig context to use [its current-context]")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    kube_login = KubeLogin(args.kubeconfig, args.context)
    overrides = {key: value for key, value in vars(args).items()
                 if key not in {"command", "kubeconfig", "context"}}
    try:
        settings = load_settings(**overrides)
        settings.require_database_url()
    except SettingsError as error:
        print(f"alert-operator: error: {error}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    setup_logging(settings)
    wrong_context = kube_login.context_problem()
    if wrong_context is not None:
        print(f"alert-operator: error: {wrong_context}", file=sys.stderr)
        sys.exit(1)
    problem = asyncio.run(cluster_problem(kube_login, settings.namespace))
    if problem is not None and settings.dry_run:
        log.info("no usable Kubernetes cluster: %s", problem)
    elif problem is not None and not kube_login.configured():
        print(f"alert-operator: error: {problem}; use --dry-run to try it without a cluster",
              file=sys.stderr)
        sys.exit(1)
    try:
        if problem is None or not settings.dry_run:
            # problem None: checked a moment ago (a second check cost a login and a request)
            asyncio.run(operate(settings, kube_login=kube_login, usable=problem is None))
        else:
            asyncio.run(operate_without_cluster(settings, OperatorState(dry_run=True)))
    except StartupError as error:
        print(f"alert-operator: error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
