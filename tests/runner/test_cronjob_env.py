"""What the desired CronJob hands the runner's http executor (and what it never hands it)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from alert_core.alert import Alert
from alert_core.cronjob import desired_cronjob
from alert_core.frequency import parse_frequency
from alert_core.settings import Settings

ALERT = Alert(uuid.UUID(int=5), uuid.UUID(int=6), "digest",
              parse_frequency({"type": "daily", "time": "09:00"}), True)


def _env(settings: Settings) -> dict[str, Any]:
    spec = desired_cronjob(ALERT, settings)["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return {item["name"]: item for item in spec["containers"][0]["env"]}


def test_no_http_env_unless_configured() -> None:
    env = _env(Settings())
    assert not [name for name in env if name.startswith("ALERT_HTTP")]
    assert env["ALERT_EXECUTOR"]["value"] == "record"


def test_http_url_and_token_by_secret_reference_only() -> None:
    settings = Settings(executor="http", http_url="https://app.internal/alerts/trigger",
                        http_timeout_seconds=4, http_token="literal-must-not-leak",
                        http_token_secret_name="alert-http-token")
    manifest = desired_cronjob(ALERT, settings)
    env = _env(settings)

    assert env["ALERT_HTTP_URL"]["value"] == "https://app.internal/alerts/trigger"
    assert env["ALERT_HTTP_TIMEOUT_SECONDS"]["value"] == "4.0"
    assert env["ALERT_HTTP_TOKEN"] == {"name": "ALERT_HTTP_TOKEN", "valueFrom": {
        "secretKeyRef": {"name": "alert-http-token", "key": "token"}}}
    assert "literal-must-not-leak" not in json.dumps(manifest)


def test_no_token_env_without_a_secret() -> None:
    env = _env(Settings(executor="http", http_url="http://app/x", http_token="t"))
    assert "ALERT_HTTP_URL" in env and "ALERT_HTTP_TOKEN" not in env
