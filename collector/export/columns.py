"""What an exported file holds, column by column: name, Parquet kind, unit, meaning (as schema.json says).

Two tables. `rows`: one per (invocation, store), the table's rows (contract §4) as they are, warm samples
included; `value_sha256` is left out (a digest of the fixture's value is of no use to a reader, and published
data carries nothing derived from a secret). `digests`: one per probe × store × UTC day, from the compactor's
daily digests (contract §4b): counts, and per latency metric its exact n, min, max and mean with the p50, p90
and p99 of its sketch. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from datastore.digest import METRICS, SEEN_FIELDS, ProbeDigest
from datastore.schema import COLUMN_TYPES
from datastore.vocabulary import STATUSES

from .parquet import Column, Kind

LEFT_OUT_OF_ROWS = ("value_sha256",)
QUANTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99}


@dataclass(frozen=True)
class Described:
    """A column with its unit (`ms`, `MB`, `count`, `UTC`…; `-` for text and flags) and what it means."""

    column: Column
    unit: str
    meaning: str

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.column.name,
            "type": self.column.kind,
            "nullable": self.column.nullable,
            "unit": self.unit,
            "meaning": self.meaning,
        }


_KIND: dict[str, Kind] = {
    "datetime64[ns, UTC]": "timestamp", "str": "string", "int64": "int64", "Int64": "int64",
    "float64": "double", "bool": "bool", "boolean": "bool", "object": "double_list",
}  # fmt: skip
_ROW_REQUIRED = {"ts", "probe_key", "invocation_id", "strategy", "store", "memory_mb", "architecture",
                 "tracing", "status", "cold_start", "warm_n", "warm_ms"}  # fmt: skip

# unit, meaning: every column of datastore.schema.COLUMN_TYPES but those left out (a test holds them equal)
ROW_MEANINGS: dict[str, tuple[str, str]] = {
    "ts": ("UTC, µs", "when the invocation started"),
    "probe_key": ("-", "the probe: {strategy}-{memory_mb}-{architecture}, then -py{MAJOR}{MINOR} for a "
                       "runtime "
                       "not the environment's default, -{tracing} unless subsegments, -prefetch if on"),
    "invocation_id": ("-", "the Lambda request id of the invocation"),
    "strategy": ("-", "how the function reads: extension, sdk, dict, caching_lib, powertools, "
                      "cloud_extensions"),
    "store": ("-", "secretsmanager or ssm; none for a failed invocation or one that measured no store"),
    "memory_mb": ("MB", "the function's memory setting"),
    "architecture": ("-", "x86_64 or arm64"),
    "runtime": ("-", "the Lambda runtime, e.g. python3.13"),
    "tracing": ("-", "tracing mode: off, subsegments, patch_all (X-Ray SDK), otel (OpenTelemetry SDK), "
                     "adot (ADOT layer)"),
    "prefetch": ("-", "cloud_extensions only: its profile prefetched the secret; null for other strategies"),
    "region": ("-", "the AWS region the function ran in"),
    "environment": ("-", "aws or lab (the local lab)"),
    "cpu_emulation": ("-", "how CPU was limited: aws, cgroup-v1, cgroup-v2, none (lab)"),
    "extension_layer": ("-", "the extension layer ARN that ran, if any"),
    "status": ("-", "ok (no error), error (the probe reported errors), failed (the invocation failed)"),
    "error_types": ("-", "distinct error types, comma-separated; empty when none"),
    "error_phase": ("-", "distinct phases of those errors, comma-separated"),
    "cold_start": ("-", "true when the invocation ran in a new execution environment"),
    "cold_cause": ("-", "why it was cold: first_start, idle_expiry, forced; null when warm"),
    "client_init_ms": ("ms", "creating the client (SDK client, cache, provider) in a cold start"),
    "init_ms": ("ms", "INIT of a cold start: the process's start to the end of the handler module's "
                      "import (10 ms resolution); null when warm"),
    "tracing_version": ("-", "the tracing library's version (aws-xray-sdk, opentelemetry-sdk, "
                             "aws-opentelemetry-distro); null for off"),
    "ready_wait_ms": ("ms", "waiting for the extension to answer its first request"),
    "cold_miss_ms": ("ms", "the first fetch, when it was certainly a cache miss (miss_guarantee)"),
    "miss_guarantee": ("-", "what made the first fetch a miss: forced, no_cache, fresh_environment, "
                            "ttl_elapsed; none when it may have been a hit"),
    "first_hit_ms": ("ms", "the first fetch when it may have been a hit (miss_guarantee none)"),
    "cache_age_ms": ("ms", "the cached entry's age at that first fetch"),
    "sign_cold_ms": ("ms", "cloud_extensions: the SigV4 signing inside cold_miss_ms"),
    "sign_warm_p50_ms": ("ms", "cloud_extensions: median signing time of the warm hits"),
    "warm_n": ("count", "warm hits measured (fetches after the first, each a cache hit)"),
    "warm_min_ms": ("ms", "fastest warm hit"),
    "warm_p50_ms": ("ms", "median warm hit of this invocation (exact, from warm_ms)"),
    "warm_p90_ms": ("ms", "90th percentile warm hit of this invocation (exact)"),
    "warm_p99_ms": ("ms", "99th percentile warm hit of this invocation (exact)"),
    "warm_max_ms": ("ms", "slowest warm hit"),
    "warm_mean_ms": ("ms", "mean warm hit"),
    "warm_ms": ("ms", "every warm hit, in order (a list)"),
    "cpu_time_ms": ("ms", "CPU time the function used during the measurement"),
    "throttled_periods": ("count", "CFS periods in which the function was throttled (lab only; null on AWS)"),
    "total_periods": ("count", "CFS periods that elapsed during the measurement (lab only; null on AWS)"),
    "api_calls": ("count", "AWS API calls (HTTP attempts) the measurement made; null for the extensions"),
    "python_version": ("-", "the Python version that ran"),
    "boto3_version": ("-", "boto3's version"),
    "botocore_version": ("-", "botocore's version"),
    "library_version": ("-", "the caching library's version (caching_lib, powertools)"),
    "build_digest": ("-", "SHA-256 of the probe's code as built"),
    "host_cpu": ("-", "the lab machine's CPU model (null on AWS)"),
    "host_ref_ms": ("ms", "the lab machine's reference workload time at the lab's start (null on AWS)"),
}  # fmt: skip

ROW_COLUMNS: tuple[Described, ...] = tuple(
    Described(Column(name, _KIND[dtype], name not in _ROW_REQUIRED), *ROW_MEANINGS[name])
    for name, dtype in COLUMN_TYPES.items()
    if name not in LEFT_OUT_OF_ROWS
)

_METRIC_MEANINGS = {
    "cold_miss": "first fetches that were certainly cache misses",
    "cold_miss_cold_start": "those cold misses of invocations in a new execution environment",
    "first_hit": "first fetches that may have been cache hits",
    "warm_hit": "every warm hit (each sample of every row)",
    "client_init": "client creation",
    "ready_wait": "waits for the extension to become ready",
    "init": "INIT of cold starts (init_ms)",
}


def _digest_columns() -> tuple[Described, ...]:
    d = Described
    out = [
        d(Column("day", "date", False), "UTC day", "the day the digest covers (00:00 to 24:00 UTC)"),
        d(Column("probe_key", "string", False), "-", ROW_MEANINGS["probe_key"][1]),
        d(Column("strategy", "string", False), "-", ROW_MEANINGS["strategy"][1]),
        d(Column("memory_mb", "int64", False), "MB", ROW_MEANINGS["memory_mb"][1]),
        d(Column("architecture", "string", False), "-", ROW_MEANINGS["architecture"][1]),
        d(Column("runtime", "string"), "-", "the runtime of the day's last invocation"),
        d(Column("tracing", "string", False), "-", "X-Ray mode of the day's last invocation"),
        d(Column("prefetch", "bool"), "-", ROW_MEANINGS["prefetch"][1]),
        d(Column("region", "string"), "-", ROW_MEANINGS["region"][1]),
        d(Column("environment", "string"), "-", ROW_MEANINGS["environment"][1]),
        d(Column("store", "string", False), "-", ROW_MEANINGS["store"][1]),
        d(Column("invocations", "int64", False), "count", "the probe's invocations that day (all stores)"),
        d(Column("not_ok", "int64", False), "count", "of those, invocations with any row not ok"),
        d(Column("cold_starts", "int64", False), "count", "of those, invocations in a new environment"),
        d(Column("cpu_time_ms", "double"), "ms", "CPU time summed over the invocations that measured it"),
        d(Column("cpu_measured", "int64", False), "count", "invocations that measured CPU time"),
        d(
            Column("throttled_periods", "int64"),
            "count",
            "CFS periods throttled, summed (null: not measured)",
        ),
        d(Column("total_periods", "int64"), "count", "CFS periods elapsed, summed (null: not measured)"),
        d(Column("rows", "int64", False), "count", "rows of this probe and store that day"),
    ]
    out += [
        d(Column(f"rows_{s}", "int64", False), "count", f"of those, rows with status {s}") for s in STATUSES
    ]
    out += [
        d(Column("error_types", "string", False), "-", "error types with their row counts, 'Type:n;Type:n'"),
        d(Column("warm_n", "int64", False), "count", "warm hit samples"),
        d(Column("api_calls", "int64"), "count", "AWS API calls, summed over the rows that counted them"),
        d(Column("api_rows", "int64", False), "count", "rows that counted their API calls"),
        d(Column("api_fetches", "int64", False), "count", "fetches those rows made"),
        d(Column("cold_unknown", "int64"), "count",
          "first fetches left out of cold_miss as possibly hits (older rows); null: a digest from "
          "before the split"),
    ]  # fmt: skip
    for metric in METRICS:
        what = _METRIC_MEANINGS[metric]
        out.append(d(Column(f"{metric}_n", "int64", False), "count", f"{what}: how many (exact)"))
        out.append(d(Column(f"{metric}_min_ms", "double"), "ms", f"{what}: fastest (exact)"))
        for label in QUANTILES:
            out.append(
                d(Column(f"{metric}_{label}_ms", "double"), "ms", f"{what}: {label} (sketch, within 1 %)")
            )
        out.append(d(Column(f"{metric}_max_ms", "double"), "ms", f"{what}: slowest (exact)"))
        out.append(d(Column(f"{metric}_mean_ms", "double"), "ms", f"{what}: mean (exact)"))
    for name in SEEN_FIELDS:
        unit = "ms" if name == "host_ref_ms" else "-"
        out.append(
            d(Column(f"seen_{name}", "string", False), unit, f"every {name} seen that day, ';'-separated")
        )
    return tuple(out)


DIGEST_COLUMNS: tuple[Described, ...] = _digest_columns()


def digest_records(digest: ProbeDigest) -> Iterator[dict[str, Any]]:
    """One flat record per store of a day's digest (a probe with no store: none). Probe-level counts
    (invocations, cold starts, CPU) repeat on each store's record: sum them over probes, not over stores."""
    base: dict[str, Any] = {
        "day": digest.start.date(),
        "probe_key": digest.probe_key,
        "strategy": digest.strategy,
        "memory_mb": digest.memory_mb,
        "architecture": digest.architecture,
        "runtime": digest.runtime,
        "tracing": digest.tracing,
        "prefetch": digest.prefetch,
        "region": digest.region,
        "environment": digest.environment,
        "invocations": digest.invocations,
        "not_ok": digest.not_ok,
        "cold_starts": digest.cold_starts,
        "cpu_time_ms": digest.cpu_time_ms,
        "cpu_measured": digest.cpu_measured,
        "throttled_periods": digest.throttled_periods,
        "total_periods": digest.total_periods,
    }
    for name in SEEN_FIELDS:
        base[f"seen_{name}"] = ";".join(digest.seen.get(name, []))
    for name, store in sorted(digest.stores.items()):
        record = dict(base, store=name, rows=store.rows, warm_n=store.warm_n, api_calls=store.api_calls)
        record.update(api_rows=store.api_rows, api_fetches=store.api_fetches, cold_unknown=store.cold_unknown)
        for status in STATUSES:
            record[f"rows_{status}"] = store.statuses.get(status, 0)
        record["error_types"] = ";".join(f"{k}:{n}" for k, n in sorted(store.error_types.items()))
        for metric in METRICS:
            m = store.metrics.get(metric)
            n = m.n if m is not None else 0
            record[f"{metric}_n"] = n
            record[f"{metric}_min_ms"] = m.min if m is not None and n else None
            record[f"{metric}_max_ms"] = m.max if m is not None and n else None
            record[f"{metric}_mean_ms"] = m.mean if m is not None and n else None
            for label, q in QUANTILES.items():
                record[f"{metric}_{label}_ms"] = m.quantile(q) if m is not None and n else None
        yield record


def schema_document() -> dict[str, Any]:
    """schema.json: every column of both tables with its type, unit and meaning."""
    return {
        "format": "secret-latency-observatory open data",
        "version": 1,
        "tables": {
            "rows": {
                "files": "rows/YYYY-MM-DD.parquet",
                "one_row_is": "one store measured in one probe invocation",
                "columns": [c.as_json() for c in ROW_COLUMNS],
                "left_out": list(LEFT_OUT_OF_ROWS),
            },
            "digests": {
                "files": "digests/YYYY-MM-DD.parquet and digests-csv/YYYY-MM-DD.csv (the same records)",
                "one_row_is": "one store of one probe over one UTC day",
                "columns": [c.as_json() for c in DIGEST_COLUMNS],
            },
        },
    }
