"""Kubernetes label selectors: equality (``a=b``, ``a==b``, ``a!=b``), existence (``a``,
``!a``) and sets (``a in (x,y)``, ``a notin (x)``), comma-separated terms all of which hold."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final

_KEY: Final = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_TERM: Final = re.compile(
    rf"\s*(?:(?P<set_key>{_KEY})\s+(?P<set_op>in|notin)\s*\((?P<values>[^)]*)\)"
    rf"|(?P<not>!)\s*(?P<absent>{_KEY})"
    rf"|(?P<key>{_KEY})\s*(?:(?P<op>==|!=|=)\s*(?P<value>[-A-Za-z0-9_.]*))?)\s*(?:,|$)"
)

Matcher = Callable[[Mapping[str, str]], bool]


class SelectorError(ValueError):
    """The selector cannot be parsed (the server answers 400)."""


def _term(found: re.Match[str]) -> Matcher:
    if found["set_key"]:
        key, values = found["set_key"], {v.strip() for v in found["values"].split(",")}
        if found["set_op"] == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if found["absent"]:
        absent = found["absent"]
        return lambda labels: absent not in labels
    key, op, value = found["key"], found["op"], found["value"]
    if op is None:
        return lambda labels: key in labels
    if op == "!=":
        return lambda labels: labels.get(key) != value
    return lambda labels: labels.get(key) == value


def parse_selector(selector: str) -> Matcher:
    """A function telling whether a label map matches ``selector`` (empty: everything)."""
    terms: list[Matcher] = []
    position, text = 0, selector.strip()
    while position < len(text):
        found = _TERM.match(text, position)
        if found is None or found.end() == position:
            raise SelectorError(f"unable to parse requirement: {text[position:]!r}")
        terms.append(_term(found))
        position = found.end()
    return lambda labels: all(term(labels) for term in terms)
