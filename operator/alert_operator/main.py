"""``alert-operator run``: the kopf operator, or (dry-run, no cluster) the reconciler alone.

Kubernetes credentials as kopf finds them: the pod's service account, else ``KUBECONFIG`` /
``~/.kube/config`` (current context). kopf runs standalone (no peering objects), watches one
namespace, and never scans the cluster (the operator may only have rights in its namespace).
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

import aiohttp
import kopf

from alert_core.cronjob import MANAGED_SELECTOR
from alert_core.settings import Settings, SettingsError, load_settings
from alert_operator.handlers import Runtime, build_registry
from alert_operator.kube import LIST_PAGE_SIZE, EmptyCluster
from alert_operator.logs import setup_logging
from alert_operator.state import OperatorState

log = logging.getLogger("alert_operator")

EXIT_USAGE = 2
WORKER_IDLE_SECONDS = 0.5
CLUSTER_CHECK_TIMEOUT_SECONDS = 5.0


def kopf_settings(settings: Settings) -> kopf.OperatorSettings:
    config = kopf.OperatorSettings()
    config.peering.standalone = True
    config.scanning.disabled = True  # no cluster-wide namespace/CRD listing: namespaced rights
    config.posting.level = logging.WARNING  # kopf's own Events only for real problems
    config.watching.server_timeout = 300
    config.watching.client_timeout = 330
    config.watching.connect_timeout = 10
    # Server-side filtering; our handlers check the label again (a server may ignore it).
    config.watching.label_selectors["batch", "v1", "cronjobs"] = MANAGED_SELECTOR
    config.watching.label_selectors["batch", "v1", "jobs"] = MANAGED_SELECTOR
    config.process.ultimate_exiting_timeout = 30  # within the pod's termination grace period
    # Memory at 10,000 CronJobs (BENCHMARKS.md): kopf's initial listing in pages like ours,
    # not one response of 10,000 bodies; and a per-object worker, which keeps its last event's
    # body while it idles, exits soon after our handler (which returns at once) is done.
    config.watching.chunk_size = LIST_PAGE_SIZE
    config.queueing.idle_timeout = WORKER_IDLE_SECONDS
    return config


async def operate(
    settings: Settings,
    *,
    state: OperatorState | None = None,
    stop_flag: Any = None,
    ready_flag: Any = None,
) -> None:
    """Run the kopf operator until ``stop_flag`` (or a signal, in the main thread)."""
    runtime = Runtime(settings, state or OperatorState(dry_run=settings.dry_run))
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


async def _wait(stop: asyncio.Event, stop_flag: threading.Event | None) -> None:
    while not stop.is_set():
        if stop_flag is not None and stop_flag.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.2)


async def operate_without_cluster(
    settings: Settings, state: OperatorState, stop_flag: threading.Event | None = None
) -> None:
    """Dry-run with no cluster: plan against an empty cluster and log what would be done."""
    log.info("no Kubernetes cluster: dry-run against an empty cluster in namespace %s",
             settings.namespace)
    runtime = Runtime(settings, state)
    stop = asyncio.Event()
    if threading.current_thread() is threading.main_thread():
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    await _start_status(runtime)
    runtime.start(EmptyCluster())
    try:
        await _wait(stop, stop_flag)
    finally:
        await runtime.stop()


def _credentials() -> Any:
    config = kopf.OperatorSettings()
    try:
        return kopf.login_with_service_account(settings=config) or kopf.login_with_kubeconfig(
            settings=config
        )
    except Exception:  # a broken kubeconfig counts as no cluster
        return None


async def cluster_reachable() -> bool:
    connection = _credentials()
    if connection is None:
        return False
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=connection.as_ssl_context()),
            headers=connection.as_http_headers(),
            timeout=aiohttp.ClientTimeout(total=CLUSTER_CHECK_TIMEOUT_SECONDS),
        ) as session, session.get(str(connection.server).rstrip("/") + "/version") as answer:
            return answer.status < 500
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
        return False


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"alert-operator: error: {message} (see --help)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="alert-operator", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the operator")
    run.add_argument("--namespace", "-n", help="namespace of the CronJobs [ALERT_NAMESPACE]")
    run.add_argument("--database-url", help="PostgreSQL URL [DATABASE_URL]")
    run.add_argument("--dry-run", action="store_true", default=None,
                     help="write nothing; log every action it would take [ALERT_DRY_RUN]")
    run.add_argument("--confirm-mass-delete", action="store_true", default=None,
                     help="let one sync delete more than the mass-delete bound")
    run.add_argument("--resync-interval", type=float, dest="resync_interval_seconds",
                     help="seconds between full syncs [ALERT_RESYNC_INTERVAL_SECONDS, 300]")
    run.add_argument("--max-concurrency", type=int, help="API writes in flight [16]")
    run.add_argument("--liveness-port", type=int, help="the liveness probe's /healthz port [8080]")
    run.add_argument("--status-port", type=int, help="/status and /metrics port [9090]")
    run.add_argument("--log-format", choices=("auto", "json", "text"),
                     help="log lines: json in clusters, text on a terminal [auto]")
    run.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    overrides = {key: value for key, value in vars(args).items() if key != "command"}
    try:
        settings = load_settings(**overrides)
        settings.require_database_url()
    except SettingsError as error:
        print(f"alert-operator: error: {error}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    setup_logging(settings)
    has_cluster = asyncio.run(cluster_reachable())
    if not has_cluster and not settings.dry_run:
        print("alert-operator: error: no Kubernetes cluster reachable (no service account, no "
              "usable kubeconfig context); use --dry-run to try it without one", file=sys.stderr)
        sys.exit(1)
    try:
        if has_cluster:
            asyncio.run(operate(settings))
        else:
            asyncio.run(operate_without_cluster(settings, OperatorState(dry_run=True)))
    except StartupError as error:
        print(f"alert-operator: error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
