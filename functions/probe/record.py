"""The probe record, schema v1 (contract §3), built from an allow-list of typed fields.

Nothing here accepts a secret's value: a store result carries only the SHA-256 of the value, and every
error message is cut short and scrubbed of any value the measurement saw before it reaches a result.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from .cgroup import CpuStat
from .config import ProbeConfig
from .stats import ns_to_ms, summarize
from .versions import versions
from .vocabulary import PHASES, MissGuarantee, Phase, Store

SCHEMA_VERSION = 1
MAX_ERRORS = 50
MAX_MESSAGE = 300
REDACTED = "[redacted]"


def value_digest(value: str | bytes) -> str:
    """Hex SHA-256 of a value read from a store (text as UTF-8): proves strategies read the same value."""
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return hashlib.sha256(data).hexdigest()


def _forms(value: str | bytes) -> list[str]:
    """The ways a value could leak into text: itself, hex, base64."""
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    forms = [data.decode("utf-8", "replace"), data.hex(), base64.b64encode(data).decode("ascii")]
    return [form for form in forms if len(form) >= 4]


def redact(message: str, secrets: list[str | bytes]) -> str:
    """`message` cut to a few hundred characters with every form of every known value replaced."""
    for secret in secrets:
        for form in _forms(secret):
            message = message.replace(form, REDACTED)
    message = " ".join(message.split())
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def error_type(exc: BaseException) -> str:
    """The AWS error code when there is one in the chain (ThrottlingException…), else the class name."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        response = getattr(current, "response", None)
        if isinstance(response, dict):
            code = response.get("Error", {}).get("Code")
            if isinstance(code, str) and code:
                return code
        aws_type = getattr(current, "aws_type", None)
        if isinstance(aws_type, str) and aws_type:
            return aws_type
        current = current.__cause__ or current.__context__
    return type(exc).__name__


def _clean_type(kind: str) -> str:
    """An identifier-like error type (letters, digits, `_ .:/-`), at most 128 characters."""
    cleaned = re.sub(r"[^\w .:/\-]", "_", kind)[:128]
    return cleaned or "Error"


@dataclass(frozen=True)
class ErrorInfo:
    """One failure: where it happened, what kind, and a short message without any secret."""

    phase: Phase
    type: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"phase": self.phase, "type": self.type, "message": self.message}


class ErrorLog:
    """Errors of one scope; repeated identical warm-hit errors are folded into one entry with a count."""

    def __init__(self) -> None:
        self._entries: list[list[Any]] = []  # [phase, type, message, count]
        self._index: dict[tuple[str, str, str], int] = {}

    def add(
        self,
        phase: Phase,
        exc: BaseException | None,
        secrets: list[str | bytes],
        *,
        kind: str | None = None,
        message: str | None = None,
    ) -> None:
        """Record a failure in `phase`, from an exception or an explicit kind and message."""
        if phase not in PHASES:
            raise ValueError(f"unknown error phase {phase!r}")
        kind = _clean_type(kind or (error_type(exc) if exc is not None else "Error"))
        text = redact(message if message is not None else (str(exc) if exc is not None else ""), secrets)
        key = (phase, kind, text)
        if key in self._index:
            self._entries[self._index[key]][3] += 1
        elif len(self._entries) < MAX_ERRORS:
            self._index[key] = len(self._entries)
            self._entries.append([phase, kind, text, 1])

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[ErrorInfo]:
        """The errors, in order of first occurrence."""
        return [
            ErrorInfo(phase, kind, redact(f"{text} [{count} times]" if count > 1 else text, []))
            for phase, kind, text, count in self._entries
        ]


@dataclass
class StoreResult:
    """What the measurement of one store produced (timings in perf_counter nanoseconds)."""

    store: Store
    fixture: str
    value_sha256: str | None = None
    ready_wait_ns: int = 0
    ready_retries: int = 0
    cold_miss_ns: int | None = None
    warm_ns: list[int] = field(default_factory=list)
    api_calls: int | None = None
    errors: list[ErrorInfo] = field(default_factory=list)
    # How the first fetch was made a miss; `none`: it may have been a hit, so it is first_hit_ns, not a miss
    miss_guarantee: MissGuarantee | None = None
    first_hit_ns: int | None = None
    cache_age_ns: int | None = None  # the cached entry's age at that first hit
    # Strategies that sign their requests (cloud_extensions): the cold miss's signing, and each warm hit's in
    # the order of warm_ns; None where the strategy does not sign or could not time a warm hit's signing.
    sign_cold_ns: int | None = None
    sign_warm_ns: list[int] | None = None

    def as_dict(self) -> dict[str, Any]:
        warm_ms = [ns_to_ms(ns) for ns in self.warm_ns]
        return {
            "store": self.store,
            "fixture": self.fixture,
            "value_sha256": self.value_sha256,
            "ready_wait_ms": ns_to_ms(self.ready_wait_ns),
            "ready_retries": self.ready_retries,
            "cold_miss_ms": ns_to_ms(self.cold_miss_ns) if self.cold_miss_ns is not None else None,
            "miss_guarantee": self.miss_guarantee,
            "first_hit_ms": ns_to_ms(self.first_hit_ns) if self.first_hit_ns is not None else None,
            "cache_age_ms": ns_to_ms(self.cache_age_ns) if self.cache_age_ns is not None else None,
            "warm_ms": warm_ms,
            "warm_summary": summarize(warm_ms),
            "sign_cold_ms": ns_to_ms(self.sign_cold_ns) if self.sign_cold_ns is not None else None,
            "sign_warm_summary": summarize([ns_to_ms(ns) for ns in self.sign_warm_ns or ()]),
            "api_calls": self.api_calls,
            "errors": [error.as_dict() for error in self.errors[:MAX_ERRORS]],
        }


def throttling_dict(stat: CpuStat | None) -> dict[str, float | int] | None:
    """The record's `throttling` object from a cpu.stat difference, or None when it was not readable."""
    if stat is None:
        return None
    return {
        "nr_periods": stat.nr_periods,
        "nr_throttled": stat.nr_throttled,
        "throttled_time_ms": ns_to_ms(stat.throttled_ns),
    }


def build_record(
    config: ProbeConfig,
    *,
    invocation_id: str,
    started_at: str,
    cold: bool,
    client_init_ns: int | None,
    init_ms: float | None = None,
    cpu_time_ns: int | None,
    throttling: CpuStat | None,
    stores: list[StoreResult],
    errors: list[ErrorInfo],
) -> dict[str, Any]:
    """The schema v1 record: every field named here, nothing passed through."""
    return {
        "schema_version": SCHEMA_VERSION,
        "invocation_id": invocation_id,
        "started_at": started_at,
        "identity": {
            "probe_key": config.probe_key,
            "strategy": config.strategy,
            "memory_mb": config.memory_mb,
            "architecture": config.architecture,
            "runtime": config.runtime,
            "tracing": config.tracing,
            "region": config.region,
            "environment": config.environment,
            "cpu_emulation": config.cpu_emulation,
            "extension_layer": config.extension_layer,
            "function_name": config.function_name,
            "versions": versions(config.strategy, config.tracing),
            "host": config.host,  # the lab machine's CPU and reference time; null on AWS
            **({} if config.prefetch is None else {"prefetch": config.prefetch}),  # cloud_extensions only
        },
        "execution_environment": {"cold": cold, "cold_cause": config.cold_cause if cold else None},
        "init_ms": init_ms if cold else None,  # process start to the end of INIT (initphase); cold only
        "client_init_ms": ns_to_ms(client_init_ns) if client_init_ns is not None else None,
        "cpu_time_ms": ns_to_ms(cpu_time_ns) if cpu_time_ns is not None else None,
        "throttling": throttling_dict(throttling),
        "stores": [store.as_dict() for store in stores],
        "errors": [error.as_dict() for error in errors[:MAX_ERRORS]],
    }
