"""Digests: the rows of one UTC day (or hour) of one probe, folded into a small, mergeable summary.

Pure: rows in, digests out, no AWS. The compactor digests each closed day from the table's rows; the dashboard
digests the rows of days not digested yet the same way, so every figure it draws comes from one kind of data.

Per probe and bucket (`ProbeDigest`): invocations and how many were not ok, cold starts, CPU time and CFS
throttling totals (null when never measured: "not measured" is not 0), the last invocation's time and status,
and the set of values seen of every field that can explain a shift (runtime, layer, versions, build, the lab
host's CPU and reference time), with when each was first seen; identity includes the runtime and tracing
of the bucket's last invocation. Per store (`StoreDigest`): rows by status, error types with counts, API
calls, and for each latency metric (`MetricDigest`: cold miss, every warm hit, client init, not-ready wait)
the exact count, min, max and sum and a DDSketch (`collector.sketch`, 1 % relative accuracy). Every part
merges: a week is the merge of its days.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from .sketch import Sketch
from .vocabulary import DEFAULT_TRACING

Bucket = Literal["day", "hour"]
METRICS = ("cold_miss", "warm_hit", "client_init", "ready_wait")
METRIC_COLUMNS = {"cold_miss": "cold_miss_ms", "client_init": "client_init_ms", "ready_wait": "ready_wait_ms"}
STATUSES = ("ok", "error", "failed")
# Row fields whose values are kept per bucket, so a level shift can be matched with what changed that day.
SEEN_FIELDS = (
    "runtime",
    "python_version",
    "boto3_version",
    "botocore_version",
    "library_version",
    "build_digest",
    "extension_layer",
    "cpu_emulation",
    "host_cpu",  # the lab machine (null on AWS)
    "host_ref_ms",  # its reference workload's time at the lab's start, as text with one decimal
)
WIRE_FORMAT = 1


class DigestError(ValueError):
    """Rows or a wire form that cannot be digested (a missing key, a foreign format)."""


def _number(value: Any) -> float | None:
    """A finite float, or None for missing / NaN / pandas NA."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text if text and text != "nan" else None


def _seen_text(name: str, value: Any) -> str | None:
    """A seen field's value as text; `host_ref_ms` with one decimal (it varies a little per lab start)."""
    if name == "host_ref_ms":
        number = _number(value)
        return None if number is None else f"{number:.1f}"
    return _text(value)


def _round(value: float | None) -> float | None:
    """Milliseconds to the nanosecond, as rows store them: shorter JSON, faster to read back."""
    return None if value is None else round(value, 6)


def ts_text(value: Any) -> str:
    """A row's `ts` as fixed-width ISO-8601 UTC text (`2026-11-27T05:00:00.123456Z`), which sorts in time."""
    if isinstance(value, str):
        if len(value) == 27 and value.endswith("Z"):
            return value
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        ts = value if value.tzinfo else value.replace(tzinfo=UTC)
        return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    raise DigestError("a row's ts must be a datetime or ISO-8601 text")


def bucket_start(ts: str, bucket: Bucket) -> datetime:
    """Midnight (day) or the full hour (hour) that holds `ts` (ts_text form), UTC."""
    if bucket == "day":
        return datetime.fromisoformat(ts[:10]).replace(tzinfo=UTC)
    return datetime.fromisoformat(ts[:13] + ":00:00").replace(tzinfo=UTC)


# ----------------------------------------------------------------------------------------------- the parts
@dataclass
class MetricDigest:
    """One latency metric: exact count, min, max and sum; the sketch for every quantile."""

    n: int = 0
    min: float | None = None
    max: float | None = None
    sum: float = 0.0
    sketch: Sketch = field(default_factory=Sketch)

    def add(self, value: float) -> None:
        self.add_all([value])

    def add_all(self, values: list[float]) -> None:
        if not values:
            return
        low, high = min(values), max(values)
        self.min = low if self.min is None else min(self.min, low)
        self.max = high if self.max is None else max(self.max, high)
        self.n += len(values)
        self.sum += math.fsum(values)
        self.sketch.add_all(values)

    def merge(self, other: MetricDigest) -> None:
        if not other.n:
            return
        assert other.min is not None and other.max is not None
        self.min = other.min if self.min is None else min(self.min, other.min)
        self.max = other.max if self.max is None else max(self.max, other.max)
        self.n += other.n
        self.sum += other.sum
        self.sketch.merge(other.sketch)

    @property
    def mean(self) -> float | None:
        return self.sum / self.n if self.n else None

    def quantile(self, q: float) -> float | None:
        """q (0-1) from the sketch, clamped to the exact min and max."""
        value = self.sketch.quantile(q)
        if value is None or self.min is None or self.max is None:
            return None
        return min(max(value, self.min), self.max)

    def to_wire(self) -> list[Any]:
        return [self.n, self.min, self.max, _round(self.sum), self.sketch.to_wire()]

    @classmethod
    def from_wire(cls, wire: Any) -> MetricDigest:
        n, low, high, total, sketch = wire
        return cls(int(n), low, high, float(total), Sketch.from_wire(sketch))


@dataclass
class StoreDigest:
    """One store of one probe in one bucket: rows by status, error types, API calls, the four metrics."""

    store: str
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    error_types: dict[str, int] = field(default_factory=dict)
    warm_n: int = 0  # warm samples
    api_calls: int | None = None  # sum over the rows that counted them; None when none did
    api_rows: int = 0  # rows that counted their API calls
    api_fetches: int = 0  # fetches (1 miss + warm hits) of those rows: `sdk` calls per fetch
    metrics: dict[str, MetricDigest] = field(default_factory=lambda: {m: MetricDigest() for m in METRICS})

    @property
    def rows(self) -> int:
        return sum(self.statuses.values())

    def add_row(self, row: Mapping[str, Any]) -> None:
        status = str(row.get("status") or "ok")
        self.statuses[status] = self.statuses.get(status, 0) + 1
        for kind in (_text(row.get("error_types")) or "").split(","):
            if kind:
                self.error_types[kind] = self.error_types.get(kind, 0) + 1
        samples = row.get("warm_ms")
        warm = [float(v) for v in samples] if samples is not None else []
        warm = [v for v in warm if math.isfinite(v)]
        self.warm_n += len(warm)
        self.metrics["warm_hit"].add_all(warm)
        for metric, column in METRIC_COLUMNS.items():
            value = _number(row.get(column))
            if value is not None:
                self.metrics[metric].add(value)
        calls = _number(row.get("api_calls"))
        if calls is not None:
            self.api_calls = (self.api_calls or 0) + int(calls)
            self.api_rows += 1
            self.api_fetches += len(warm) + 1

    def merge(self, other: StoreDigest) -> None:
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n
        for kind, n in other.error_types.items():
            self.error_types[kind] = self.error_types.get(kind, 0) + n
        self.warm_n += other.warm_n
        if other.api_calls is not None:
            self.api_calls = (self.api_calls or 0) + other.api_calls
        self.api_rows += other.api_rows
        self.api_fetches += other.api_fetches
        for metric, digest in other.metrics.items():
            self.metrics.setdefault(metric, MetricDigest()).merge(digest)

    def to_wire(self) -> dict[str, Any]:
        return {
            "st": self.statuses,
            "et": self.error_types,
            "wn": self.warm_n,
            "api": [self.api_calls, self.api_rows, self.api_fetches],
            "m": {name: d.to_wire() for name, d in self.metrics.items() if d.n},
        }

    @classmethod
    def from_wire(cls, store: str, wire: Mapping[str, Any]) -> StoreDigest:
        metrics = {m: MetricDigest() for m in METRICS}
        metrics.update({name: MetricDigest.from_wire(w) for name, w in wire.get("m", {}).items()})
        calls, rows, fetches = wire.get("api", [None, 0, 0])
        return cls(
            store=store,
            statuses={**dict.fromkeys(STATUSES, 0), **{k: int(v) for k, v in wire["st"].items()}},
            error_types={k: int(v) for k, v in wire.get("et", {}).items()},
            warm_n=int(wire.get("wn", 0)),
            api_calls=None if calls is None else int(calls),
            api_rows=int(rows),
            api_fetches=int(fetches),
            metrics=metrics,
        )


@dataclass
class ProbeDigest:
    """One probe in one bucket (a UTC day, or an hour): invocation totals, what was seen, its stores."""

    probe_key: str
    strategy: str
    memory_mb: int
    architecture: str
    start: datetime  # the bucket's first instant, UTC
    hours: int = 24  # the bucket's length: 24 (a day) or 1; a merge spans more
    environment: str | None = None
    region: str | None = None
    runtime: str | None = None  # the runtime of the bucket's last invocation that said it
    tracing: str = DEFAULT_TRACING  # of the bucket's last invocation; older digests and rows: subsegments
    invocations: int = 0
    not_ok: int = 0  # invocations with any row not ok
    cold_starts: int = 0
    cpu_time_ms: float | None = None  # sum over the invocations that measured it
    cpu_measured: int = 0
    throttled_periods: int | None = None  # sums over the invocations whose cgroup was readable; else None
    total_periods: int | None = None
    throttle_measured: int = 0
    last_ts: str = ""  # ts_text of the bucket's last invocation
    last_status: str = "ok"
    last_error_types: str = ""
    seen: dict[str, list[str]] = field(default_factory=dict)
    # per field, when each value seen was first seen in the bucket (ts_text): orders two values of one bucket
    first_seen: dict[str, dict[str, str]] = field(default_factory=dict)
    stores: dict[str, StoreDigest] = field(default_factory=dict)

    def merge(self, other: ProbeDigest) -> None:
        """Fold a digest of the same probe (another bucket or the same one) into this one."""
        if other.probe_key != self.probe_key:
            raise DigestError(f"cannot merge {other.probe_key} into {self.probe_key}")
        end = max(self.start + timedelta(hours=self.hours), other.start + timedelta(hours=other.hours))
        self.start = min(self.start, other.start)
        self.hours = int((end - self.start).total_seconds() // 3600)
        self.environment = self.environment or other.environment
        self.region = self.region or other.region
        if other.last_ts > self.last_ts or self.runtime is None:
            self.runtime = other.runtime or self.runtime
        if other.last_ts > self.last_ts:
            self.tracing = other.tracing
        self.invocations += other.invocations
        self.not_ok += other.not_ok
        self.cold_starts += other.cold_starts
        if other.cpu_time_ms is not None:
            self.cpu_time_ms = (self.cpu_time_ms or 0.0) + other.cpu_time_ms
        self.cpu_measured += other.cpu_measured
        if other.throttled_periods is not None:
            self.throttled_periods = (self.throttled_periods or 0) + other.throttled_periods
        if other.total_periods is not None:
            self.total_periods = (self.total_periods or 0) + other.total_periods
        self.throttle_measured += other.throttle_measured
        if other.last_ts > self.last_ts:
            self.last_ts, self.last_status, self.last_error_types = (
                other.last_ts,
                other.last_status,
                other.last_error_types,
            )
        for name, values in other.seen.items():
            self.seen[name] = sorted(set(self.seen.get(name, [])) | set(values))
        for name, times in other.first_seen.items():
            for value, ts in times.items():
                _note_first_seen(self, name, value, ts)
        for store, digest in other.stores.items():
            if store in self.stores:
                self.stores[store].merge(digest)
            else:
                self.stores[store] = StoreDigest.from_wire(store, digest.to_wire())

    def to_wire(self) -> dict[str, Any]:
        """JSON-ready, short keys (a day of a 200-probe fleet is thousands of these)."""
        return {
            "f": WIRE_FORMAT,
            "p": self.probe_key,
            "s": self.strategy,
            "mb": self.memory_mb,
            "a": self.architecture,
            "t0": ts_text(self.start),
            "h": self.hours,
            "env": self.environment,
            "rg": self.region,
            "rt": self.runtime,
            "tr": self.tracing,
            "inv": [self.invocations, self.not_ok, self.cold_starts],
            "cpu": [_round(self.cpu_time_ms), self.cpu_measured],
            "thr": [self.throttled_periods, self.total_periods, self.throttle_measured],
            "last": [self.last_ts, self.last_status, self.last_error_types],
            "seen": self.seen,
            "fs": self.first_seen,
            "stores": {name: d.to_wire() for name, d in sorted(self.stores.items())},
        }

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> ProbeDigest:
        if wire.get("f") != WIRE_FORMAT:
            raise DigestError(f"unknown digest format {wire.get('f')!r}; this code reads {WIRE_FORMAT}")
        invocations, not_ok, cold = wire["inv"]
        cpu, cpu_n = wire["cpu"]
        throttled, total, thr_n = wire["thr"]
        last_ts, last_status, last_types = wire["last"]
        return cls(
            probe_key=wire["p"],
            strategy=wire["s"],
            memory_mb=int(wire["mb"]),
            architecture=wire["a"],
            start=datetime.fromisoformat(wire["t0"].replace("Z", "+00:00")),
            hours=int(wire["h"]),
            environment=wire.get("env"),
            region=wire.get("rg"),
            runtime=wire.get("rt"),  # absent in digests from before runtime and tracing were dimensions
            tracing=wire.get("tr") or DEFAULT_TRACING,
            invocations=int(invocations),
            not_ok=int(not_ok),
            cold_starts=int(cold),
            cpu_time_ms=cpu,
            cpu_measured=int(cpu_n),
            throttled_periods=throttled,
            total_periods=total,
            throttle_measured=int(thr_n),
            last_ts=last_ts,
            last_status=last_status,
            last_error_types=last_types,
            seen={k: list(v) for k, v in wire.get("seen", {}).items()},
            first_seen={k: dict(v) for k, v in wire.get("fs", {}).items()},  # absent in early digests
            stores={name: StoreDigest.from_wire(name, w) for name, w in wire.get("stores", {}).items()},
        )


# ------------------------------------------------------------------------------------------------ digesting
class _Invocation:
    __slots__ = ("bad",)

    def __init__(self) -> None:
        self.bad = False


def _identity(probe_key: str, row: Mapping[str, Any]) -> tuple[str, int, str]:
    strategy, architecture = _text(row.get("strategy")), _text(row.get("architecture"))
    memory = _number(row.get("memory_mb"))
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
        probe_key = _text(row.get("probe_key"))
        invocation_id = _text(row.get("invocation_id"))
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
        digest.environment = digest.environment or _text(row.get("environment"))
        digest.region = digest.region or _text(row.get("region"))
        status = str(row.get("status") or "ok")
        if ts >= digest.last_ts:  # identity of the latest invocation (a runtime can change inside a bucket)
            digest.runtime = _text(row.get("runtime")) or digest.runtime
            digest.tracing = _text(row.get("tracing")) or DEFAULT_TRACING
        seen_here = invocations[slot]
        invocation = seen_here.get(invocation_id)
        if invocation is None:
            invocation = seen_here[invocation_id] = _Invocation()
            _add_invocation(digest, row)
        invocation.bad = invocation.bad or status != "ok"
        _track_last(digest, ts, status, _text(row.get("error_types")) or "")
        for name in SEEN_FIELDS:
            value = _seen_text(name, row.get(name))
            if value is None:
                continue
            if value not in digest.seen.get(name, []):
                digest.seen[name] = sorted([*digest.seen.get(name, []), value])
            _note_first_seen(digest, name, value, ts)
        store = _text(row.get("store")) or "none"
        if store not in digest.stores:
            digest.stores[store] = StoreDigest(store)
        digest.stores[store].add_row(row)
    for slot, digest in probes.items():
        digest.invocations = len(invocations[slot])
        digest.not_ok = sum(1 for inv in invocations[slot].values() if inv.bad)
    return sorted(probes.values(), key=lambda d: (d.start, d.probe_key))


def _note_first_seen(digest: ProbeDigest, name: str, value: str, ts: str) -> None:
    """Keep the earliest time `value` of field `name` was seen (rows arrive in any order)."""
    times = digest.first_seen.setdefault(name, {})
    if value not in times or ts < times[value]:
        times[value] = ts


def _add_invocation(digest: ProbeDigest, row: Mapping[str, Any]) -> None:
    """The once-per-invocation values of the invocation's first row."""
    if row.get("cold_start") is True:
        digest.cold_starts += 1
    cpu = _number(row.get("cpu_time_ms"))
    if cpu is not None:
        digest.cpu_time_ms = (digest.cpu_time_ms or 0.0) + cpu
        digest.cpu_measured += 1
    throttled, total = _number(row.get("throttled_periods")), _number(row.get("total_periods"))
    if throttled is not None and total is not None:
        digest.throttled_periods = (digest.throttled_periods or 0) + int(throttled)
        digest.total_periods = (digest.total_periods or 0) + int(total)
        digest.throttle_measured += 1


def _track_last(digest: ProbeDigest, ts: str, status: str, error_types: str) -> None:
    """The last invocation's status: failed if any of its rows failed, error if any reported errors."""
    rank = {"ok": 0, "error": 1, "failed": 2}
    if ts > digest.last_ts:
        digest.last_ts, digest.last_status, digest.last_error_types = ts, status, ""
    elif ts < digest.last_ts:
        return
    elif rank.get(status, 1) > rank.get(digest.last_status, 1):
        digest.last_status = status
    if status != "ok" and error_types:
        kinds = set(digest.last_error_types.split(",")) | set(error_types.split(","))
        digest.last_error_types = ",".join(sorted(k for k in kinds if k))


def merge_digests(digests: Iterable[ProbeDigest]) -> list[ProbeDigest]:
    """One digest per probe: the merge of all its buckets given (a week, a month)."""
    merged: dict[str, ProbeDigest] = {}
    for digest in digests:
        if digest.probe_key in merged:
            merged[digest.probe_key].merge(digest)
        else:
            merged[digest.probe_key] = ProbeDigest.from_wire(digest.to_wire())
    return [merged[k] for k in sorted(merged)]
