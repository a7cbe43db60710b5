"""The probe's settings, read once from the environment into a frozen dataclass (contract §1)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar, cast

from .vocabulary import (
    ARCHITECTURES,
    COLD_CAUSES,
    CPU_EMULATIONS,
    ENVIRONMENTS,
    STORES_BY_STRATEGY,
    STRATEGIES,
    Architecture,
    ColdCause,
    CpuEmulation,
    Environment,
    Store,
    Strategy,
)

_Word = TypeVar("_Word", bound=str)

DEFAULT_WARM_SAMPLES = 100
DEFAULT_SDK_WARM_SAMPLES = 10
MAX_WARM_SAMPLES = 10_000
DEFAULT_EXTENSION_PORT = 2773


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

    @property
    def stores(self) -> tuple[Store, ...]:
        """The stores this strategy supports, in measurement order."""
        return STORES_BY_STRATEGY[self.strategy]

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
        memory_mb = integer("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", None, 128, 10_240)
        port = integer("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", DEFAULT_EXTENSION_PORT, 1, 65_535)
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
        expected_key = f"{strategy}-{memory_mb}-{architecture}"
        probe_key = get("OBSERVATORY_PROBE_KEY", expected_key) or expected_key
        if not problems and probe_key != expected_key:
            problems.append(
                f"OBSERVATORY_PROBE_KEY={probe_key!r} does not match strategy, memory and architecture "
                f"({expected_key!r})"
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
            runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
            endpoint_url=get("AWS_ENDPOINT_URL"),
            extension_port=port,
            session_token=session_token,
        )
