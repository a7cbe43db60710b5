"""Turning a validated delivery into table rows (contract §4): one per (invocation, store).

Rows are built field by field from the typed values `contract` makes (`records`), never by copying a payload,
so the row layout is an allow-list.
"""

from __future__ import annotations

from datastore.schema import Row
from datastore.vocabulary import FAILED_PHASE, NO_STORE, Status

from .records import Delivery, ErrorEntry, FailedInvocation, ProbeRecord, StoreMeasurement


def _join(values: list[str]) -> str:
    """Distinct values in first-seen order, comma-separated ('' when none)."""
    return ",".join(dict.fromkeys(values))


def _store_row(record: ProbeRecord, measurement: StoreMeasurement | None) -> Row:
    identity = record.identity
    errors: list[ErrorEntry] = list(record.errors) + (list(measurement.errors) if measurement else [])
    summary = measurement.warm_summary if measurement else None
    sign = measurement.sign_warm_summary if measurement else None
    # No CFS period counted means no CPU quota was in force (older probes sent zeros): not measured, not 0.
    throttling = record.throttling if record.throttling and record.throttling.nr_periods > 0 else None
    status: Status = "error" if errors else "ok"
    return {
        "ts": record.started_at,
        "probe_key": identity.probe_key,
        "invocation_id": record.invocation_id,
        "strategy": identity.strategy,
        "store": measurement.store if measurement else NO_STORE,
        "memory_mb": identity.memory_mb,
        "architecture": identity.architecture,
        "runtime": identity.runtime,
        "tracing": identity.tracing,
        "prefetch": identity.prefetch,
        "region": identity.region,
        "environment": identity.environment,
        "cpu_emulation": identity.cpu_emulation,
        "extension_layer": identity.extension_layer,
        "status": status,
        "error_types": _join([e.type for e in errors]),
        "error_phase": _join([e.phase for e in errors]),
        "cold_start": record.cold,
        "cold_cause": record.cold_cause,
        "init_ms": record.init_ms,
        "client_init_ms": record.client_init_ms,
        "ready_wait_ms": measurement.ready_wait_ms if measurement else None,
        "cold_miss_ms": measurement.cold_miss_ms if measurement else None,
        "miss_guarantee": measurement.miss_guarantee if measurement else None,
        "first_hit_ms": measurement.first_hit_ms if measurement else None,
        "cache_age_ms": measurement.cache_age_ms if measurement else None,
        "sign_cold_ms": measurement.sign_cold_ms if measurement else None,
        "sign_warm_p50_ms": sign.p50 if sign else None,
        "warm_n": summary.n if summary else 0,
        "warm_min_ms": summary.min if summary else None,
        "warm_p50_ms": summary.p50 if summary else None,
        "warm_p90_ms": summary.p90 if summary else None,
        "warm_p99_ms": summary.p99 if summary else None,
        "warm_max_ms": summary.max if summary else None,
        "warm_mean_ms": summary.mean if summary else None,
        "warm_ms": list(measurement.warm_ms) if measurement else [],
        "cpu_time_ms": record.cpu_time_ms,
        "throttled_periods": throttling.nr_throttled if throttling else None,
        "total_periods": throttling.nr_periods if throttling else None,
        "api_calls": measurement.api_calls if measurement else None,
        "value_sha256": measurement.value_sha256 if measurement else None,
        "python_version": identity.python_version,
        "boto3_version": identity.boto3_version,
        "botocore_version": identity.botocore_version,
        "library_version": identity.library_version,
        "build_digest": identity.build_digest,
        "tracing_version": identity.tracing_version,
        "host_cpu": identity.host_cpu,
        "host_ref_ms": identity.host_ref_ms,
    }


def _failed_row(failure: FailedInvocation) -> Row:
    status: Status = "failed"
    return {
        "ts": failure.failed_at,
        "probe_key": failure.probe_key,
        "invocation_id": failure.request_id,
        "strategy": failure.strategy,
        "store": NO_STORE,
        "memory_mb": failure.memory_mb,
        "architecture": failure.architecture,
        "runtime": failure.runtime,
        "tracing": failure.tracing,
        "prefetch": failure.prefetch,
        "region": failure.region,
        "environment": failure.environment,
        "status": status,
        "error_types": _join(list(failure.reasons)),
        "error_phase": FAILED_PHASE,
        "cold_start": False,
        "warm_n": 0,
        "warm_ms": [],
    }


def rows_for(delivery: Delivery | ProbeRecord | FailedInvocation) -> list[Row]:
    """The rows of one delivery: one per measured store; a record with no store, or a failed invocation,
    is a single row with store "none"."""
    outcome = delivery.outcome if isinstance(delivery, Delivery) else delivery
    if isinstance(outcome, FailedInvocation):
        return [_failed_row(outcome)]
    if not outcome.stores:
        return [_store_row(outcome, None)]
    return [_store_row(outcome, measurement) for measurement in outcome.stores]
