"""Prometheus metrics of the operator, served on ``/metrics`` (see status.py)."""

from __future__ import annotations

import platform
from importlib.metadata import version

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

from alert_core.version import __version__

# A ``*_created`` series per counter and histogram doubles the series for a value no query uses.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream

REGISTRY = CollectorRegistry(auto_describe=True)
# The standard process_* (memory, CPU, open files) and python_* (GC, version) metrics.
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)

SYNCS = Counter(
    "alert_operator_syncs", "Reconciles run, by scope (full|alert) and result (ok|error|blocked)",
    ["scope", "result"], registry=REGISTRY,
)
SYNC_DURATION = Histogram(
    "alert_operator_sync_duration_seconds", "Wall time of a full sync", registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
ACTIONS = Counter(
    "alert_operator_actions", "CronJob actions applied (or logged in dry-run), by kind",
    ["kind", "dry_run"], registry=REGISTRY,
)
API_ERRORS = Counter(
    "alert_operator_api_errors", "Kubernetes API error answers, by verb and HTTP status",
    ["verb", "status"], registry=REGISTRY,
)
NOTIFICATIONS = Counter(
    "alert_operator_notifications", "NOTIFY messages received on the change feed",
    registry=REGISTRY,
)
MALFORMED_NOTIFICATIONS = Counter(
    "alert_operator_malformed_notifications",
    "NOTIFY messages on the change feed that were not our trigger's payload (ignored)",
    registry=REGISTRY,
)
NOTIFICATION_LAG = Histogram(
    "alert_operator_notification_lag_seconds",
    "Time from the row change (trigger clock) to the end of its reconcile", registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
MANAGED_CRONJOBS = Gauge(
    "alert_operator_managed_cronjobs", "CronJobs carrying our managed-by label", registry=REGISTRY,
)
INVALID_ALERTS = Gauge(
    "alert_operator_invalid_alerts", "Alerts skipped because they cannot be scheduled",
    registry=REGISTRY,
)
RUNS = Counter(
    "alert_operator_runs",
    "Finished Jobs of managed CronJobs, by the run's outcome (succeeded|failed|skipped)",
    ["outcome"], registry=REGISTRY,
)
for _outcome in ("succeeded", "failed", "skipped"):  # 0 from the start: increase() sees the 1st
    RUNS.labels(outcome=_outcome)
RUNS_NOT_STARTED = Counter(
    "alert_operator_runs_not_started",
    "Jobs of managed CronJobs that still had no pod after ALERT_RUN_START_GRACE_SECONDS"
    " (their pod could not be created: a missing ServiceAccount, a quota...)", registry=REGISTRY,
)
MALFORMED_JOBS = Counter(
    "alert_operator_malformed_jobs",
    "Watch events of managed Jobs with a field that makes no sense, by field"
    " (metadata|labels|status|status.failed); such a field is ignored",
    ["field"], registry=REGISTRY,
)
MASS_DELETE_BLOCKED = Gauge(
    "alert_operator_mass_delete_blocked",
    "1 while mass-delete protection holds back deletions, else 0", registry=REGISTRY,
)
LAST_SYNC_TIMESTAMP = Gauge(
    "alert_operator_last_successful_sync_timestamp_seconds",
    "Unix time of the last full sync that completed", registry=REGISTRY,
)
CHANGEFEED_CONNECTED = Gauge(
    "alert_operator_changefeed_connected",
    "1 while the LISTEN connection of the change feed is up, else 0", registry=REGISTRY,
)
CHANGEFEED_RECONNECTS = Counter(
    "alert_operator_changefeed_reconnects",
    "Times the change feed lost its LISTEN connection and connected again", registry=REGISTRY,
)
EVENTS = Counter(
    "alert_operator_events",
    "Kubernetes Events, by result (posted|suppressed|failed|dry_run)", ["result"],
    registry=REGISTRY,
)

# --- monitoring: build info, change latency, failed runs per alert (see README "Metrics") ---
BUILD_INFO = Gauge(
    "alert_operator_build_info", "Always 1; the labels say what is running",
    ["version", "python_version", "kopf_version"], registry=REGISTRY,
)
BUILD_INFO.labels(
    version=__version__, python_version=platform.python_version(), kopf_version=version("kopf"),
).set(1)
CHANGE_LATENCY = Histogram(
    "alert_operator_change_latency_seconds",
    "From a NOTIFY received on the change feed to its alert's CronJob written (the API's answer)",
    registry=REGISTRY, buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
ALERT_FAILED_RUNS = Counter(
    "alert_operator_alert_failed_runs",
    "Failed runs (Jobs that ended Failed since this process started), by alert; a series exists"
    " only for an alert that failed", ["alert_id", "client_id"], registry=REGISTRY,
)
