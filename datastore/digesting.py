"""Digesting: rows of a UTC day (or hour) folded into one digest per probe and bucket (`digest.ProbeDigest`).

Pure: rows in, digests out, no AWS. The compactor digests each closed day from the table's rows; the dashboard
digests the rows of days not digested yet the same way, so every figure it draws comes from one kind of data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .digest import (
    SEEN_FIELDS,
    Bucket,
    DigestError,
    ProbeDigest,
    StoreDigest,
    bucket_start,
    note_first_seen,
    number_or_none,
    seen_text,
    text_or_none,
    ts_text,
)
from .vocabulary import DEFAULT_TRACING, STATUSES

# The vocabulary lists the statuses mildest first: a later one outranks an earlier one.
SEVERITY: dict[str, int] = {status: rank for rank, status in enumerate(STATUSES)}


class _Invocation:
    __slots__ = ("bad",)

    def __init__(self) -> None:
        self.bad = False


def _identity(probe_key: str, row: Mapping[str, Any]) -> tuple[str, int, str]:
    strategy, architecture = text_or_none(row.get("strategy")), text_or_none(row.get("architecture"))
    memory = number_or_none(row.get("memory_mb"))
    if strategy is None or architecture is None or memory is None:
        raise DigestError(f"a row of {probe_key} lacks strategy, memory_mb or architecture")
    return strategy, int(memory), architecture


def digest_rows(rows: Iterable[Mapping[str, Any]], bucket: Bucket = "day") -> list[ProbeDigest]:
    """Fold rows (contract §4 columns; `ts` a datetime or text) into one digest per probe and bucket.

    Streams: memory holds the digests and the ids of the bucket's invocations, never the rows. Values of the
    invocation (CPU time, throttling, cold start) are counted once per invocation, however many store rows.
    """
    probes: dict[tuple[datetime, str], ProbeDigest] = {}
    invocations: dict[tuple[datetime, str], dict[str, _Invocation]] = {}
    for row in rows:
        probe_key = text_or_none(row.get("probe_key"))
        invocation_id = text_or_none(row.get("invocation_id"))
        if probe_key is None or invocation_id is None:
            raise DigestError("every row needs probe_key and invocation_id")
        ts = ts_text(row.get("ts"))
        start = bucket_start(ts, bucket)
        slot = (start, probe_key)
        digest = probes.get(slot)
        if digest is None:
            strategy, memory_mb, architecture = _identity(probe_key, row)
            digest = probes[slot] = ProbeDigest(
                probe_key, strategy, memory_mb, architecture, start, 24 if bucket == "day" else 1
            )
            invocations[slot] = {}
        digest.environment = digest.environment or text_or_none(row.get("environment"))
        digest.region = digest.region or text_or_none(row.get("region"))
        prefetch = _flag(row.get("prefetch"))  # null (pandas <NA>) for other strategies and older rows
        digest.prefetch = prefetch if prefetch is not None else digest.prefetch
        status = str(row.get("status") or "ok")
        if ts >= digest.last_ts:  # identity of the latest invocation (a runtime can change inside a bucket)
            digest.runtime = text_or_none(row.get("runtime")) or digest.runtime
            digest.tracing = text_or_none(row.get("tracing")) or DEFAULT_TRACING
        seen_here = invocations[slot]
        invocation = seen_here.get(invocation_id)
        if invocation is None:
            invocation = seen_here[invocation_id] = _Invocation()
            _add_invocation(digest, row)
        invocation.bad = invocation.bad or status != "ok"
        _track_last(digest, ts, status, text_or_none(row.get("error_types")) or "")
        for name in SEEN_FIELDS:
            value = seen_text(name, row.get(name))
            if value is None:
                continue
            if value not in digest.seen.get(name, []):
                digest.seen[name] = sorted([*digest.seen.get(name, []), value])
            note_first_seen(digest, name, value, ts)
        store = text_or_none(row.get("store")) or "none"
        if store not in digest.stores:
            digest.stores[store] = StoreDigest(store)
        digest.stores[store].add_row(row)
    for slot, digest in probes.items():
        digest.invocations = len(invocations[slot])
        digest.not_ok = sum(1 for inv in invocations[slot].values() if inv.bad)
    return sorted(probes.values(), key=lambda d: (d.start, d.probe_key))


def _add_invocation(digest: ProbeDigest, row: Mapping[str, Any]) -> None:
    """The once-per-invocation values of the invocation's first row."""
    if row.get("cold_start") is True:
        digest.cold_starts += 1
    cpu = number_or_none(row.get("cpu_time_ms"))
    if cpu is not None:
        digest.cpu_time_ms = (digest.cpu_time_ms or 0.0) + cpu
        digest.cpu_measured += 1
    throttled, total = number_or_none(row.get("throttled_periods")), number_or_none(row.get("total_periods"))
    if throttled is not None and total is not None:
        digest.throttled_periods = (digest.throttled_periods or 0) + int(throttled)
        digest.total_periods = (digest.total_periods or 0) + int(total)
        digest.throttle_measured += 1


def _track_last(digest: ProbeDigest, ts: str, status: str, error_types: str) -> None:
    """The last invocation's status: failed if any of its rows failed, error if any reported errors."""
    if ts > digest.last_ts:
        digest.last_ts, digest.last_status, digest.last_error_types = ts, status, ""
    elif ts < digest.last_ts:
        return
    elif SEVERITY.get(status, 1) > SEVERITY.get(digest.last_status, 1):
        digest.last_status = status
    if status != "ok" and error_types:
        kinds = set(digest.last_error_types.split(",")) | set(error_types.split(","))
        digest.last_error_types = ",".join(sorted(k for k in kinds if k))


def _flag(value: Any) -> bool | None:
    """A nullable boolean cell (Python, numpy or pandas) as True or False; None for null, NaN and NA."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    try:
        return bool(value)
    except TypeError:  # pandas NA
        return None
