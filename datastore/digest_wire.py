"""The digest wire format: the one place that spells a digest's short keys, writing and reading them.

A digest (`digest.ProbeDigest`) travels and is stored as JSON-ready dicts with short keys, because a day of a
200-probe fleet is thousands of them (`digest_table` packs them into table items). `encode` writes that form;
`read_fields` reads it back into plain named values (no objects, nothing copied: the dashboard turns
thousands of them into arrays); `decode` turns those into a `ProbeDigest`. Nothing else reads or writes a
short key.

    {"f": 1, "p": probe_key, "s": strategy, "mb": memory_mb, "a": architecture, "t0": start, "h": hours,
     "env": environment, "rg": region, "rt": runtime, "tr": tracing, "pf": prefetch (cloud_extensions only),
     "inv": [invocations, not_ok, cold_starts], "cpu": [cpu_time_ms, cpu_measured],
     "thr": [throttled_periods, total_periods, throttle_measured], "last": [ts, status, error_types],
     "seen": {field: [values]}, "fs": {field: {value: first ts}},
     "stores": {store: {"st": {status: rows}, "et": {type: count}, "wn": warm samples,
                        "api": [api_calls, api_rows, api_fetches],
                        "m": {metric: [n, min, max, sum, sketch wire (`sketch.Sketch.to_wire`)]},
                        "cu": cold misses left out as possibly hits}}}

Digests from before runtime and tracing were part of a probe's identity have no `rt` / `tr` (runtime None,
tracing `subsegments`, the only mode there was); early ones have no `fs`. `pf` is present only for a strategy
with prefetch variants (digests from before it: prefetch None). Digests from before cold misses were judged
and split by cold start have no `cu` and no `cold_miss_cold_start` / `first_hit` metrics: they read as
unsplit (`cold_unknown` None), their `cold_miss` pooling every first fetch stored as a miss.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from .digest import DigestError, MetricDigest, ProbeDigest, StoreDigest, ts_text
from .sketch import Sketch, Wire
from .vocabulary import DEFAULT_TRACING, STATUSES

WIRE_FORMAT = 1


def _round(value: float | None) -> float | None:
    """Milliseconds to the nanosecond, as rows store them: shorter JSON, faster to read back."""
    return None if value is None else round(value, 6)


# ------------------------------------------------------------------------------------------------- writing
def encode_metric(digest: MetricDigest) -> list[Any]:
    return [digest.n, digest.min, digest.max, _round(digest.sum), digest.sketch.to_wire()]


def encode_store(digest: StoreDigest) -> dict[str, Any]:
    return {
        "st": digest.statuses,
        "et": digest.error_types,
        "wn": digest.warm_n,
        "api": [digest.api_calls, digest.api_rows, digest.api_fetches],
        "m": {name: encode_metric(d) for name, d in digest.metrics.items() if d.n},
        **({"cu": digest.cold_unknown} if digest.cold_unknown is not None else {}),
    }


def encode(digest: ProbeDigest) -> dict[str, Any]:
    """A digest's wire form: JSON-ready, short keys."""
    return {
        "f": WIRE_FORMAT,
        "p": digest.probe_key,
        "s": digest.strategy,
        "mb": digest.memory_mb,
        "a": digest.architecture,
        "t0": ts_text(digest.start),
        "h": digest.hours,
        "env": digest.environment,
        "rg": digest.region,
        "rt": digest.runtime,
        "tr": digest.tracing,
        **({"pf": digest.prefetch} if digest.prefetch is not None else {}),
        "inv": [digest.invocations, digest.not_ok, digest.cold_starts],
        "cpu": [_round(digest.cpu_time_ms), digest.cpu_measured],
        "thr": [digest.throttled_periods, digest.total_periods, digest.throttle_measured],
        "last": [digest.last_ts, digest.last_status, digest.last_error_types],
        "seen": digest.seen,
        "fs": digest.first_seen,
        "stores": {name: encode_store(d) for name, d in sorted(digest.stores.items())},
    }


# ------------------------------------------------------------------------------------------------- reading
class MetricFields(NamedTuple):
    """One latency metric of a store as stored: exact n, min, max, sum and the sketch's wire form.

    The `*Fields` values are the stored JSON values, unconverted (`decode` makes them ints and floats)."""

    n: int
    min: float | None
    max: float | None
    sum: float
    sketch: Wire


class StoreFields(NamedTuple):
    """One store of a digest as stored; `metrics` holds only the metrics that have values."""

    store: str
    statuses: Mapping[str, int]  # rows per status, as stored (a status without rows may be absent)
    error_types: Mapping[str, int]
    warm_n: int
    api_calls: int | None
    api_rows: int
    api_fetches: int
    metrics: dict[str, MetricFields]
    cold_unknown: int | None = None  # None: a digest from before cold misses were split (`cu` absent)


class ProbeFields(NamedTuple):
    """A digest as stored, under the long names of `ProbeDigest`'s fields (`start` left as its text)."""

    probe_key: str
    strategy: str
    memory_mb: int
    architecture: str
    start: str  # `digest.ts_text` of the bucket's first instant
    hours: int
    environment: str | None
    region: str | None
    runtime: str | None  # None in digests from before runtime was a dimension
    tracing: str
    invocations: int
    not_ok: int
    cold_starts: int
    cpu_time_ms: float | None
    cpu_measured: int
    throttled_periods: int | None
    total_periods: int | None
    throttle_measured: int
    last_ts: str
    last_status: str
    last_error_types: str
    seen: Mapping[str, list[str]]
    first_seen: Mapping[str, Mapping[str, str]]
    stores: list[StoreFields]  # by store name
    prefetch: bool | None = None  # cloud_extensions' variant; None for other strategies and older digests


def read_store_fields(store: str, wire: Mapping[str, Any]) -> StoreFields:
    """One store's wire form read into named values."""
    calls, rows, fetches = wire.get("api", [None, 0, 0])
    metrics = {}
    for name, (n, low, high, total, sketch) in wire.get("m", {}).items():
        metrics[name] = MetricFields(n, low, high, total, sketch)
    return StoreFields(
        store=store,
        statuses=wire["st"],
        error_types=wire.get("et", {}),
        warm_n=wire.get("wn", 0),
        api_calls=calls,
        api_rows=rows,
        api_fetches=fetches,
        metrics=metrics,
        cold_unknown=wire.get("cu"),
    )


def read_fields(wire: Mapping[str, Any]) -> ProbeFields:
    """A digest's wire form read into named values (DigestError for another format)."""
    if wire.get("f") != WIRE_FORMAT:
        raise DigestError(f"unknown digest format {wire.get('f')!r}; this code reads {WIRE_FORMAT}")
    invocations, not_ok, cold = wire["inv"]
    cpu, cpu_n = wire["cpu"]
    throttled, total, thr_n = wire["thr"]
    last_ts, last_status, last_types = wire["last"]
    return ProbeFields(
        probe_key=wire["p"],
        strategy=wire["s"],
        memory_mb=wire["mb"],
        architecture=wire["a"],
        start=wire["t0"],
        hours=wire["h"],
        environment=wire.get("env"),
        region=wire.get("rg"),
        runtime=wire.get("rt"),
        tracing=wire.get("tr") or DEFAULT_TRACING,
        invocations=invocations,
        not_ok=not_ok,
        cold_starts=cold,
        cpu_time_ms=cpu,
        cpu_measured=cpu_n,
        throttled_periods=throttled,
        total_periods=total,
        throttle_measured=thr_n,
        last_ts=last_ts,
        last_status=last_status,
        last_error_types=last_types,
        seen=wire.get("seen", {}),
        first_seen=wire.get("fs", {}),
        stores=[read_store_fields(name, w) for name, w in sorted(wire.get("stores", {}).items())],
        prefetch=wire.get("pf"),
    )


def decode_metric(fields: MetricFields) -> MetricDigest:
    sketch = Sketch.from_wire(fields.sketch)
    return MetricDigest(int(fields.n), fields.min, fields.max, float(fields.sum), sketch)


def decode_store(fields: StoreFields) -> StoreDigest:
    digest = StoreDigest(
        store=fields.store,
        statuses={**dict.fromkeys(STATUSES, 0), **{k: int(v) for k, v in fields.statuses.items()}},
        error_types={k: int(v) for k, v in fields.error_types.items()},
        warm_n=int(fields.warm_n),
        api_calls=None if fields.api_calls is None else int(fields.api_calls),
        api_rows=int(fields.api_rows),
        api_fetches=int(fields.api_fetches),
        cold_unknown=None if fields.cold_unknown is None else int(fields.cold_unknown),
    )
    digest.metrics.update({name: decode_metric(m) for name, m in fields.metrics.items()})
    return digest


def decode(wire: Mapping[str, Any]) -> ProbeDigest:
    """Inverse of encode."""
    fields = read_fields(wire)
    return ProbeDigest(
        probe_key=fields.probe_key,
        strategy=fields.strategy,
        memory_mb=int(fields.memory_mb),
        architecture=fields.architecture,
        start=datetime.fromisoformat(fields.start.replace("Z", "+00:00")),
        hours=int(fields.hours),
        environment=fields.environment,
        region=fields.region,
        runtime=fields.runtime,
        tracing=fields.tracing,
        invocations=int(fields.invocations),
        not_ok=int(fields.not_ok),
        cold_starts=int(fields.cold_starts),
        cpu_time_ms=fields.cpu_time_ms,
        cpu_measured=int(fields.cpu_measured),
        throttled_periods=fields.throttled_periods,
        total_periods=fields.total_periods,
        throttle_measured=int(fields.throttle_measured),
        last_ts=fields.last_ts,
        last_status=fields.last_status,
        last_error_types=fields.last_error_types,
        seen={k: list(v) for k, v in fields.seen.items()},
        first_seen={k: dict(v) for k, v in fields.first_seen.items()},
        stores={s.store: decode_store(s) for s in fields.stores},
        prefetch=fields.prefetch,
    )
