"""The lab's log escaping (lab/logsafe.py) and the extension layer's copy (lab/extension/logsafe.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lab import logsafe
from lab.extension import logsafe as layer_logsafe

LAB = Path(logsafe.__file__).resolve().parent


def _code(path: Path) -> str:
    """The module's code without its docstring."""
    tree = ast.parse(path.read_text())
    tree.body = tree.body[1:]
    return ast.unparse(tree)


def test_the_layer_copy_is_the_same_code() -> None:
    assert _code(LAB / "logsafe.py") == _code(LAB / "extension" / "logsafe.py")


@pytest.mark.parametrize("loggable", [logsafe.loggable, layer_logsafe.loggable])
@pytest.mark.parametrize(
    ("value", "logged"),
    [
        ("plain-id_1/2:3", "plain-id_1/2:3"),
        ("a\nb", "a\\nb"),
        ("a\r\nb\t", "a\\r\\nb\\t"),
        ("\x1b[2J\x00\x7f\x85", "\\x1b[2J\\x00\\x7f\\x85"),
        ("line\u2028sep\u2029", "line\\u2028sep\\u2029"),
        ("back\\nslash", "back\\\\nslash"),  # a literal backslash-n stays apart from an escaped newline
        ("café ✓", "café ✓"),  # printable text is kept as it is
        (None, "None"),
    ],
)
def test_control_characters_are_escaped(loggable, value: object, logged: str) -> None:  # type: ignore[no-untyped-def]
    assert loggable(value) == logged


def test_a_long_value_is_cut_and_its_length_said() -> None:
    text = logsafe.loggable("x" * 5000)
    assert text.startswith("x" * logsafe.LIMIT) and text.endswith("… (5000 characters)")
    assert len(text) < logsafe.LIMIT + 30
