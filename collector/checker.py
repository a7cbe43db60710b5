"""Generic type and range checks of untrusted JSON for the record contract (`collector.contract`).

A `Checker` raises InvalidRecordError naming the path and the rule, never the offending value: a record that
smuggles a secret into a field keeps it out of the error, the log line and the dead letter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

MAX_STRING = 1024
MAX_MS = 1e9  # ~11.6 days: far above any Lambda timeout, and inside DynamoDB's number range
MAX_COUNT = 10**12
EARLIEST, LATEST = datetime(2015, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)

_Word = TypeVar("_Word", bound=str)


class InvalidRecordError(Exception):
    """The event breaks the contract: `reason` says where and why, `request_id` names the invocation."""

    def __init__(self, reason: str, request_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request_id = request_id


class Checker:
    """Type and range checks that raise InvalidRecordError naming the path, never the value."""

    def __init__(self, request_id: str | None) -> None:
        self.request_id = request_id

    def fail(self, path: str, rule: str) -> InvalidRecordError:
        return InvalidRecordError(f"{path}: {rule}", self.request_id)

    def obj(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected an object, got {_kind(value)}")
        return value

    def opt_obj(self, value: Any, path: str) -> Mapping[str, Any] | None:
        return None if value is None else self.obj(value, path)

    def seq(self, value: Any, path: str, max_items: int) -> Sequence[Any]:
        if not isinstance(value, list | tuple):
            raise self.fail(path, f"expected an array, got {_kind(value)}")
        if len(value) > max_items:
            raise self.fail(path, f"{len(value)} items, at most {max_items} allowed")
        return value

    def string(
        self,
        value: Any,
        path: str,
        *,
        pattern: re.Pattern[str] | None = None,
        choices: Sequence[str] | None = None,
        max_len: int = MAX_STRING,
    ) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {_kind(value)}")
        if len(value) > max_len:
            raise self.fail(path, f"{len(value)} characters, at most {max_len} allowed")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise self.fail(path, "not valid UTF-8 (lone surrogate)") from None
        if choices is not None and value not in choices:
            raise self.fail(path, f"expected one of {list(choices)}")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(path, f"does not match {pattern.pattern}")
        return value

    def opt_string(self, value: Any, path: str, **kwargs: Any) -> str | None:
        return None if value is None else self.string(value, path, **kwargs)

    def choice(self, value: Any, path: str, vocabulary: tuple[_Word, ...]) -> _Word:
        """A string from a closed vocabulary, typed as that vocabulary."""
        return cast(_Word, self.string(value, path, choices=vocabulary))

    def opt_choice(self, value: Any, path: str, vocabulary: tuple[_Word, ...]) -> _Word | None:
        return None if value is None else self.choice(value, path, vocabulary)

    def integer(self, value: Any, path: str, lo: int = 0, hi: int = MAX_COUNT) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected an integer, got {_kind(value)}")
        if not lo <= value <= hi:
            raise self.fail(path, f"out of range [{lo}, {hi}]")
        return int(value)

    def opt_integer(self, value: Any, path: str, lo: int = 0, hi: int = MAX_COUNT) -> int | None:
        return None if value is None else self.integer(value, path, lo, hi)

    def number(self, value: Any, path: str, hi: float = MAX_MS) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"expected a number, got {_kind(value)}")
        try:
            result = float(value)
        except OverflowError:
            raise self.fail(path, "not a finite number") from None
        if not math.isfinite(result):
            raise self.fail(path, "not a finite number")
        if not 0.0 <= result <= hi:
            raise self.fail(path, f"out of range [0, {hi:g}]")
        return result

    def opt_number(self, value: Any, path: str, hi: float = MAX_MS) -> float | None:
        return None if value is None else self.number(value, path, hi)

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {_kind(value)}")
        return value

    def timestamp(self, value: Any, path: str) -> datetime:
        text = self.string(value, path, max_len=64)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise self.fail(path, "not an ISO-8601 timestamp") from None
        if parsed.tzinfo is None:
            raise self.fail(path, "timestamp has no UTC offset")
        parsed = parsed.astimezone(UTC)
        if not EARLIEST <= parsed < LATEST:
            raise self.fail(path, f"outside {EARLIEST.year}..{LATEST.year}")
        return parsed


def _kind(value: Any) -> str:
    """The JSON kind of a value, for messages that must not echo the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__
