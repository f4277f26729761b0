"""The live-versus-desired comparison by the API server's storage semantics."""

from __future__ import annotations

from alert_operator.compare import is_empty, matches, quantity_value


def test_empty_values_in_desired_match_a_missing_key() -> None:
    desired = {"rules": [{"action": "FailJob", "onPodConditions": []}], "a": {}, "b": None,
               "c": {"d": []}}
    assert matches({"rules": [{"action": "FailJob"}]}, desired)
    assert matches({"rules": [{"action": "FailJob", "onPodConditions": []}]}, desired)


def test_a_managed_field_removed_or_changed_by_hand_is_drift() -> None:
    desired = {"rules": [{"action": "FailJob", "onExitCodes": {"values": [42]}}], "x": 1}
    assert not matches({"rules": [{"action": "FailJob"}], "x": 1}, desired)
    assert not matches({"rules": [{"action": "FailJob", "onExitCodes": {"values": []}}],
                        "x": 1}, desired)
    assert not matches({"rules": [{"action": "Ignore", "onExitCodes": {"values": [42]}}],
                        "x": 1}, desired)
    assert not matches({"rules": [{"action": "FailJob", "onExitCodes": {"values": [42]}}]},
                       desired)
    # A value where we want none is ours to remove only if we manage it: additions are ignored.
    assert matches({"rules": [{"action": "FailJob", "onExitCodes": {"values": [42]}, "y": 2}],
                    "x": 1, "z": {}}, desired)


def test_resource_quantities_compare_by_amount() -> None:
    desired = {"resources": {"requests": {"cpu": "0.5", "memory": "1024Mi"},
                             "limits": {"cpu": "1000m"}}}
    assert matches({"resources": {"requests": {"cpu": "500m", "memory": "1Gi"},
                                  "limits": {"cpu": "1"}}}, desired)
    assert not matches({"resources": {"requests": {"cpu": "250m", "memory": "1Gi"},
                                      "limits": {"cpu": "1"}}}, desired)
    assert not matches({"resources": {"requests": {"cpu": "500m"}, "limits": {"cpu": "1"}}},
                       desired)
    assert quantity_value("1Ki") == 1024 and quantity_value("nonsense") is None


def test_is_empty_follows_protobuf() -> None:
    assert is_empty(None) and is_empty([]) and is_empty({}) and is_empty({"a": {"b": None}})
    assert not is_empty(0) and not is_empty(False)
    assert not is_empty([{}]) and not is_empty({"a": 0})
