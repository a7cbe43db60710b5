"""The typed values `collector.contract` makes of a destination record (contract §2 and §3): frozen, holding
only the fields the collector knows. Validation lives in `contract`; rows are built from these in `rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from datastore.vocabulary import (
    DEFAULT_TRACING,
    Architecture,
    ColdCause,
    CpuEmulation,
    Environment,
    MissGuarantee,
    Phase,
    Store,
    Strategy,
    Tracing,
)


@dataclass(frozen=True)
class ErrorEntry:
    """One reported error: the phase and the type (the message is not kept: it is free text)."""

    phase: Phase
    type: str


@dataclass(frozen=True)
class WarmSummary:
    n: int
    min: float
    p50: float
    p90: float
    p99: float
    max: float
    mean: float


@dataclass(frozen=True)
class StoreMeasurement:
    store: Store
    value_sha256: str | None
    ready_wait_ms: float
    ready_retries: int
    cold_miss_ms: float | None
    warm_ms: tuple[float, ...]
    warm_summary: WarmSummary | None
    api_calls: int | None
    errors: tuple[ErrorEntry, ...]
    # How the first fetch was made a miss (optional: older records lack it; None then). `none`: it may have
    # been a hit, so it is `first_hit_ms` with the cached entry's age, and `cold_miss_ms` is null.
    miss_guarantee: MissGuarantee | None = None
    first_hit_ms: float | None = None
    cache_age_ms: float | None = None
    # cloud_extensions: the SigV4 signing inside the cold miss, and the warm hits' signing (one per warm
    # sample); None for every other strategy, in older records, and where the probe could not time it apart
    sign_cold_ms: float | None = None
    sign_warm_summary: WarmSummary | None = None


@dataclass(frozen=True)
class Identity:
    probe_key: str
    strategy: Strategy
    memory_mb: int
    architecture: Architecture
    runtime: str
    region: str
    environment: Environment
    cpu_emulation: CpuEmulation
    extension_layer: str | None
    # identity.versions (optional: older records have none): what can explain a shift
    python_version: str | None = None
    boto3_version: str | None = None
    botocore_version: str | None = None
    library_version: str | None = None
    build_digest: str | None = None
    tracing_version: str | None = None  # the tracing library (name==version); None: `off`, older records
    # identity.tracing and identity.host (optional: older records have neither)
    tracing: Tracing = DEFAULT_TRACING  # the only mode there was before it was a dimension
    host_cpu: str | None = None  # the lab machine's CPU model; None on AWS
    host_ref_ms: float | None = None  # the lab's reference workload at its start (ms, lower is faster)
    prefetch: bool | None = None  # cloud_extensions' variant; None for every other strategy


@dataclass(frozen=True)
class Throttling:
    nr_periods: int
    nr_throttled: int
    throttled_time_ms: float


@dataclass(frozen=True)
class ProbeRecord:
    """A validated schema v1 probe record: the measured outcome of one invocation."""

    invocation_id: str
    started_at: datetime
    identity: Identity
    cold: bool
    cold_cause: ColdCause | None
    client_init_ms: float | None
    cpu_time_ms: float | None
    throttling: Throttling | None
    stores: tuple[StoreMeasurement, ...]
    errors: tuple[ErrorEntry, ...]
    init_ms: float | None = None  # the INIT phase of a cold start; None when warm and in older records


@dataclass(frozen=True)
class FailedInvocation:
    """An invocation that produced no record; identity comes from the schedule event (contract §2)."""

    request_id: str
    failed_at: datetime
    probe_key: str
    strategy: Strategy
    memory_mb: int
    architecture: Architecture
    region: str | None
    environment: Environment | None
    reasons: tuple[str, ...]
    runtime: str | None = None  # when the schedule event says it
    tracing: Tracing = DEFAULT_TRACING
    prefetch: bool | None = None  # cloud_extensions' variant (the key's `-prefetch`); None otherwise


@dataclass(frozen=True)
class Delivery:
    """A validated destination record: who, which condition, and the outcome."""

    request_id: str
    condition: str
    outcome: ProbeRecord | FailedInvocation
