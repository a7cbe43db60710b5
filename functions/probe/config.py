"""The probe's settings, read once from the environment into a frozen dataclass (contract §1)."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar, cast

from .vocabulary import (
    ARCHITECTURES,
    COLD_CAUSES,
    CPU_EMULATIONS,
    DEFAULT_TRACING,
    ENVIRONMENTS,
    MAX_MEMORY_MB,
    MIN_MEMORY_MB,
    PREFETCH_STRATEGIES,
    PREFETCH_SUFFIX,
    STORES,
    STORES_BY_STRATEGY,
    STRATEGIES,
    TRACING,
    Architecture,
    ColdCause,
    CpuEmulation,
    Environment,
    Store,
    Strategy,
    Tracing,
)

_Word = TypeVar("_Word", bound=str)

DEFAULT_WARM_SAMPLES = 100
DEFAULT_SDK_WARM_SAMPLES = 10
MAX_WARM_SAMPLES = 10_000
DEFAULT_EXTENSION_PORT = 2773
# AWS's Cloud Extensions port; the lab sets OBSERVATORY_LAB_CLOUD_EXTENSIONS_PORT per environment
DEFAULT_CLOUD_EXTENSIONS_PORT = 5333
BOOLEANS = {"true": True, "false": False}
MAX_HOST_CPU = 256  # characters of a CPU model name
MAX_HOST_REF_MS = 3_600_000.0  # the lab's reference workload takes seconds; an hour is nonsense
# The extension's own TTL variables (0-300 s, default 300, above 300 clamped), by store: its cache obeys them
EXTENSION_TTL_VARIABLES: dict[Store, str] = {
    "secretsmanager": "SECRETS_MANAGER_TTL",
    "ssm": "SSM_PARAMETER_STORE_TTL",
}
EXTENSION_MAX_TTL_S = 300


class ConfigError(ValueError):
    """The probe's configuration is broken: the function cannot measure anything meaningful."""


@dataclass(frozen=True)
class ProbeConfig:
    """Everything the probe needs to know about itself; logic never reads os.environ."""

    probe_key: str
    strategy: Strategy
    architecture: Architecture
    environment: Environment
    secret_id: str
    parameter_name: str
    warm_samples: int
    cache_ttl_seconds: int
    extension_layer: str | None
    cpu_emulation: CpuEmulation
    cold_cause: ColdCause
    memory_mb: int
    region: str
    function_name: str
    runtime: str
    endpoint_url: str | None
    extension_port: int
    session_token: str | None
    tracing: Tracing = DEFAULT_TRACING
    only_stores: tuple[Store, ...] | None = None  # OBSERVATORY_STORES; None: every store of the strategy
    host_cpu: str | None = None  # set by the lab: this machine's CPU model
    host_reference_ms: float | None = None  # set by the lab: its reference workload's time at start
    # cloud_extensions: whether its profile prefetches the secret at start-up (OBSERVATORY_PREFETCH); None for
    # every other strategy. The port of the Cloud Extensions runtime on localhost.
    prefetch: bool | None = None
    cloud_extensions_port: int = DEFAULT_CLOUD_EXTENSIONS_PORT
    # The extension's TTL per store, from its own variables (the function's environment); 0: no cache
    extension_ttl_seconds: tuple[tuple[Store, int], ...] = (
        ("secretsmanager", EXTENSION_MAX_TTL_S),
        ("ssm", EXTENSION_MAX_TTL_S),
    )

    def cache_ttl(self, store: Store) -> int:
        """The TTL of the cache a fetch of `store` goes through: the extension's own for `extension` (it
        reads its variables, not ours), else OBSERVATORY_CACHE_TTL_SECONDS (cloud_extensions included:
        Terraform writes the same TTL into its profile's settings)."""
        if self.strategy == "extension":
            return dict(self.extension_ttl_seconds).get(store, EXTENSION_MAX_TTL_S)
        return self.cache_ttl_seconds

    @property
    def stores(self) -> tuple[Store, ...]:
        """The stores measured, in the strategy's measurement order (all it supports unless restricted)."""
        supported = STORES_BY_STRATEGY[self.strategy]
        if self.only_stores is None:
            return supported
        return tuple(store for store in supported if store in self.only_stores)

    @property
    def host(self) -> dict[str, str | float | None] | None:
        """The record's `identity.host`: the lab machine's CPU and reference time; None on AWS."""
        if self.host_cpu is None and self.host_reference_ms is None:
            return None
        return {"cpu": self.host_cpu, "reference_ms": self.host_reference_ms}

    def fixture(self, store: Store) -> str:
        """The name (never the value) of the fixture read from `store`."""
        return self.secret_id if store == "secretsmanager" else self.parameter_name

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ProbeConfig:
        """Read and validate the configuration; raise ConfigError naming every problem found."""
        problems: list[str] = []

        def get(name: str, default: str | None = None) -> str | None:
            value = env.get(name, "").strip()
            return value if value else default

        def required(name: str) -> str:
            value = get(name)
            if value is None:
                problems.append(f"{name} is required")
                return ""
            return value

        def choice(name: str, allowed: tuple[_Word, ...], default: str | None = None) -> _Word:
            """The value, typed as the vocabulary `allowed`; anything else is a problem: no config."""
            value = get(name, default)
            if value is None:
                problems.append(f"{name} is required (one of {', '.join(allowed)})")
                return cast(_Word, "")
            if value not in allowed:
                problems.append(f"{name}={value!r} is not one of {', '.join(allowed)}")
            return cast(_Word, value)

        def integer(name: str, default: int | None, low: int, high: int) -> int:
            raw = get(name)
            if raw is None:
                if default is None:
                    problems.append(f"{name} is required (an integer {low}..{high})")
                    return 0
                return default
            try:
                value = int(raw)
            except ValueError:
                problems.append(f"{name}={raw!r} is not an integer")
                return 0
            if not low <= value <= high:
                problems.append(f"{name}={value} is outside {low}..{high}")
            return value

        strategy = choice("OBSERVATORY_STRATEGY", STRATEGIES)
        architecture = choice("OBSERVATORY_ARCHITECTURE", ARCHITECTURES)
        environment = choice("OBSERVATORY_ENVIRONMENT", ENVIRONMENTS)
        default_samples = DEFAULT_SDK_WARM_SAMPLES if strategy == "sdk" else DEFAULT_WARM_SAMPLES
        warm_samples = integer("OBSERVATORY_WARM_SAMPLES", default_samples, 1, MAX_WARM_SAMPLES)
        ttl = integer("OBSERVATORY_CACHE_TTL_SECONDS", 60, 1, 86_400)
        memory_mb = integer("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", None, MIN_MEMORY_MB, MAX_MEMORY_MB)
        port = integer("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", DEFAULT_EXTENSION_PORT, 1, 65_535)
        cx_port = integer("OBSERVATORY_LAB_CLOUD_EXTENSIONS_PORT", DEFAULT_CLOUD_EXTENSIONS_PORT, 1, 65_535)
        prefetch = _prefetch(get("OBSERVATORY_PREFETCH"), strategy, problems)
        secret_id = required("OBSERVATORY_SECRET_ID")
        parameter_name = required("OBSERVATORY_PARAMETER_NAME")
        region = get("AWS_REGION") or get("AWS_DEFAULT_REGION")
        if region is None:
            problems.append("AWS_REGION (or AWS_DEFAULT_REGION) is required")
        cpu_emulation = choice(
            "OBSERVATORY_CPU_EMULATION", CPU_EMULATIONS, "aws" if environment == "aws" else None
        )
        cold_cause = choice("OBSERVATORY_COLD_CAUSE", COLD_CAUSES, "first_start")
        session_token = get("AWS_SESSION_TOKEN")
        if strategy == "extension" and session_token is None:
            problems.append("AWS_SESSION_TOKEN is required by the extension strategy (its request token)")
        tracing = choice("OBSERVATORY_TRACING", TRACING, DEFAULT_TRACING)
        only_stores = _stores(get("OBSERVATORY_STORES"), strategy, problems)
        host_cpu = get("OBSERVATORY_LAB_HOST_CPU")
        if host_cpu is not None:
            host_cpu = " ".join(host_cpu.split())
            if len(host_cpu) > MAX_HOST_CPU:
                problems.append(f"OBSERVATORY_LAB_HOST_CPU is longer than {MAX_HOST_CPU} characters")
        host_reference_ms = _reference_ms(get("OBSERVATORY_LAB_HOST_REF_MS"), problems)
        runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
        keys = probe_keys(strategy, memory_mb, architecture, runtime, tracing, bool(prefetch))
        # outside the home table's region, the key ends in this region (contract §1)
        accepted = keys + tuple(f"{key}@{region}" for key in keys if region)
        probe_key = get("OBSERVATORY_PROBE_KEY", keys[0]) or keys[0]
        if not problems and probe_key not in accepted:
            problems.append(
                f"OBSERVATORY_PROBE_KEY={probe_key!r} does not match strategy, memory, architecture, "
                f"runtime, tracing and prefetch ({' or '.join(repr(key) for key in accepted)})"
            )
        if problems:
            raise ConfigError("broken probe configuration: " + "; ".join(problems))
        return cls(
            probe_key=probe_key,
            strategy=strategy,
            architecture=architecture,
            environment=environment,
            secret_id=secret_id,
            parameter_name=parameter_name,
            warm_samples=warm_samples,
            cache_ttl_seconds=ttl,
            extension_layer=get("OBSERVATORY_EXTENSION_LAYER"),
            cpu_emulation=cpu_emulation,
            cold_cause=cold_cause,
            memory_mb=memory_mb,
            region=region or "",
            function_name=get("AWS_LAMBDA_FUNCTION_NAME", "local") or "local",
            runtime=runtime,
            endpoint_url=get("AWS_ENDPOINT_URL"),
            extension_port=port,
            session_token=session_token,
            tracing=tracing,
            only_stores=only_stores,
            host_cpu=host_cpu,
            host_reference_ms=host_reference_ms,
            prefetch=prefetch,
            cloud_extensions_port=cx_port,
            extension_ttl_seconds=tuple(
                (store, extension_ttl(get(name))) for store, name in EXTENSION_TTL_VARIABLES.items()
            ),
        )


def probe_keys(
    strategy: str, memory_mb: int, architecture: str, runtime: str, tracing: str, prefetch: bool = False
) -> tuple[str, str]:
    """The two keys a probe may have (contract §1): `{strategy}-{memory}-{arch}`, then `-py{MAJOR}{MINOR}`
    only when the runtime differs from the environment's default (which the probe cannot know: either is
    accepted), then `-{tracing}` when tracing is not `subsegments`, then `-prefetch` when prefetch is on.
    Without the runtime comes first."""
    base = f"{strategy}-{memory_mb}-{architecture}"
    tail = ("" if tracing == DEFAULT_TRACING else f"-{tracing}") + (PREFETCH_SUFFIX if prefetch else "")
    runtime_part = "-py" + runtime[len("python") :].replace(".", "")
    return base + tail, base + runtime_part + tail


def extension_ttl(raw: str | None) -> int:
    """The TTL (s) the extension applies for one of its TTL variables: its default 300 when unset, clamped to
    300 above it; a value it could not read counts as 300, the longest it can keep an entry (never shorter
    than the truth: a fetch is called a miss only when the entry has certainly expired)."""
    if raw is None:
        return EXTENSION_MAX_TTL_S
    try:
        value = int(raw)
    except ValueError:
        return EXTENSION_MAX_TTL_S
    return value if 0 <= value <= EXTENSION_MAX_TTL_S else EXTENSION_MAX_TTL_S


def tracing_from_env(env: Mapping[str, str]) -> Tracing:
    """The tracing mode alone, for INIT (before the configuration is read); an unknown one counts as `off`
    here, and ProbeConfig.from_env reports it at the first invocation."""
    value = env.get("OBSERVATORY_TRACING", "").strip() or DEFAULT_TRACING
    for mode in TRACING:
        if value == mode:
            return mode
    return "off"


def _stores(raw: str | None, strategy: Strategy, problems: list[str]) -> tuple[Store, ...] | None:
    """OBSERVATORY_STORES: the stores to measure, each one the strategy reads; None when not set."""
    if raw is None:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    supported = STORES_BY_STRATEGY.get(strategy, ())
    chosen: list[Store] = []
    for name in names:
        store = next((s for s in supported if s == name), None)
        if store is None:
            reason = "not a store" if name not in STORES else f"not read by the {strategy} strategy"
            problems.append(f"OBSERVATORY_STORES names {name!r}: {reason} (one of {', '.join(supported)})")
        elif store not in chosen:
            chosen.append(store)
    if not names:
        problems.append("OBSERVATORY_STORES names no store")
    return tuple(chosen)


def _prefetch(raw: str | None, strategy: Strategy, problems: list[str]) -> bool | None:
    """OBSERVATORY_PREFETCH (`true` | `false`, default false) for a strategy with prefetch variants; None for
    the others, where only `false` (or nothing) is accepted."""
    value = BOOLEANS.get((raw or "false").lower())
    if value is None:
        problems.append(f"OBSERVATORY_PREFETCH={raw!r} is not true or false")
        return None
    if strategy not in PREFETCH_STRATEGIES:
        if value:
            problems.append(f"OBSERVATORY_PREFETCH=true, but the {strategy} strategy has no prefetch")
        return None
    return value


def _reference_ms(raw: str | None, problems: list[str]) -> float | None:
    """OBSERVATORY_LAB_HOST_REF_MS: a positive, finite number of milliseconds, or None when not set."""
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"OBSERVATORY_LAB_HOST_REF_MS={raw!r} is not a number")
        return None
    if not math.isfinite(value) or not 0.0 < value <= MAX_HOST_REF_MS:
        problems.append(f"OBSERVATORY_LAB_HOST_REF_MS={raw!r} is outside (0, {MAX_HOST_REF_MS:g}] ms")
        return None
    return value
