"""Validation of a Lambda destination record and the probe record it carries (contract §2 and §3).

`parse_destination` turns an untrusted event into typed, frozen values holding only the fields the collector
knows: unknown fields are never copied, so nothing a record smuggles in can reach a row. A record that breaks
the contract raises InvalidRecordError whose reason names the field and the rule, never the offending value.
The rules per field are here, the typed values they make in `collector.records`, the generic type and range
checks in `collector.checker`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from datastore.vocabulary import (
    ARCHITECTURES,
    COLD_CAUSES,
    CPU_EMULATIONS,
    DEFAULT_TRACING,
    ENVIRONMENTS,
    MAX_MEMORY_MB,
    MIN_MEMORY_MB,
    MISS_GUARANTEES,
    PHASES,
    PREFETCH_STRATEGIES,
    PREFETCH_SUFFIX,
    STORES,
    STRATEGIES,
    TRACING,
    Tracing,
)

from .checker import Checker
from .checker import InvalidRecordError as InvalidRecordError  # the contract's error, raised by the checker
from .records import (
    Delivery,
    ErrorEntry,
    FailedInvocation,
    Identity,
    ProbeRecord,
    StoreMeasurement,
    Throttling,
    WarmSummary,
)

SCHEMA_VERSIONS = frozenset({1})
DESTINATION_VERSION = re.compile(r"1\.\d{1,3}")
SUCCESS = "Success"
FAILURE_CONDITIONS = frozenset({"RetriesExhausted", "EventAgeExceeded"})

MAX_WARM_SAMPLES = 10_000
MAX_ERRORS = 50
MAX_HOST_CPU = 256  # characters of the lab host's CPU model
MAX_HOST_REF_MS = 3_600_000.0  # the lab's reference workload takes seconds

MAX_INIT_MS = 900_000.0  # INIT within a function's longest timeout (15 minutes)
REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
RUNTIME = re.compile(r"python3\.\d{1,2}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
ERROR_TYPE = re.compile(r"[\w .:/\-]{1,128}")
VERSION = re.compile(r"[\w.+:=\-]{1,128}")  # 3.11.7, 1.44.8, aws-lambda-powertools==3.37.0, sha256:…
VERSION_FIELDS = {  # identity.versions key -> Identity field (and row column)
    "python": "python_version",
    "boto3": "boto3_version",
    "botocore": "botocore_version",
    "library": "library_version",
    "build": "build_digest",
    "tracing": "tracing_version",
}  # identifier-like; no comma (error_types is comma-separated)
FUNCTION_ARN = re.compile(
    r"arn:aws[\w-]*:lambda:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):\d{12}:function:[\w\-]{1,140}(:[\w$\-]{1,128})?"
)

# ---------------------------------------------------------------------------------------------- probe keys
KEY_RULE = (
    "{strategy}-{memory_mb}-{architecture}[-py{MAJOR}{MINOR}][-{tracing} unless subsegments][-prefetch if on]"
    "[@{region} of the record, outside the home table's region]"
)
# Strategies that sign their local requests themselves: only their records carry sign_* timings
SIGNING_STRATEGIES = frozenset({"cloud_extensions"})


def probe_key_fits(
    probe_key: str,
    strategy: str,
    memory_mb: int,
    architecture: str,
    runtime: str | None,
    tracing: str,
    prefetch: bool = False,
    region: str | None = None,
) -> bool:
    """Whether `probe_key` is the catalogue key of these dimensions (contract §1): the base, then
    `-py{MAJOR}{MINOR}` (only where the runtime is not the environment's default, so optional here; any
    runtime's when the runtime is unknown), then `-{tracing}` exactly when tracing is not `subsegments`, then
    `-prefetch` exactly when prefetch is on, then `@{region}` (optional; only this region, only when known): a
    probe deployed outside its home table's region, so the keys of one catalogue in several regions differ."""
    digits = runtime[len("python") :].replace(".", "") if runtime else None
    runtime_part = f"-py{re.escape(digits)}" if digits else r"-py3\d{1,2}"
    tail = ("" if tracing == DEFAULT_TRACING else f"-{tracing}") + (PREFETCH_SUFFIX if prefetch else "")
    base = f"{strategy}-{memory_mb}-{architecture}"
    where = f"(?:@{re.escape(region)})?" if region else ""
    pattern = f"{re.escape(base)}(?:{runtime_part})?{re.escape(tail)}{where}"
    return re.fullmatch(pattern, probe_key) is not None


def _key_tracing(probe_key: str) -> Tracing:
    """The tracing a key's suffix names (`subsegments` when none): for schedule events that do not say it."""
    probe_key = probe_key.removesuffix(PREFETCH_SUFFIX)
    for mode in TRACING:
        if mode != DEFAULT_TRACING and probe_key.endswith(f"-{mode}"):
            return mode
    return DEFAULT_TRACING


def _prefetch(c: Checker, value: Any, path: str, strategy: str) -> bool | None:
    """`prefetch`: a boolean for a strategy with prefetch variants (absent: off, as before the variant
    existed), absent or null for every other strategy."""
    if strategy not in PREFETCH_STRATEGIES:
        if value is not None:
            raise c.fail(path, f"only for {', '.join(PREFETCH_STRATEGIES)}")
        return None
    return False if value is None else c.boolean(value, path)


def _errors(c: Checker, value: Any, path: str) -> tuple[ErrorEntry, ...]:
    out = []
    for i, raw in enumerate(c.seq(value, path, MAX_ERRORS)):
        entry = c.obj(raw, f"{path}[{i}]")
        phase = c.choice(entry.get("phase"), f"{path}[{i}].phase", PHASES)
        kind = c.string(entry.get("type"), f"{path}[{i}].type", pattern=ERROR_TYPE)
        c.string(entry.get("message", ""), f"{path}[{i}].message")
        out.append(ErrorEntry(phase=phase, type=kind))
    return tuple(out)


def _summary(c: Checker, value: Any, path: str, samples: int) -> WarmSummary | None:
    raw = c.opt_obj(value, path)
    if raw is None:
        if samples:
            raise c.fail(path, "missing although warm_ms has samples")
        return None
    n = c.integer(raw.get("n"), f"{path}.n", 0, MAX_WARM_SAMPLES)
    if n != samples:
        raise c.fail(f"{path}.n", "does not equal the number of warm_ms samples")
    stats = {
        key: c.number(raw.get(key), f"{path}.{key}") for key in ("min", "p50", "p90", "p99", "max", "mean")
    }
    if not stats["min"] <= stats["p50"] <= stats["p90"] <= stats["p99"] <= stats["max"]:
        raise c.fail(path, "percentiles are not ordered min <= p50 <= p90 <= p99 <= max")
    return WarmSummary(n=n, **stats)


def _store(c: Checker, value: Any, path: str) -> StoreMeasurement:
    raw = c.obj(value, path)
    store = c.choice(raw.get("store"), f"{path}.store", STORES)
    c.string(raw.get("fixture"), f"{path}.fixture")
    warm = c.seq(raw.get("warm_ms"), f"{path}.warm_ms", MAX_WARM_SAMPLES)
    warm_ms = tuple(c.number(v, f"{path}.warm_ms[{i}]") for i, v in enumerate(warm))
    cold_miss_ms = c.opt_number(raw.get("cold_miss_ms"), f"{path}.cold_miss_ms")
    guarantee = c.opt_choice(raw.get("miss_guarantee"), f"{path}.miss_guarantee", MISS_GUARANTEES)
    first_hit_ms = c.opt_number(raw.get("first_hit_ms"), f"{path}.first_hit_ms")
    cache_age_ms = c.opt_number(raw.get("cache_age_ms"), f"{path}.cache_age_ms")
    if guarantee == "none" and cold_miss_ms is not None:
        raise c.fail(f"{path}.cold_miss_ms", "must be null when miss_guarantee is none (a first hit)")
    for name, value in (("first_hit_ms", first_hit_ms), ("cache_age_ms", cache_age_ms)):
        if value is not None and guarantee != "none":
            raise c.fail(f"{path}.{name}", "only when miss_guarantee is none (a first fetch that may hit)")
    sign_cold_ms = c.opt_number(raw.get("sign_cold_ms"), f"{path}.sign_cold_ms")
    if sign_cold_ms is not None and (cold_miss_ms is None or sign_cold_ms > cold_miss_ms):
        raise c.fail(f"{path}.sign_cold_ms", "only beside a cold_miss_ms it is part of")
    return StoreMeasurement(
        store=store,
        value_sha256=c.opt_string(raw.get("value_sha256"), f"{path}.value_sha256", pattern=SHA256_HEX),
        ready_wait_ms=c.number(raw.get("ready_wait_ms"), f"{path}.ready_wait_ms"),
        ready_retries=c.integer(raw.get("ready_retries"), f"{path}.ready_retries"),
        cold_miss_ms=cold_miss_ms,
        warm_ms=warm_ms,
        warm_summary=_summary(c, raw.get("warm_summary"), f"{path}.warm_summary", len(warm_ms)),
        api_calls=c.opt_integer(raw.get("api_calls"), f"{path}.api_calls"),
        errors=_errors(c, raw.get("errors"), f"{path}.errors"),
        miss_guarantee=guarantee,
        first_hit_ms=first_hit_ms,
        cache_age_ms=cache_age_ms,
        sign_cold_ms=sign_cold_ms,
        sign_warm_summary=_sign_summary(c, raw.get("sign_warm_summary"), path, warm_ms),
    )


def _sign_summary(c: Checker, value: Any, store: str, warm_ms: tuple[float, ...]) -> WarmSummary | None:
    """The warm hits' signing times: one per warm sample, or null (not signed, or not timed apart)."""
    path = f"{store}.sign_warm_summary"
    if value is None:
        return None
    summary = _summary(c, value, path, len(warm_ms))
    if summary is None or summary.n == 0:
        raise c.fail(path, "must be null when there are no warm samples")
    return summary


def _identity(c: Checker, value: Any, path: str) -> Identity:
    raw = c.obj(value, path)
    strategy = c.choice(raw.get("strategy"), f"{path}.strategy", STRATEGIES)
    memory_mb = c.integer(raw.get("memory_mb"), f"{path}.memory_mb", MIN_MEMORY_MB, MAX_MEMORY_MB)
    architecture = c.choice(raw.get("architecture"), f"{path}.architecture", ARCHITECTURES)
    probe_key = c.string(raw.get("probe_key"), f"{path}.probe_key", max_len=128)
    runtime = c.string(raw.get("runtime"), f"{path}.runtime", pattern=RUNTIME)
    tracing = c.opt_choice(raw.get("tracing"), f"{path}.tracing", TRACING) or DEFAULT_TRACING
    prefetch = _prefetch(c, raw.get("prefetch"), f"{path}.prefetch", strategy)
    region = c.string(raw.get("region"), f"{path}.region", pattern=REGION)
    dims = (strategy, memory_mb, architecture, runtime, tracing, bool(prefetch), region)
    fits = probe_key_fits(probe_key, *dims)
    if not fits:
        raise c.fail(f"{path}.probe_key", f"is not {KEY_RULE}")
    host = c.opt_obj(raw.get("host"), f"{path}.host") or {}
    host_cpu = c.opt_string(host.get("cpu"), f"{path}.host.cpu", max_len=MAX_HOST_CPU)
    host_ref_ms = c.opt_number(host.get("reference_ms"), f"{path}.host.reference_ms", MAX_HOST_REF_MS)
    c.string(raw.get("function_name"), f"{path}.function_name", max_len=170)
    layer = c.opt_string(raw.get("extension_layer"), f"{path}.extension_layer")
    versions = c.opt_obj(raw.get("versions"), f"{path}.versions") or {}
    known = {
        field: c.opt_string(versions.get(key), f"{path}.versions.{key}", pattern=VERSION, max_len=128)
        for key, field in VERSION_FIELDS.items()
    }
    if tracing == "off" and known["tracing_version"] is not None:
        raise c.fail(f"{path}.versions.tracing", "must be null when tracing is off (no library is loaded)")
    return Identity(
        probe_key=probe_key,
        strategy=strategy,
        memory_mb=memory_mb,
        architecture=architecture,
        runtime=runtime,
        region=region,
        environment=c.choice(raw.get("environment"), f"{path}.environment", ENVIRONMENTS),
        cpu_emulation=c.choice(raw.get("cpu_emulation"), f"{path}.cpu_emulation", CPU_EMULATIONS),
        extension_layer=layer or None,
        **known,
        tracing=tracing,
        host_cpu=host_cpu or None,
        host_ref_ms=host_ref_ms,
        prefetch=prefetch,
    )


def parse_probe_record(value: Any, request_id: str | None = None) -> ProbeRecord:
    """A validated schema v1 probe record (contract §3), or InvalidRecordError."""
    c = Checker(request_id)
    raw = c.obj(value, "record")
    version = raw.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in SCHEMA_VERSIONS:
        raise c.fail(
            "record.schema_version", f"unknown schema version; this collector reads {sorted(SCHEMA_VERSIONS)}"
        )
    invocation_id = c.string(raw.get("invocation_id"), "record.invocation_id", pattern=REQUEST_ID)
    env = c.obj(raw.get("execution_environment"), "record.execution_environment")
    cold = c.boolean(env.get("cold"), "record.execution_environment.cold")
    cold_cause = c.opt_choice(env.get("cold_cause"), "record.execution_environment.cold_cause", COLD_CAUSES)
    if cold and cold_cause is None:
        raise c.fail("record.execution_environment.cold_cause", "missing for a cold environment")
    if not cold and cold_cause is not None:
        raise c.fail("record.execution_environment.cold_cause", "must be null for a warm environment")
    throttling_raw = c.opt_obj(raw.get("throttling"), "record.throttling")
    throttling = None
    if throttling_raw is not None:
        throttling = Throttling(
            nr_periods=c.integer(throttling_raw.get("nr_periods"), "record.throttling.nr_periods"),
            nr_throttled=c.integer(throttling_raw.get("nr_throttled"), "record.throttling.nr_throttled"),
            throttled_time_ms=c.number(
                throttling_raw.get("throttled_time_ms"), "record.throttling.throttled_time_ms"
            ),
        )
        if throttling.nr_throttled > throttling.nr_periods:
            raise c.fail("record.throttling.nr_throttled", "exceeds nr_periods")
    stores = tuple(
        _store(c, v, f"record.stores[{i}]")
        for i, v in enumerate(c.seq(raw.get("stores"), "record.stores", 2))
    )
    if len({s.store for s in stores}) != len(stores):
        raise c.fail("record.stores", "a store appears twice")
    errors = _errors(c, raw.get("errors"), "record.errors")
    if not stores and not errors:
        raise c.fail("record.stores", "no store measured and no error reported")
    init_ms = c.opt_number(raw.get("init_ms"), "record.init_ms", MAX_INIT_MS)
    if init_ms is not None and not cold:
        raise c.fail("record.init_ms", "must be null for a warm environment (INIT is a cold start's)")
    identity = _identity(c, raw.get("identity"), "record.identity")
    if identity.strategy not in SIGNING_STRATEGIES:
        for i, store in enumerate(stores):
            if store.sign_cold_ms is not None or store.sign_warm_summary is not None:
                only = ", ".join(sorted(SIGNING_STRATEGIES))
                raise c.fail(f"record.stores[{i}]", f"sign_* timings only for {only}")
    return ProbeRecord(
        invocation_id=invocation_id,
        started_at=c.timestamp(raw.get("started_at"), "record.started_at"),
        identity=identity,
        cold=cold,
        cold_cause=cold_cause,
        client_init_ms=c.opt_number(raw.get("client_init_ms"), "record.client_init_ms"),
        cpu_time_ms=c.opt_number(raw.get("cpu_time_ms"), "record.cpu_time_ms"),
        throttling=throttling,
        stores=stores,
        errors=errors,
        init_ms=init_ms,
    )


def _failure(
    c: Checker, event: Mapping[str, Any], request_id: str, condition: str, function_arn: str | None
) -> FailedInvocation:
    schedule = c.obj(event.get("requestPayload"), "requestPayload")
    strategy = c.choice(schedule.get("strategy"), "requestPayload.strategy", STRATEGIES)
    memory_mb = c.integer(schedule.get("memory_mb"), "requestPayload.memory_mb", MIN_MEMORY_MB, MAX_MEMORY_MB)
    architecture = c.choice(schedule.get("architecture"), "requestPayload.architecture", ARCHITECTURES)
    probe_key = c.string(schedule.get("probe_key"), "requestPayload.probe_key", max_len=128)
    runtime = c.opt_string(schedule.get("runtime"), "requestPayload.runtime", pattern=RUNTIME)
    # Schedule events from before tracing was a dimension do not say it; the key's scheme does.
    tracing = c.opt_choice(schedule.get("tracing"), "requestPayload.tracing", TRACING)
    tracing = tracing or _key_tracing(probe_key)
    # Schedule events say prefetch for cloud_extensions probes; the key's suffix when one does not.
    raw_prefetch = schedule.get("prefetch")
    if raw_prefetch is None and strategy in PREFETCH_STRATEGIES:
        raw_prefetch = probe_key.endswith(PREFETCH_SUFFIX)
    prefetch = _prefetch(c, raw_prefetch, "requestPayload.prefetch", strategy)
    match = FUNCTION_ARN.fullmatch(function_arn or "")
    region = match.group(1) if match else None
    dims = (strategy, memory_mb, architecture, runtime, tracing, bool(prefetch), region)
    fits = probe_key_fits(probe_key, *dims)
    if not fits:
        raise c.fail("requestPayload.probe_key", f"is not {KEY_RULE}")
    environment = c.opt_choice(schedule.get("environment"), "requestPayload.environment", ENVIRONMENTS)
    reasons = [condition]
    response = c.opt_obj(event.get("responseContext"), "responseContext") or {}
    function_error = c.opt_string(
        response.get("functionError"), "responseContext.functionError", pattern=ERROR_TYPE
    )
    if function_error:
        reasons.append(function_error)
    payload = event.get("responsePayload")
    if isinstance(payload, Mapping):
        error_type = payload.get("errorType")
        if isinstance(error_type, str) and ERROR_TYPE.fullmatch(error_type):
            reasons.append(error_type)  # e.g. Sandbox.Timedout; the free-text errorMessage is not kept
    return FailedInvocation(
        request_id=request_id,
        failed_at=c.timestamp(event.get("timestamp"), "timestamp"),
        probe_key=probe_key,
        strategy=strategy,
        memory_mb=memory_mb,
        architecture=architecture,
        region=region,
        environment=environment,
        reasons=tuple(dict.fromkeys(reasons)),
        runtime=runtime,
        tracing=tracing,
        prefetch=prefetch,
    )


def request_id_of(event: Any) -> str | None:
    """The invocation's request id if the event carries a well-formed one (for dead letters and logs)."""
    if isinstance(event, Mapping):
        context = event.get("requestContext")
        if isinstance(context, Mapping):
            rid = context.get("requestId")
            if isinstance(rid, str) and REQUEST_ID.fullmatch(rid):
                return rid
    return None


def parse_destination(event: Any) -> Delivery:
    """A validated Lambda destination record: a probe record on success, a failed invocation otherwise."""
    c = Checker(request_id_of(event))
    raw = c.obj(event, "event")
    c.string(raw.get("version"), "version", pattern=DESTINATION_VERSION, max_len=8)
    context = c.obj(raw.get("requestContext"), "requestContext")
    request_id = c.string(context.get("requestId"), "requestContext.requestId", pattern=REQUEST_ID)
    condition = c.string(
        context.get("condition"), "requestContext.condition", choices=(SUCCESS, *sorted(FAILURE_CONDITIONS))
    )
    if context.get("approximateInvokeCount") is not None:
        c.integer(context.get("approximateInvokeCount"), "requestContext.approximateInvokeCount", 0, 1000)
    function_arn = c.opt_string(context.get("functionArn"), "requestContext.functionArn")
    if condition == SUCCESS:
        response = c.opt_obj(raw.get("responseContext"), "responseContext") or {}
        if response.get("functionError") is not None:
            raise c.fail("responseContext.functionError", "present on a Success record")
        record = parse_probe_record(raw.get("responsePayload"), request_id)
        return Delivery(request_id=request_id, condition=condition, outcome=record)
    return Delivery(
        request_id=request_id,
        condition=condition,
        outcome=_failure(c, raw, request_id, condition, function_arn),
    )
