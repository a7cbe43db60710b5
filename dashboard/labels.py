"""Names a user reads, for the values and columns of the rows (contract §4).

Every value of `datastore.vocabulary` has its name here (`tests/unit/test_vocabulary.py` checks it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

STRATEGY = {
    "extension": "Extension (localhost:2773)",
    "sdk": "SDK call (boto3)",
    "dict": "dict cache",
    "caching_lib": "AWS caching library",
    "powertools": "Powertools parameters",
    "cloud_extensions": "Cloud Extensions (localhost:5333)",
}
# Variants shown as strategies of their own (`dashboard.variants`): never pooled with the probe without.
VARIANT = {"cloud_extensions_prefetch": "Cloud Extensions, prefetch"}
STORE = {"secretsmanager": "Secrets Manager", "ssm": "SSM Parameter Store", "none": "(invocation failed)"}
ENVIRONMENT = {"aws": "AWS", "lab": "Lab"}
ARCHITECTURE = {"x86_64": "x86_64", "arm64": "arm64 (Graviton)"}
STATUS = {"ok": "ok", "error": "error (probe reported errors)", "failed": "failed (invocation failed)"}
METRIC = {"cold_miss": "Cold miss", "warm_hit": "Warm hit", "init": "INIT"}
# `sdk` caches nothing: its "warm" samples are the same API call repeated on a warm connection, not hits.
REPEATED_CALLS = frozenset({"sdk"})
REPEATED_CALL = "Repeated call"
# How a probe traces (issues 13 and 17: `off`, `subsegments`, `patch_all`, `otel`, `adot`, in that order).
TRACING = {
    "off": "Off (no tracing)",
    "subsegments": "Subsegments (default)",
    "patch_all": "patch_all() (2022 run)",
    "otel": "OpenTelemetry SDK",
    "adot": "ADOT layer",
}
XRAY_SDK = ("subsegments", "patch_all")  # the modes that run the AWS X-Ray SDK for Python
OPENTELEMETRY = ("otel", "adot")  # the modes that run OpenTelemetry
DEFAULT_TRACING = "subsegments"  # what a row or digest that does not say ran with: the only mode there was

COLUMNS = {
    "ts": "Started (UTC)",
    "probe_key": "Probe",
    "invocation_id": "Invocation",
    "strategy": "Strategy",
    "store": "Store",
    "memory_mb": "Memory (MB)",
    "architecture": "Architecture",
    "runtime": "Runtime",
    "tracing": "Tracing",
    "prefetch": "Prefetch",
    "region": "Region",
    "environment": "Environment",
    "cpu_emulation": "CPU emulation",
    "extension_layer": "Extension layer",
    "status": "Status",
    "error_types": "Error types",
    "error_phase": "Error phase",
    "cold_start": "Cold start",
    "cold_cause": "Cold cause",
    "init_ms": "INIT (ms)",
    "client_init_ms": "Client init (ms)",
    "ready_wait_ms": "Extension ready wait (ms)",
    "cold_miss_ms": "Cold miss (ms)",
    "sign_cold_ms": "Signing of the cold miss (ms)",
    "sign_warm_p50_ms": "Signing, warm p50 (ms)",
    "warm_n": "Warm hits (n)",
    "warm_min_ms": "Warm min (ms)",
    "warm_p50_ms": "Warm p50 (ms)",
    "warm_p90_ms": "Warm p90 (ms)",
    "warm_p99_ms": "Warm p99 (ms)",
    "warm_max_ms": "Warm max (ms)",
    "warm_mean_ms": "Warm mean (ms)",
    "warm_ms": "Warm samples (ms)",
    "cpu_time_ms": "CPU time (ms)",
    "throttled_periods": "Throttled CFS periods",
    "total_periods": "CFS periods",
    "api_calls": "AWS API calls",
    "value_sha256": "Value SHA-256",
    "python_version": "Python",
    "boto3_version": "boto3",
    "botocore_version": "botocore",
    "library_version": "Strategy library",
    "build_digest": "Probe build",
    "tracing_version": "Tracing library",
    "host_cpu": "Host CPU (lab)",
    "host_ref_ms": "Host reference workload (ms, lab)",
}

# The CFS counters come from the probe's cgroup: on AWS the function can read no CPU quota, so they are null.
CFS_COLUMNS = ("throttled_periods", "total_periods")
LAB_ONLY = "lab only"
CFS_LAB_ONLY_NOTE = (
    "CFS throttling (throttled and total CFS periods) is measured in the lab only: on AWS the function "
    "cannot read its CPU quota, so AWS rows leave these columns empty (not measured), never 0."
)


def has_aws_rows(environments: Iterable[object]) -> bool:
    """Whether any of these rows ran on AWS (`environment = aws`)."""
    return any(str(env) == "aws" for env in environments)


def cfs_columns(environments: Iterable[object]) -> dict[str, str]:
    """Names of the CFS columns for these rows: marked lab-only when AWS rows are among them."""
    aws = has_aws_rows(environments)
    return {c: f"{COLUMNS[c]} ({LAB_ONLY})" if aws else COLUMNS[c] for c in CFS_COLUMNS}


def cfs_note(environments: Iterable[object]) -> str | None:
    """What to say about the CFS counters of these rows: lab-only when AWS rows are among them, else None."""
    return CFS_LAB_ONLY_NOTE if has_aws_rows(environments) else None


def strategy(name: object) -> str:
    """Human name of a strategy or of a variant shown as one; unknown ones are shown as they are."""
    return STRATEGY.get(str(name)) or VARIANT.get(str(name), str(name))


def store(name: object) -> str:
    """Human name of a store."""
    return STORE.get(str(name), str(name))


def tracing(mode: object) -> str:
    """Human name of a tracing mode; unknown ones are shown as they are."""
    return TRACING.get(str(mode), str(mode))


def runtime_order(runtime: object) -> tuple[int, ...]:
    """Sort key of a runtime name, oldest first: `python3.9` before `python3.10`; unknown names last."""
    digits = "".join(c if c.isdigit() else " " for c in str(runtime)).split()
    return tuple(int(d) for d in digits) if digits else (10**6,)


def tier(memory_mb: object) -> str:
    """A memory tier as people say it."""
    return f"{int(memory_mb)} MB"  # type: ignore[call-overload]


def metric(name: object, strategy_name: object = None) -> str:
    """What a sample of `name` is for this strategy: `sdk`'s warm samples are repeated calls, not hits."""
    if name == "warm_hit" and str(strategy_name) in REPEATED_CALLS:
        return REPEATED_CALL
    return METRIC.get(str(name), str(name))


def repeated(strategy_name: object, metric_name: object) -> str:
    """ " (repeated calls)" where a warm-hit figure of this strategy holds repeated calls, else ""."""
    return " (repeated calls)" if metric(metric_name, strategy_name) == REPEATED_CALL else ""


def series(strategy_name: object, memory_mb: object, metric_name: object = None) -> str:
    """Legend name of one strategy at one tier (of `metric_name`'s samples: `sdk`'s warm ones are marked as
    repeated calls)."""
    return f"{strategy(strategy_name)} · {tier(memory_mb)}{repeated(strategy_name, metric_name)}"


def fmt_ms(value: object) -> str:
    """A latency for people: µs below 1 ms, ms otherwise; an em dash when unknown."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    if number != number:  # NaN
        return "—"
    if number < 1:
        return f"{number * 1000:.3g} µs"
    return f"{number:.3g} ms" if number < 100 else f"{number:,.0f} ms"


def day_spans(days: Iterable[dt.date]) -> str:
    """Days as runs of consecutive days, `MM-DD` each: "09-03 to 11-29, 12-01" (a day alone is one date)."""
    ordered = sorted(set(days))
    spans: list[tuple[dt.date, dt.date]] = []
    for day in ordered:
        if spans and day - spans[-1][1] == dt.timedelta(days=1):
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return ", ".join(f"{a:%m-%d}" if a == b else f"{a:%m-%d} to {b:%m-%d}" for a, b in spans)


def rows_read_note(row_days: Iterable[dt.date], days_with_rows: Iterable[dt.date], rows_read: int) -> str:
    """What the days read as rows held, for the sidebar: "76 days (at least in part) from 34 rows (12-06; the
    other 75 held none)". A day without a digest is read as rows even when nothing ran then (a fresh lab's
    older days), so the days that held rows are named apart from the count."""
    read = set(row_days)
    held = read & set(days_with_rows)
    empty = len(read) - len(held)
    said = f"{len(read)} day{'' if len(read) == 1 else 's'} (at least in part) from {rows_read:,} rows"
    if not read:
        return f"{said} (none)"
    if not held:
        return f"{said} (none of them held any)"
    return f"{said} ({day_spans(held)}{f'; the other {empty} held none' if empty else ''})"
