"""Wrong values stop the render with a message naming the value (schema, checks.yaml)."""

from __future__ import annotations

from typing import Any

import helm_python as helm
import pytest

from devtools.chart import render

SECRET = {"existingSecret": "app-database"}

# values -> a fragment of the message that must name what was wrong.
SCHEMA_ERRORS: list[tuple[dict[str, Any], str]] = [
    ({"database": {**SECRET, "secretkey": "dsn"}}, "additional properties 'secretkey'"),
    ({"database": SECRET, "jobz": {}}, "additional properties 'jobz'"),
    ({"database": SECRET, "jobs": {"backoffLimit": "three"}}, "/jobs/backoffLimit"),
    ({"database": SECRET, "jobs": {"startingDeadlineSeconds": 5}}, "/jobs/startingDeadlineSeconds"),
    ({"database": SECRET, "jobs": {"concurrencyPolicy": "Sometimes"}}, "/jobs/concurrencyPolicy"),
    (
        {"database": SECRET, "jobs": {"resources": {"limits": {"cpu": "lots"}}}},
        "/jobs/resources/limits/cpu",
    ),
    (
        {"database": SECRET, "operator": {"resources": {"limits": None}}},
        "/operator/resources",
    ),
    ({"database": {"existingSecret": "Bad_Name"}}, "/database/existingSecret"),
    ({"database": {**SECRET, "stateSchema": "drop table"}}, "/database/stateSchema"),
    ({"database": SECRET, "cronJobs": {"namespace": "Not A Namespace"}}, "/cronJobs/namespace"),
    ({"database": SECRET, "logLevel": "LOUD"}, "/logLevel"),
    ({"database": SECRET, "runner": {"http": {"url": "ftp://files"}}}, "/runner/http/url"),
    ({"database": SECRET, "operator": {"maxDeleteFraction": 2}}, "/operator/maxDeleteFraction"),
    ({"database": SECRET, "operator": {"statusPort": 0}}, "/operator/statusPort"),
    ({"database": SECRET, "imagePullSecrets": ["registry"]}, "/imagePullSecrets/0"),
    (
        {"database": SECRET, "monitoring": {"prometheusRule": {"runsFailingWindow": "an hour"}}},
        "/monitoring/prometheusRule/runsFailingWindow",
    ),
    (
        {"database": SECRET, "monitoring": {"metricsSelector": '{job="x"}'}},
        "/monitoring/metricsSelector",
    ),
    (
        {"database": SECRET, "monitoring": {"grafanaDashboard": {"labels": {"a": 1}}}},
        "/monitoring/grafanaDashboard/labels/a",
    ),
    ({"database": SECRET, "monitoring": {"prometheusRules": {}}}, "additional properties"),
    ({"database": SECRET, "helmTest": {"enabled": "yes"}}, "/helmTest/enabled"),
    (
        {"database": SECRET, "helmTest": {"resources": {"limits": {"memory": "lots"}}}},
        "/helmTest/resources/limits/memory",
    ),
]

# Combinations the schema cannot express: checks.yaml fails the render with a sentence.
RENDER_ERRORS: list[tuple[dict[str, Any], str]] = [
    ({"database": {"url": "mysql://u:hunter2@db/app"}}, "database.url: must start with"),
    ({}, "database: set database.existingSecret (name of a Secret holding the URL) or"),
    (
        {"database": {**SECRET, "url": "postgresql://db/app"}},
        "set either database.existingSecret or database.url, not both",
    ),
    (
        {
            "database": SECRET,
            "metrics": {"service": {"enabled": False}, "serviceMonitor": {"enabled": True}},
        },
        "metrics.serviceMonitor.enabled needs metrics.service.enabled",
    ),
]


@pytest.mark.parametrize(("values", "fragment"), SCHEMA_ERRORS, ids=[f for _, f in SCHEMA_ERRORS])
def test_schema_rejects(values: dict[str, Any], fragment: str) -> None:
    with pytest.raises(helm.HelmValuesError) as raised:
        render(values)
    message = str(raised.value)
    assert "values don't meet the specifications of the schema" in message
    assert fragment in message


@pytest.mark.parametrize(("values", "fragment"), RENDER_ERRORS, ids=[f for _, f in RENDER_ERRORS])
def test_render_rejects(values: dict[str, Any], fragment: str) -> None:
    with pytest.raises(helm.HelmRenderError) as raised:
        render(values)
    assert fragment in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_set_strings_are_accepted() -> None:
    # `helm install --set jobs.backoffLimit=5` gives an int64, values.yaml a float64: both render.
    chart = render({"database": SECRET, **helm.parse_set_string("jobs.backoffLimit=5")})
    [container] = chart.one("Deployment")["spec"]["template"]["spec"]["containers"]
    assert {"name": "ALERT_BACKOFF_LIMIT", "value": "5"} in container["env"]
