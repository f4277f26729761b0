"""Hostile rows in the application's table (real PostgreSQL): a row that cannot be read is one
invalid alert with a reason; every other alert is rendered and scheduled."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alert_core.cronjob import cronjob_name
from alert_core.frequency import FrequencyError, parse_frequency
from tests.ctl.conftest import NAMESPACE, Database, Emulator, Result

DAILY = {"type": "daily", "time": "09:00", "timezone": "UTC"}
DEEP = "[" * 990 + "]" * 990
DEEPER_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
HUGE_NUMBER = '{"type": "hourly", "minute": ' + "9" * 5000 + "}"


def _insert(db: Database, frequency_json: str, name: str = "x") -> uuid.UUID:
    alert_id = uuid.uuid4()
    db.execute(
        "INSERT INTO app.alerts (id, client_id, name, frequency, is_active)"
        " VALUES ($1, $2, $3, $4::jsonb, true)",
        alert_id, uuid.uuid4(), name, frequency_json,
    )
    return alert_id


def _rendered(result: Result) -> set[str]:
    return {doc["metadata"]["name"] for doc in yaml.safe_load_all(result.stdout) if doc}


def _no_traceback(result: Result) -> None:
    # alertctl runs with catch_exceptions=False: an exception would have failed the test.
    assert "Traceback" not in result.stdout + result.stderr


def test_poison_rows_are_invalid_alerts_and_the_rest_goes_on(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    good = db.add_alert("good", DAILY)
    deep, deeper, huge = (_insert(db, text) for text in (DEEP, DEEPER_OBJECT, HUGE_NUMBER))
    common = ("-n", NAMESPACE, "--database-url", database_url)

    render = alertctl("render", *common)
    _no_traceback(render)
    assert render.exit_code == 1
    assert _rendered(render) == {cronjob_name(good)}
    lines = render.stderr.strip().splitlines()
    assert len(lines) == 3
    by_id = {alert_id: next(line for line in lines if str(alert_id) in line)
             for alert_id in (deep, deeper, huge)}
    assert "nested 990 levels deep" in by_id[deep]
    assert "nested 1000 levels deep" in by_id[deeper]
    assert "number of 5000 characters" in by_id[huge]

    sync = alertctl("sync", "-o", "json", *common)
    _no_traceback(sync)
    assert sync.exit_code == 0, sync.stderr
    document = sync.json()
    assert document["counts"]["create"] == 1
    assert {item["alert_id"] for item in document["invalid"]} == {str(deep), str(deeper),
                                                                  str(huge)}
    assert set(emulator.cronjobs()) == {cronjob_name(good)}

    status = alertctl("status", "-o", "json", *common)
    _no_traceback(status)
    assert str(deep) in status.stdout and "levels deep" in status.stdout


def test_cron_refuses_deep_frequency_in_one_line(alertctl: Callable[..., Result]) -> None:
    for text in ("[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, HUGE_NUMBER):
        result = alertctl("cron", text)
        _no_traceback(result)
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert "frequency: JSON" in result.stderr


def test_text_id_column_never_crashes(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path,
) -> None:
    db.execute("ALTER TABLE app.alerts ALTER COLUMN id TYPE text USING id::text")
    good = uuid.uuid4()
    for alert_id in (str(good), "not-a-uuid", str(uuid.uuid4()).upper()):
        db.execute(
            "INSERT INTO app.alerts (id, client_id, name, frequency, is_active)"
            " VALUES ($1, $2, 'a', $3::jsonb, true)",
            alert_id, uuid.uuid4(), json.dumps(DAILY),
        )
    common = ("-n", NAMESPACE, "--database-url", database_url)

    render = alertctl("render", *common)
    _no_traceback(render)
    assert _rendered(render) == {cronjob_name(good)}
    assert "id: 'not-a-uuid' is not a UUID" in render.stderr
    assert "alert-not-a-uuid" not in render.stdout

    sync = alertctl("sync", "-o", "json", *common)
    _no_traceback(sync)
    assert sync.exit_code == 0, sync.stderr
    assert sorted(item["problem"].split(" is ")[1] for item in sync.json()["invalid"]) == [
        "not a UUID", "not a UUID in canonical form (lower case, dashes)"]
    assert set(emulator.cronjobs()) == {cronjob_name(good)}

    # One alert by id (run-now, history and the operator's one-alert sync read it so).
    history = alertctl("history", str(good), "--database-url", database_url)
    _no_traceback(history)
    assert history.exit_code == 0, history.stderr


# PostgreSQL's jsonb refuses \u0000 (it cannot be stored, so no row can hold it).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=20)


def _json_values() -> st.SearchStrategy[Any]:
    scalars = (st.none() | st.booleans() | st.integers() | TEXT
               | st.floats(allow_nan=False, allow_infinity=False))
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner,
                                                                    max_size=4),
        max_leaves=12,
    )


FREQUENCIES = st.one_of(
    _json_values().map(json.dumps),
    st.sampled_from([DAILY, {"type": "hourly", "minute": 5},
                     {"type": "cron", "cron": "*/5 * * * *"},
                     {"type": "weekly", "days": ["mon"], "time": "08:00"}]).map(json.dumps),
    st.fixed_dictionaries({"type": st.just("hourly"), "minute": st.integers()}).map(json.dumps),
    st.integers(1, 1500).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(1, 1200).map(lambda depth: '{"type":' * depth + '"x"' + "}" * depth),
    st.integers(1, 6000).map(lambda digits: "9" * digits),
)


def _valid(db: Database, alert_id: uuid.UUID) -> bool:
    """Whether the stored value (as PostgreSQL gives it back) is a frequency we schedule."""
    stored = db.execute("SELECT frequency::text AS f FROM app.alerts WHERE id = $1", alert_id)
    text = stored[0]["f"]
    if text.count("[") + text.count("{") > 64 or len(text) > 2000:
        return False  # the deep and huge values above: never valid frequencies
    try:
        parse_frequency(json.loads(text))
    except FrequencyError:
        return False
    return True


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(frequencies=st.lists(FREQUENCIES, min_size=1, max_size=4))
def test_any_json_in_the_table_never_stops_render_or_sync(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    kubeconfig: Path, frequencies: list[str],
) -> None:
    for frequency in frequencies:
        _insert(db, frequency)
    everything = [row["id"] for row in db.execute("SELECT id FROM app.alerts")]
    valid = {cronjob_name(alert_id) for alert_id in everything if _valid(db, alert_id)}
    common = ("-n", NAMESPACE, "--database-url", database_url)

    render = alertctl("render", *common)
    _no_traceback(render)
    assert _rendered(render) == valid
    assert len(render.stderr.strip().splitlines()) == len(everything) - len(valid)

    sync = alertctl("sync", "-o", "json", *common)
    _no_traceback(sync)
    assert sync.exit_code == 0, sync.stderr
    assert len(sync.json()["invalid"]) == len(everything) - len(valid)
    assert set(emulator.cronjobs()) == valid
