"""JSON from untrusted hands (the application's table, NOTIFY payloads), decoded with limits.

``json.loads`` recurses once per nesting level (about 1,000 levels raise RecursionError) and
refuses integers of more than 4,300 digits (ValueError from the int-str limit); both are
exceptions a caller does not expect from "parse this row". Here the size, the nesting depth and
the length of every number are checked first by a flat scan (regular expressions, no
recursion), and only text that passes reaches ``json.loads``. Standard library only: the runner
uses it too.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any, Final

# A frequency is a few dozen bytes; the application may keep more keys in the same JSON.
MAX_JSON_CHARS: Final = 256 * 1024
MAX_JSON_DEPTH: Final = 32
MAX_NUMBER_CHARS: Final = 40  # digits, sign, point and exponent of one number

_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET: Final = re.compile(r"[\[\]{}]")
_NUMBER: Final = re.compile(r"[-+0-9.eE]+")
_LONG_NUMBER: Final = re.compile(rf"[-+0-9.eE]{{{MAX_NUMBER_CHARS + 1},}}")


class JsonLimitError(ValueError):
    """The text is not JSON we accept; the message says why, in one line."""


def _depth(structure: str) -> int:
    steps = (1 if bracket in "[{" else -1 for bracket in _BRACKET.findall(structure))
    return max(accumulate(steps), default=0)


def _longest_number(structure: str) -> int:
    return max((len(number) for number in _NUMBER.findall(structure)), default=0)


def check_json_text(text: str) -> None:
    """Raise :class:`JsonLimitError` when ``text`` is too large, too deep or holds too long a
    number (strings may hold anything: they are cut out before brackets and digits count)."""
    if len(text) > MAX_JSON_CHARS:
        raise JsonLimitError(f"JSON of {len(text)} characters (at most {MAX_JSON_CHARS})")
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH and not _LONG_NUMBER.search(text):
        return  # the common case, decided without cutting out the strings
    structure = _STRING.sub('""', text)
    depth = _depth(structure)
    if depth > MAX_JSON_DEPTH:
        raise JsonLimitError(f"JSON nested {depth} levels deep (at most {MAX_JSON_DEPTH})")
    longest = _longest_number(structure)
    if longest > MAX_NUMBER_CHARS:
        raise JsonLimitError(f"JSON number of {longest} characters (at most {MAX_NUMBER_CHARS})")


def loads_bounded(text: str | bytes) -> Any:
    """``json.loads`` within the limits above; :class:`JsonLimitError` (one line) otherwise,
    including for text that is not JSON at all."""
    if isinstance(text, bytes):
        try:
            text = text.decode()
        except UnicodeDecodeError:
            raise JsonLimitError("not valid JSON (not UTF-8)") from None
    check_json_text(text)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:  # RecursionError: belt and braces
        reason = error.args[0] if isinstance(error, ValueError) and error.args else "too deep"
        raise JsonLimitError(f"not valid JSON ({str(reason)[:120]})") from None
