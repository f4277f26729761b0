"""Text from the database (alert names, run errors) made safe to show on a terminal.

Names are written by the application's users and run errors can carry an HTTP reason phrase or
a Job condition's message: an ESC sequence in them would retitle the terminal, clear the screen
or recolour what follows; a CR would overwrite the line; a bidi override would show the text
reversed. Every human-readable output shows such characters as escapes instead; machine output
(JSON, YAML) keeps the exact text.
"""

from __future__ import annotations

import re
from typing import Final

# C0 controls, DEL, C1 controls (ESC's 8-bit forms: CSI is \x9b), line and paragraph
# separators, and the bidi embeddings, overrides, isolates and marks.
_UNSAFE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` on one line with every control or bidi character as an escape (``\\x1b``)."""
    return _UNSAFE.sub(_escape, text)
