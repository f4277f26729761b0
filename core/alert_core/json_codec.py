"""JSON on the operator's hot paths (request bodies, answers, watch events, hashes) with orjson,
and the standard library where orjson would give another result.

A cold sync encodes and decodes each CronJob several times; the standard library's encoder was
a tenth of the operator's CPU per created CronJob (BENCHMARKS.md), orjson's is a twentieth of
that. What the two libraries do differently is handled here, once:

- orjson refuses what the standard library accepts (lone surrogates, integers beyond 64 bits):
  those values take the standard library's path, so nothing that worked before fails now;
- :func:`canonical` must stay byte for byte what ``json.dumps(sort_keys=True,
  separators=(",", ":"), ensure_ascii=True)`` gave (the spec-hash annotations of the CronJobs
  in clusters were made with it): orjson writes non-ASCII and DEL unescaped, so its result is
  used only when it is printable ASCII, where both write the same. Floats would differ too
  (``1e16`` vs ``1e+16``): the managed objects hold none (tests/core/test_json_codec.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_DEL = b"\x7f"


def dumps(value: Any) -> bytes:
    """Compact JSON, UTF-8."""
    try:
        return orjson.dumps(value)
    except TypeError:  # a lone surrogate, an integer beyond 64 bits, a non-str key
        return json.dumps(value, separators=(",", ":")).encode()


def loads(raw: bytes | str) -> Any:
    """Parse JSON (``ValueError`` when it is not)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)  # what orjson refuses and json accepts (a lone surrogate escape)


def canonical(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """Sorted keys, no spaces, ASCII only: the same bytes in every process and version.
    ``default``: what a value JSON has no type for becomes (as ``json.dumps``'s)."""
    try:
        fast = orjson.dumps(value, default=default, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        fast = b"\x80"  # not ASCII: the standard library's path
    if fast.isascii() and _DEL not in fast:
        return fast
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      default=default).encode()
