"""The alert-name label: any name PostgreSQL holds becomes a valid label value (property-tested)
under a valid label key, so `kubectl get cronjobs -L alert-operator/alert-name` shows it."""

from __future__ import annotations

import re
import uuid

from hypothesis import example, given
from hypothesis import strategies as st

from alert_core.alert import clean_name
from alert_core.cronjob import NAME_LABEL, UNNAMED_LABEL_VALUE, desired_cronjob, name_label_value
from tests.apiserver.storage import label_problem
from tests.core.test_cronjob import make_alert, make_settings

# The label value syntax as apimachinery states it (IsValidLabelValue), written out once more.
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
HOSTILE = ["", "!!!", "...---___", "🔥🚨🔥", "\x00\x1b[2J\x07", "\u202eevil\u202c", " " * 70,
           "x" * 10_000, "🔥" * 10_000, "日本語のアラート", "-leading and trailing-",
           "\ud800 lone surrogate", "e\u0301t\u00e9 \ufb01n"]


@given(st.text(alphabet=st.characters(codec=None), max_size=600))
@example(name="a" * 64)
def test_every_name_becomes_a_valid_label_value_never_empty(name: str) -> None:
    value = name_label_value(name)
    assert 1 <= len(value) <= 63
    assert LABEL_VALUE.fullmatch(value)
    assert label_problem(NAME_LABEL, value) is None  # the test API server accepts it too


@given(st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", fullmatch=True))
def test_a_name_that_is_already_a_label_value_is_kept(name: str) -> None:
    assert name_label_value(name) == name


@given(st.text(max_size=300))
def test_the_value_is_stable(name: str) -> None:
    value = name_label_value(name)
    assert name_label_value(value) == value or value == UNNAMED_LABEL_VALUE


def test_hostile_names_readable_where_possible() -> None:
    values = [name_label_value(name) for name in HOSTILE]
    assert values[:4] == ["unnamed"] * 4
    assert values[4:] == ["2J", "evil", "unnamed", "x" * 63, "unnamed", "unnamed",
                          "leading-and-trailing", "lone-surrogate", "ete-fin"]
    assert name_label_value("Morning revenue digest") == "Morning-revenue-digest"
    assert name_label_value("Café: 50% off!") == "Cafe-50-off"


def test_the_key_is_a_qualified_name_and_the_cronjob_carries_the_label() -> None:
    prefix, name = NAME_LABEL.split("/")
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
                        prefix) and len(prefix) <= 253
    assert LABEL_VALUE.fullmatch(name) and 1 <= len(name) <= 63
    for hostile in HOSTILE:
        alert = make_alert(id=uuid.uuid4(), name=clean_name(hostile))
        labels = desired_cronjob(alert, make_settings())["metadata"]["labels"]
        assert labels[NAME_LABEL] == name_label_value(clean_name(hostile))
        assert all(label_problem(key, value) is None for key, value in labels.items())
