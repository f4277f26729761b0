"""Bounded JSON decoding: limits checked before json.loads, strings never counted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alert_core.safe_json import (
    MAX_JSON_CHARS,
    MAX_JSON_DEPTH,
    MAX_NUMBER_CHARS,
    JsonLimitError,
    loads_bounded,
)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_depth_limit_is_exact() -> None:
    assert loads_bounded(nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(JsonLimitError, match=f"nested {MAX_JSON_DEPTH + 1} levels deep"):
        loads_bounded(nested(MAX_JSON_DEPTH + 1))
    with pytest.raises(JsonLimitError, match="nested 100000 levels deep"):
        loads_bounded(nested(100_000))


def test_number_length_limit_is_exact() -> None:
    assert loads_bounded("9" * MAX_NUMBER_CHARS) == int("9" * MAX_NUMBER_CHARS)
    for number in ("9" * (MAX_NUMBER_CHARS + 1), "9" * 5000, "1." + "0" * 100, "1e" + "9" * 50):
        with pytest.raises(JsonLimitError, match="JSON number of"):
            loads_bounded(f'{{"n": {number}}}')


def test_strings_may_hold_brackets_and_digits() -> None:
    text = json.dumps({"note": "[" * 500 + "9" * 500 + '\\"{', "x": ["a]b", "c}d"]})
    assert loads_bounded(text) == json.loads(text)


def test_size_limit_and_bad_input_are_one_line_errors() -> None:
    with pytest.raises(JsonLimitError, match=f"at most {MAX_JSON_CHARS}"):
        loads_bounded('"' + "a" * MAX_JSON_CHARS + '"')
    for bad in ["", "{", "[1,]", '{"a": 1', b"\xff\xfe"]:
        with pytest.raises(JsonLimitError, match="not valid JSON") as caught:
            loads_bounded(bad)
        assert "\n" not in str(caught.value)


def test_unbalanced_brackets_inside_an_unterminated_string_are_refused() -> None:
    with pytest.raises(JsonLimitError):
        loads_bounded('["' + "[" * 100)


JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_within_the_limits_it_is_json_loads(value: Any) -> None:
    text = json.dumps(value)
    assert loads_bounded(text) == json.loads(text)
