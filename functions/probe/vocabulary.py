"""The probe's closed vocabulary: every value a dimension of its record may take (contract §1 and §3).

The probe zip is self-contained, so it keeps its own copy; the data layer keeps another
(`datastore/vocabulary.py`), which the rest of the repository imports. `tests/unit/test_vocabulary.py` checks
that every copy agrees: this one, the collector's, the extension's, Terraform's validation lists, the
dashboard's labels and the contract.
"""

from __future__ import annotations

from typing import Literal, get_args

Strategy = Literal["extension", "sdk", "dict", "caching_lib", "powertools", "cloud_extensions"]
Store = Literal["secretsmanager", "ssm"]
Architecture = Literal["x86_64", "arm64"]
Environment = Literal["aws", "lab"]
CpuEmulation = Literal["aws", "cgroup-v1", "cgroup-v2", "none"]  # `aws` on AWS; the others set by the lab
ColdCause = Literal["first_start", "idle_expiry", "forced"]
Phase = Literal["init", "ready", "cold_miss", "warm_hit", "config"]  # where an error happened
# What makes a store's first fetch a miss (contract §3 `miss_guarantee`): the strategy emptied its own cache,
# it has none, the environment's cache started empty with it, the TTL elapsed since this environment's last
# fetch; `none`: nothing does (within the TTL of that fetch), so the fetch is recorded as a hit, not a miss.
MissGuarantee = Literal["forced", "no_cache", "fresh_environment", "ttl_elapsed", "none"]
# How the function traces: not at all (PassThrough, no tracing library imported); the X-Ray SDK with the
# probe's own subsegments, or the 2022 run's patch_all(); OpenTelemetry set up by the probe (`otel`), or AWS's
# distribution through its Lambda layer's wrapper (`adot`)
Tracing = Literal["off", "subsegments", "patch_all", "otel", "adot"]
# Every runtime the probe runs on (the lab accepts all; which AWS still creates is Terraform's business)
LabRuntime = Literal["python3.9", "python3.10", "python3.11", "python3.12", "python3.13"]

STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)
STORES: tuple[Store, ...] = get_args(Store)
ARCHITECTURES: tuple[Architecture, ...] = get_args(Architecture)
ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)
CPU_EMULATIONS: tuple[CpuEmulation, ...] = get_args(CpuEmulation)
COLD_CAUSES: tuple[ColdCause, ...] = get_args(ColdCause)
PHASES: tuple[Phase, ...] = get_args(Phase)
MISS_GUARANTEES: tuple[MissGuarantee, ...] = get_args(MissGuarantee)
TRACING: tuple[Tracing, ...] = get_args(Tracing)
LAB_RUNTIMES: tuple[LabRuntime, ...] = get_args(LabRuntime)
# The OpenTelemetry modes and the runtimes they run on: opentelemetry-sdk 1.45 and aws-opentelemetry-distro
# need Python 3.10+, and AWS's ADOT Python layer is published for python3.10 to 3.14 (others refused)
OTEL_TRACING: tuple[Tracing, ...] = ("otel", "adot")
OTEL_RUNTIMES: tuple[LabRuntime, ...] = ("python3.10", "python3.11", "python3.12", "python3.13")
DEFAULT_TRACING: Tracing = "subsegments"  # the only mode before tracing was a dimension
# The memory a Lambda function may have (MB): what the probe accepts as its own and records
MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240

# The stores each strategy reads, in measurement order: aws-secretsmanager-caching reads Secrets Manager only.
STORES_BY_STRATEGY: dict[Strategy, tuple[Store, ...]] = {
    "extension": ("secretsmanager", "ssm"),
    "sdk": ("secretsmanager", "ssm"),
    "dict": ("secretsmanager", "ssm"),
    "caching_lib": ("secretsmanager",),
    "powertools": ("secretsmanager", "ssm"),
    "cloud_extensions": ("secretsmanager", "ssm"),
}
# Strategies whose probes come in two variants, prefetch off and on (OBSERVATORY_PREFETCH, key `-prefetch`)
PREFETCH_STRATEGIES: tuple[Strategy, ...] = ("cloud_extensions",)
PREFETCH_SUFFIX = "-prefetch"
