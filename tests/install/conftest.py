"""The chart rendered once per value set for the whole run (rendering is the slow part)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from alert_core.alert import Alert
from alert_core.frequency import parse_frequency
from alert_core.settings import Settings, load_settings
from devtools.chart import Rendered, render
from tests.install.value_sets import VALUE_SETS

RELEASE = "alert-operator"
NAMESPACE = "alerts"


@pytest.fixture(scope="session")
def rendered_sets() -> dict[str, Rendered]:
    return {
        name: render(values, release=RELEASE, namespace=NAMESPACE)
        for name, values in VALUE_SETS.items()
    }


@pytest.fixture(params=sorted(VALUE_SETS))
def value_set(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def rendered(rendered_sets: dict[str, Rendered], value_set: str) -> Rendered:
    return rendered_sets[value_set]


def operator_container(chart: Rendered) -> dict[str, Any]:
    containers: list[dict[str, Any]] = chart.one("Deployment")["spec"]["template"]["spec"][
        "containers"
    ]
    assert [c["name"] for c in containers] == ["operator"]
    return containers[0]


def literal_env(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container["env"] if "value" in item}


def operator_settings(chart: Rendered) -> Settings:
    """The settings the operator would load from the rendered Deployment's environment."""
    env = literal_env(operator_container(chart))
    fields = {
        name.removeprefix("ALERT_").lower(): value
        for name, value in env.items()
        if name.startswith("ALERT_")
    }
    return load_settings(**fields)


def sample_alert() -> Alert:
    return Alert(
        id=uuid.UUID("0b5e3c1a-2f4d-4e6b-9a8c-7d1e2f3a4b5c"),
        client_id=uuid.UUID("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"),
        name="Weekly sales summary",
        frequency=parse_frequency(
            {"type": "weekly", "time": "10:00", "dayOfWeek": [1, 3, 5], "timezone": "Europe/Paris"}
        ),
        is_active=True,
    )
