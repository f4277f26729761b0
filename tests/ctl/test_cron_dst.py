"""alertctl cron around DST changes: the times Kubernetes fires (the robfig port), each skipped,
shifted or repeated run marked, and whether the runner's one-run-per-local-time rule skips it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import jsonschema
import pytest
import yaml

from alert_core.db.runs import local_slot
from alert_core.frequency import next_fire_times, parse_frequency
from alert_ctl.schemas import CRON
from tests.ctl.conftest import Result

Alertctl = Callable[..., Result]
NEW_YORK = "America/New_York"


def _cron(alertctl: Alertctl, frequency: dict[str, object], after: str, count: int,
          *options: str) -> Result:
    result = alertctl("cron", json.dumps(frequency), "--after", after, "--next", str(count),
                      *options)
    assert result.exit_code == 0, result.stderr
    return result


def test_spring_forward_lists_the_skipped_day_with_its_reason(alertctl: Alertctl) -> None:
    daily = {"type": "daily", "time": "02:30", "timezone": NEW_YORK}
    text = _cron(alertctl, daily, "2027-03-12T12:00Z", 3).stdout.splitlines()
    assert text == [
        "schedule: 30 2 * * *",
        f"timeZone: {NEW_YORK}",
        "description: At 02:30",
        "  2027-03-13T02:30:00-05:00  (2027-03-13T07:30:00+00:00)",
        "  2027-03-14 02:30  skipped: 02:30 does not exist that day (clocks spring forward"
        " from -05:00 to -04:00)",
        "  2027-03-15T02:30:00-04:00  (2027-03-15T06:30:00+00:00)",
        "  2027-03-16T02:30:00-04:00  (2027-03-16T06:30:00+00:00)",
    ]
    document = _cron(alertctl, daily, "2027-03-12T12:00Z", 3, "-o", "json").json()
    jsonschema.validate(document, CRON)
    assert document["next"] == ["2027-03-13T02:30:00-05:00", "2027-03-15T02:30:00-04:00",
                                "2027-03-16T02:30:00-04:00"]
    assert document["dst"] == [{
        "local": "2027-03-14T02:30", "time": None, "kind": "skipped", "runner_skips": False,
        "reason": "02:30 does not exist that day (clocks spring forward from -05:00 to -04:00)",
    }]
    # The fire times are the schedule module's, unchanged by the marking.
    frequency = parse_frequency(daily)
    assert document["next"] == [moment.isoformat() for moment in next_fire_times(
        frequency, datetime(2027, 3, 12, 12, tzinfo=UTC), 3)]


@pytest.mark.parametrize(("kind", "runner_skips"), [("daily", True), ("hourly", False)])
def test_fall_back_marks_the_repeated_hour_and_the_runner_rule(
    alertctl: Alertctl, kind: str, runner_skips: bool
) -> None:
    frequency = {"type": kind, "time": "01:30", "timezone": NEW_YORK}
    document = _cron(alertctl, frequency, "2026-11-01T05:00Z", 2, "-o", "yaml")
    data = yaml.safe_load(document.stdout)
    jsonschema.validate(data, CRON)
    assert data["next"] == ["2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"]
    first, second = data["dst"]
    assert (first["kind"], first["runner_skips"]) == ("repeated", False)
    assert (second["kind"], second["runner_skips"]) == ("repeated", runner_skips)
    assert second["reason"].startswith("01:30 happens twice (clocks fall back from -04:00 to"
                                       " -05:00)")
    # The runner's rule, read from its own key: both runs take the same local slot.
    times = [datetime.fromisoformat(text) for text in data["next"]]
    assert local_slot(times[0], NEW_YORK) == local_slot(times[1], NEW_YORK)
    assert parse_frequency(frequency).per_local_slot is runner_skips
    text = _cron(alertctl, frequency, "2026-11-01T05:00Z", 2).stdout.splitlines()
    assert text[-1].endswith("which the runner skips (one run per local time)" if runner_skips
                              else "no one-run-per-local-time rule)")
    assert "repeated: " in text[-1] and "repeated: " in text[-2]


def test_robfig_corners_are_marked_shifted_and_skipped(alertctl: Alertctl) -> None:
    # Lord Howe moves its clocks by 30 minutes: a daily 01:30 also fires at 02:30 (October),
    # a daily midnight loses the day after the April change.
    october = _cron(alertctl, {"type": "daily", "time": "01:30",
                               "timezone": "Australia/Lord_Howe"},
                    "2026-10-03T00:00Z", 3, "-o", "json").json()
    assert [(item["local"], item["kind"]) for item in october["dst"]] == [
        ("2026-10-04T02:30", "shifted")]
    april = _cron(alertctl, {"type": "daily", "time": "00:00", "timezone": "Australia/Lord_Howe"},
                  "2027-04-02T00:00Z", 3, "-o", "json").json()
    assert [(item["local"], item["kind"], item["time"]) for item in april["dst"]] == [
        ("2027-04-05T00:00", "skipped", None)]
    assert "2027-04-05" not in " ".join(april["next"])


def test_no_dst_no_marks_and_name_output(alertctl: Alertctl) -> None:
    hourly = {"type": "hourly", "time": "00:15"}  # UTC
    document = _cron(alertctl, hourly, "2027-03-14T00:00Z", 48, "-o", "json").json()
    assert document["dst"] == [] and len(document["next"]) == 48
    names = _cron(alertctl, hourly, "2027-03-14T00:00Z", 2, "-o", "name").stdout
    assert names == "2027-03-14T00:15:00+00:00\n2027-03-14T01:15:00+00:00\n"
    bare = _cron(alertctl, hourly, "2027-03-14T00:00Z", 1, "--no-headers").stdout
    assert bare == "  2027-03-14T00:15:00+00:00  (2027-03-14T00:15:00+00:00)\n"


@pytest.mark.parametrize("argv", [["-1"], ["--", "-1"], ["-5.5"]])
def test_a_json_argument_may_start_with_a_minus(alertctl: Alertctl, argv: list[str]) -> None:
    result = alertctl("cron", *argv)
    assert result.exit_code == 2
    assert result.stderr == "error: frequency: must be a JSON object, got " + (
        "int\n" if argv[-1] == "-1" else "float\n")
