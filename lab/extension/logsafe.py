"""Values taken into the extension emulator's log lines, escaped: one value can never make a line of its own.

A newline, a carriage return, an escape sequence or any other control character (C0, DEL, C1, the
Unicode line and paragraph separators) is written as a Python escape (`\\n`, `\\x1b`, `\\u2028`), a
backslash as two (so the escaped form reads back unambiguously), and a value longer than LIMIT
characters is cut with its length said.
This is the extension layer's own copy of lab/logsafe.py (the layer is self-contained);
tests/unit/lab/test_logsafe.py holds the two equal.
"""

from __future__ import annotations

import re

LIMIT = 300
_UNSAFE = re.compile("[\\\\\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def loggable(value: object) -> str:
    """`value` as text safe inside one log line."""
    text = str(value)
    if len(text) > LIMIT:
        text = f"{text[:LIMIT]}… ({len(text)} characters)"
    return _UNSAFE.sub(_escape, text)
