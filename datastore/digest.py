"""Digests: the rows of one UTC day (or hour) of one probe, folded into a small, mergeable summary.

Pure, no AWS. `digesting.digest_rows` folds rows into these; `merge_digests` merges buckets (a week is the
merge of its days); `digest_wire` writes and reads their wire form; `digest_table` stores them in the table.

Per probe and bucket (`ProbeDigest`): invocations and how many were not ok, cold starts, CPU time and CFS
throttling totals (null when never measured: "not measured" is not 0), the last invocation's time and status,
and the set of values seen of every field that can explain a shift (runtime, layer, versions, build, the lab
host's CPU and reference time), with when each was first seen; identity includes the runtime and tracing
of the bucket's last invocation. Per store (`StoreDigest`): rows by status, error types with counts, API
calls, and for each latency metric (`MetricDigest`: cold miss, every warm hit, client init, not-ready wait)
the exact count, min, max and sum and a DDSketch (`sketch`, 1 % relative accuracy). Every part
merges: a week is the merge of its days. The wire form (short keys) is `digest_wire`'s alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from .misses import cold_miss_trust, is_true
from .sketch import Sketch
from .vocabulary import DEFAULT_TRACING, STATUSES

Bucket = Literal["day", "hour"]
# cold_miss: every cold miss that was certainly a miss (`misses.cold_miss_trust`); cold_miss_cold_start: those
# of invocations in a fresh environment (what the 2022 run measured); first_hit: a first fetch that may have
# been served from the cache (`first_hit_ms`). Digests from before the split have neither of the last two.
# init: each cold start's INIT phase (`init_ms`), per store as client_init is; digests from before it lack it.
METRICS = ("cold_miss", "warm_hit", "client_init", "ready_wait", "cold_miss_cold_start", "first_hit", "init")
METRIC_COLUMNS = {
    "client_init": "client_init_ms",
    "ready_wait": "ready_wait_ms",
    "first_hit": "first_hit_ms",
    "init": "init_ms",
}
# Row fields whose values are kept per bucket, so a level shift can be matched with what changed that day.
SEEN_FIELDS = (
    "runtime",
    "python_version",
    "boto3_version",
    "botocore_version",
    "library_version",
    "build_digest",
    "tracing_version",
    "extension_layer",
    "cpu_emulation",
    "host_cpu",  # the lab machine (null on AWS)
    "host_ref_ms",  # its reference workload's time at the lab's start, as text with one decimal
)


class DigestError(ValueError):
    """Rows or a wire form that cannot be digested (a missing key, a foreign format)."""


def number_or_none(value: Any) -> float | None:
    """A finite float, or None for missing / NaN / pandas NA."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def text_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text if text and text != "nan" else None


def seen_text(name: str, value: Any) -> str | None:
    """A seen field's value as text; `host_ref_ms` with one decimal (it varies a little per lab start)."""
    if name == "host_ref_ms":
        number = number_or_none(value)
        return None if number is None else f"{number:.1f}"
    return text_or_none(value)


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
        """The wire form (`digest_wire.encode_metric`)."""
        from .digest_wire import encode_metric

        return encode_metric(self)

    @classmethod
    def from_wire(cls, wire: Any) -> MetricDigest:
        """Inverse of to_wire."""
        from .digest_wire import MetricFields, decode_metric

        n, low, high, total, sketch = wire
        return decode_metric(MetricFields(int(n), low, high, float(total), sketch))


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
    # Cold misses left out because they may have been hits (older rows: `misses`); None in a digest from
    # before cold misses were judged and split by cold start ("unsplit": its cold_miss pools every one).
    cold_unknown: int | None = 0

    @property
    def rows(self) -> int:
        return sum(self.statuses.values())

    def add_row(self, row: Mapping[str, Any]) -> None:
        status = str(row.get("status") or "ok")
        self.statuses[status] = self.statuses.get(status, 0) + 1
        for kind in (text_or_none(row.get("error_types")) or "").split(","):
            if kind:
                self.error_types[kind] = self.error_types.get(kind, 0) + 1
        samples = row.get("warm_ms")
        warm = [float(v) for v in samples] if samples is not None else []
        warm = [v for v in warm if math.isfinite(v)]
        self.warm_n += len(warm)
        self.metrics["warm_hit"].add_all(warm)
        for metric, column in METRIC_COLUMNS.items():
            value = number_or_none(row.get(column))
            if value is not None:
                self.metrics[metric].add(value)
        cold = number_or_none(row.get("cold_miss_ms"))
        if cold is not None:
            if cold_miss_trust(row) == "trusted":
                self.metrics["cold_miss"].add(cold)
                if is_true(row.get("cold_start")):
                    self.metrics["cold_miss_cold_start"].add(cold)
            elif self.cold_unknown is not None:
                self.cold_unknown += 1
        calls = number_or_none(row.get("api_calls"))
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
        if self.cold_unknown is None or other.cold_unknown is None:
            self.cold_unknown = None  # part of it is unsplit: so is the whole
        else:
            self.cold_unknown += other.cold_unknown
        for metric, digest in other.metrics.items():
            self.metrics.setdefault(metric, MetricDigest()).merge(digest)

    def to_wire(self) -> dict[str, Any]:
        """The wire form (`digest_wire.encode_store`)."""
        from .digest_wire import encode_store

        return encode_store(self)

    @classmethod
    def from_wire(cls, store: str, wire: Mapping[str, Any]) -> StoreDigest:
        """Inverse of to_wire."""
        from .digest_wire import decode_store, read_store_fields

        return decode_store(read_store_fields(store, wire))


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
    prefetch: bool | None = None  # cloud_extensions' variant (its key says it too); None for other strategies

    def merge(self, other: ProbeDigest) -> None:
        """Fold a digest of the same probe (another bucket or the same one) into this one."""
        if other.probe_key != self.probe_key:
            raise DigestError(f"cannot merge {other.probe_key} into {self.probe_key}")
        end = max(self.start + timedelta(hours=self.hours), other.start + timedelta(hours=other.hours))
        self.start = min(self.start, other.start)
        self.hours = int((end - self.start).total_seconds() // 3600)
        self.environment = self.environment or other.environment
        self.region = self.region or other.region
        self.prefetch = self.prefetch if self.prefetch is not None else other.prefetch
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
                note_first_seen(self, name, value, ts)
        for store, digest in other.stores.items():
            if store in self.stores:
                self.stores[store].merge(digest)
            else:
                self.stores[store] = StoreDigest.from_wire(store, digest.to_wire())

    def to_wire(self) -> dict[str, Any]:
        """JSON-ready, short keys (`digest_wire.encode`: a day of a 200-probe fleet is thousands of these)."""
        from .digest_wire import encode

        return encode(self)

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> ProbeDigest:
        """Inverse of to_wire (`digest_wire.decode`)."""
        from .digest_wire import decode

        return decode(wire)


def note_first_seen(digest: ProbeDigest, name: str, value: str, ts: str) -> None:
    """Keep the earliest time `value` of field `name` was seen (rows arrive in any order)."""
    times = digest.first_seen.setdefault(name, {})
    if value not in times or ts < times[value]:
        times[value] = ts


def merge_digests(digests: Iterable[ProbeDigest]) -> list[ProbeDigest]:
    """One digest per probe: the merge of all its buckets given (a week, a month)."""
    merged: dict[str, ProbeDigest] = {}
    for digest in digests:
        if digest.probe_key in merged:
            merged[digest.probe_key].merge(digest)
        else:
            merged[digest.probe_key] = ProbeDigest.from_wire(digest.to_wire())
    return [merged[k] for k in sorted(merged)]
