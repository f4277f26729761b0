"""The real operator's /metrics: the standard collectors, build info, no ``*_created``, the
change latency of a notified change and the failed runs per alert."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from alert_core.cronjob import cronjob_name
from alert_core.version import __version__
from alert_operator import change_latency
from alert_operator.metrics import REGISTRY
from tests.install.monitoring_files import dashboard_expressions, rule_expressions
from tests.install.promql import metric_names
from tests.operator.conftest import JOBS, NAMESPACE, Database, Emulator, wait_for
from tests.operator.test_observability_e2e import failed_job, get_text

LATENCY_COUNT = "alert_operator_change_latency_seconds_count"
# The series names of each metric type in the text format.
SERIES = {
    "counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",),
    "summary": ("_sum", "_count", ""), "info": ("_info",), "unknown": ("",),
}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def exposed(text: str) -> set[str]:
    """Every series name the exposition declares: its samples, and the series of every family
    it lists (a labelled family with no child yet, e.g. no alert has failed, has no sample)."""
    names = set()
    for family in text_string_to_metric_families(text):
        names.update(sample.name for sample in family.samples)
        names.update(family.name + suffix for suffix in SERIES[family.type])
    return names


def latency_count() -> float:
    return REGISTRY.get_sample_value(LATENCY_COUNT) or 0.0


def test_standard_collectors_build_info_and_no_created_series(
    db: Database, operator_factory: Any
) -> None:
    operator = operator_factory()
    operator.wait_synced()
    text = get_text(f"http://127.0.0.1:{operator.settings.status_port}/metrics")
    names = {name for name, _ in samples(text)}
    for expected in ("process_resident_memory_bytes", "process_cpu_seconds_total",
                     "process_open_fds", "python_info", "python_gc_collections_total"):
        assert expected in names
    assert not [name for name in names if name.endswith("_created")]
    [build] = [dict(labels) for name, labels in samples(text)
               if name == "alert_operator_build_info"]
    assert build["version"] == __version__
    assert build["python_version"] and build["kopf_version"]


def test_change_latency_counts_notified_writes_only(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    operator = operator_factory()
    operator.wait_synced()
    before = latency_count()
    alert = db.add_alert("notified")  # the trigger's NOTIFY -> one create
    wait_for(lambda: cronjob_name(alert) in emulator.cronjobs(), what="CronJob created")
    wait_for(lambda: latency_count() == before + 1, what="one latency observation")
    # A change that leaves the CronJob as it is (client_id is not in it) writes nothing.
    writes = len(emulator.writes())
    db.execute("UPDATE app.alerts SET is_active = is_active WHERE id = $1", alert)
    marker = db.add_alert("marker")  # reconciled after the no-op: then the no-op is done
    wait_for(lambda: cronjob_name(marker) in emulator.cronjobs(), what="marker created")
    wait_for(lambda: latency_count() == before + 2, what="the marker's observation")
    assert len(emulator.writes()) == writes + 1
    # The periodic sync's own writes are not changes: a CronJob deleted by hand comes back
    # through its watch event, not a notification, and is not measured.
    assert emulator.delete_cronjob(cronjob_name(alert)) == 200
    wait_for(lambda: cronjob_name(alert) in emulator.cronjobs(), what="CronJob restored")
    assert latency_count() == before + 2


async def test_change_latency_follows_the_task_that_received_the_change() -> None:
    before = latency_count()

    async def received_then_written() -> None:
        change_latency.handing_over(0.0)
        await asyncio.create_task(written())  # the applier's write task, started inside

    async def written() -> None:
        change_latency.cronjob_written()

    await asyncio.create_task(received_then_written())
    assert latency_count() == before + 1
    await asyncio.create_task(written())  # a write no notification asked for
    assert latency_count() == before + 1


def test_failed_runs_per_alert(emulator: Emulator, db: Database, operator_factory: Any) -> None:
    alert = db.add_alert("flaky")
    client = db.execute("SELECT client_id FROM app.alerts WHERE id = $1", alert)[0]["client_id"]
    operator = operator_factory()
    operator.wait_synced()
    old = failed_job(alert, client)  # ended in 2024: before this process started
    # Whole seconds, rounded up: not before the process started.
    now = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    new = failed_job(alert, client)
    new["metadata"]["name"] += "-new"
    new["status"]["conditions"][0]["lastTransitionTime"] = now
    for job in (old, new):
        status = emulator.http("POST", f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs", job)
        assert status in (200, 201), status
    assert len(emulator.objects(JOBS)) == 2
    labels = {"alert_id": str(alert), "client_id": str(client)}
    wait_for(lambda: REGISTRY.get_sample_value("alert_operator_alert_failed_runs_total", labels),
             what="the failed run counted")
    wait_for(lambda: len(db.execute("SELECT 1 FROM alert_operator.alert_runs"
                                    " WHERE alert_id = $1", alert)) == 2, what="both recorded")
    text = get_text(f"http://127.0.0.1:{operator.settings.status_port}/metrics")
    pattern = rf'^alert_operator_alert_failed_runs_total\{{[^}}]*alert_id="{alert}"[^}}]*\}} 1\.0$'
    assert re.search(pattern, text, re.MULTILINE), text


def test_rules_and_dashboard_name_only_exposed_metrics(db: Database, operator_factory: Any) -> None:
    operator = operator_factory()
    operator.wait_synced()
    text = get_text(f"http://127.0.0.1:{operator.settings.status_port}/metrics")
    available = exposed(text)
    expressions = {**rule_expressions(), **dashboard_expressions()}
    assert len(expressions) > 20
    unknown = {
        where: sorted(metric_names(expression) - available)
        for where, expression in expressions.items()
        if metric_names(expression) - available
    }
    assert unknown == {}
    assert metric_names("rate(alert_operator_synz_total[5m])") - available == {
        "alert_operator_synz_total"
    }
    used = {name for expression in expressions.values() for name in metric_names(expression)}
    # Histograms by their series: the check would miss a misspelt suffix otherwise.
    assert {"alert_operator_change_latency_seconds_bucket",
            "alert_operator_sync_duration_seconds_count"} <= used
    assert "alert_operator_change_latency_seconds" not in available  # no bare histogram name
