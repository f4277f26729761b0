"""The metric names a PromQL expression reads (for the check that the operator exposes them).

A tokenizer, careful rather than complete: strings, label matchers (``{...}``), ranges and
subqueries (``[...]``), ``offset``/``@`` modifiers and the label lists of ``by``, ``without``,
``on``, ``ignoring``, ``group_left`` and ``group_right`` are removed first; what remains is an
identifier that is no function call, no aggregation, no keyword and no number. Grafana's
``$variables`` are dropped. The syntax itself is checked by promtool (test_monitoring.py).
"""

from __future__ import annotations

import re

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_BRACES = re.compile(r"\{[^{}]*\}")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_MODIFIER = re.compile(r"\b(?:offset\s+-?[0-9a-zA-Z_$]+|@\s*(?:[0-9.]+|start\(\)|end\(\)))")
_LABEL_LIST = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE
)
_VARIABLE = re.compile(r"\$\{?\w+\}?")
_IDENTIFIER = re.compile(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")
AGGREGATIONS = frozenset({
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
    "bottomk", "topk", "quantile", "limitk", "limit_ratio",
})
KEYWORDS = frozenset({
    "and", "or", "unless", "bool", "by", "without", "on", "ignoring", "group_left",
    "group_right", "offset", "inf", "nan",
})


def metric_names(expression: str) -> set[str]:
    text = _STRING.sub('""', expression)
    while _BRACES.search(text):
        text = _BRACES.sub(" ", text)
    while _BRACKETS.search(text):
        text = _BRACKETS.sub(" ", text)
    text = _MODIFIER.sub(" ", text)
    text = _LABEL_LIST.sub(" ", text)
    text = _VARIABLE.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        name, call = match.group(1), match.group(2)
        lowered = name.lower()
        if call or lowered in AGGREGATIONS or lowered in KEYWORDS:
            continue
        names.add(name)
    return names
