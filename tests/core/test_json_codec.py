"""alert_core.json_codec: orjson where it gives what the standard library gives, the standard
library where it would not (the spec hashes of CronJobs in clusters must not change)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from alert_core import json_codec
from alert_core.alert import Alert
from alert_core.cronjob import desired_cronjob
from alert_core.frequency import parse_frequency
from alert_core.settings import Settings

# Any text, lone surrogates, control characters and DEL included; integers of any size.
ANY_TEXT = st.text(st.characters(codec=None, categories=None))
SCALARS = st.none() | st.booleans() | st.integers() | ANY_TEXT
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(ANY_TEXT, inner, max_size=4), max_leaves=20)


def standard_canonical(value: Any) -> bytes:
    """What spec_hash hashed before json_codec existed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


@settings(max_examples=400)
@given(JSON_VALUES)
def test_canonical_is_byte_for_byte_the_standard_librarys(value: Any) -> None:
    assert json_codec.canonical(value) == standard_canonical(value)


def test_canonical_takes_the_standard_path_where_orjson_writes_otherwise() -> None:
    for value in ({"name": "café"}, {"x": "\x7f"}, {"s": "\ud800"}, {"n": 2**70}):
        assert json_codec.canonical(value) == standard_canonical(value)
    assert json_codec.canonical({"b": 1, "a": [True, None]}) == b'{"a":[true,null],"b":1}'


@settings(max_examples=200)
@given(JSON_VALUES)
def test_dumps_and_loads_round_trip_what_the_standard_library_reads(value: Any) -> None:
    encoded = json_codec.dumps(value)
    assert json.loads(encoded) == value
    assert json_codec.loads(encoded) == value
    assert json_codec.loads(json.dumps(value)) == json.loads(json.dumps(value))


def test_loads_raises_value_error_on_what_is_not_json() -> None:
    for raw in (b"{", b"", "nope", b"\xff"):
        try:
            json_codec.loads(raw)
        except ValueError:
            continue
        raise AssertionError(f"{raw!r} parsed")


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in _floats(item)]
    if isinstance(value, list):
        return [f for item in value for f in _floats(item)]
    return []


@settings(max_examples=100)
@given(name=ANY_TEXT, minutes=st.integers(0, 30), paused=st.booleans())
def test_the_managed_objects_hold_no_float(name: str, minutes: int, paused: bool) -> None:
    # canonical's fast path writes floats otherwise than the standard library (1e16 / 1e+16).
    frequency = parse_frequency({"type": "weekly", "time": "10:00", "dayOfWeek": [1, 3],
                                 "timezone": "America/Los_Angeles"})
    alert = Alert(id=uuid.UUID(int=minutes), client_id=uuid.UUID(int=7), name=name,
                  frequency=frequency, is_active=True)
    body = desired_cronjob(alert, Settings(schedule_spread_minutes=minutes), paused=paused)
    assert _floats(body) == []
