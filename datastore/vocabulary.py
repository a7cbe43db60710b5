"""The closed vocabulary of records and rows: every value a dimension may take (contract §1, §3 and §4).

The data layer (`datastore`) owns the table, so this is the copy the rest of the repository imports (the
collector, the dashboard, tools, bench, tests). The probe zip keeps its own (`functions/probe/vocabulary.py`)
because each zip is self-contained; `tests/unit/test_vocabulary.py` checks that every copy agrees,
Terraform's validation lists and the dashboard's labels included.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

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
# Every runtime the probe runs on (the lab accepts all); AWS_RUNTIMES below is what AWS still creates
LabRuntime = Literal["python3.9", "python3.10", "python3.11", "python3.12", "python3.13"]
Status = Literal["ok", "error", "failed"]  # of a row: measured cleanly, errors reported, invocation failed
# Runtimes a deployment to AWS may use: the code needs Python 3.11+ (datetime.UTC), the pinned provider
# (hashicorp/aws 5.100.0) knows nothing newer than python3.13, and Lambda creates none older than these.
AwsRuntime = Literal["python3.11", "python3.12", "python3.13"]

STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)
STORES: tuple[Store, ...] = get_args(Store)
ARCHITECTURES: tuple[Architecture, ...] = get_args(Architecture)
ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)
CPU_EMULATIONS: tuple[CpuEmulation, ...] = get_args(CpuEmulation)
COLD_CAUSES: tuple[ColdCause, ...] = get_args(ColdCause)
PHASES: tuple[Phase, ...] = get_args(Phase)
MISS_GUARANTEES: tuple[MissGuarantee, ...] = get_args(MissGuarantee)
STATUSES: tuple[Status, ...] = get_args(Status)
TRACING: tuple[Tracing, ...] = get_args(Tracing)
LAB_RUNTIMES: tuple[LabRuntime, ...] = get_args(LabRuntime)
# The OpenTelemetry modes and the runtimes they run on: opentelemetry-sdk 1.45 and aws-opentelemetry-distro
# need Python 3.10+, and AWS's ADOT Python layer is published for python3.10 to 3.14 (others refused)
OTEL_TRACING: tuple[Tracing, ...] = ("otel", "adot")
OTEL_RUNTIMES: tuple[LabRuntime, ...] = ("python3.10", "python3.11", "python3.12", "python3.13")
DEFAULT_TRACING: Final[Tracing] = "subsegments"  # of records and rows from before tracing was a dimension
AWS_RUNTIMES: tuple[AwsRuntime, ...] = get_args(AwsRuntime)
# Strategies with two probe variants, prefetch off and on (record `identity.prefetch`, key `-prefetch`)
PREFETCH_STRATEGIES: tuple[Strategy, ...] = ("cloud_extensions",)
PREFETCH_SUFFIX: Final = "-prefetch"

NO_STORE: Final = "none"  # `store` of a row that measured none: a failed invocation, a config error
FAILED_PHASE: Final = "invocation"  # the `error_phase` of a failed invocation's row
ROW_STORES: tuple[str, ...] = (*STORES, NO_STORE)  # every value of a row's `store`

# The memory a Lambda function may have (MB), a record's `memory_mb` included; Terraform validates the same
# range (terraform/modules/observatory/variables.tf); the probe keeps a copy (functions/probe/vocabulary.py).
MIN_MEMORY_MB: Final = 128
MAX_MEMORY_MB: Final = 10_240
