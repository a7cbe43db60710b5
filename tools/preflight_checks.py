"""The checks of `make preflight`: each reads one thing from the account (never writes) and returns findings,
each one line saying what is so or what to change. tools/preflight.py gathers the fleet's settings and runs
them.

Every check takes its boto3 client as an argument, so the same code runs against AWS, the lab's endpoint and
botocore's Stubber. What each AWS answer means is in docs/reference/account-limits.md.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

REPO_ROOT = Path(__file__).resolve().parent.parent
LAYER_TABLE = REPO_ROOT / "terraform" / "modules" / "observatory" / "layer-arns.json"
RUNTIME_TABLE = REPO_ROOT / "docs" / "reference" / "lambda-runtimes.json"
CLOUD_EXTENSIONS_PARAMETER = "/aws/service/aws-cloudextensions/lambda-extension/{arch}/latest"
PARAMETER_ARCH = {"x86_64": "amd64", "arm64": "arm64"}
FLEXIBLE_WINDOW_CAP_S = 300  # schedule.tf: min(5 minutes, interval / 3), whatever the interval
DEPRECATION_NOTICE_DAYS = 180  # AWS notifies at least this long before a deprecation (runtime table page)

Level = Literal["ok", "note", "warn", "block"]


@dataclass(frozen=True)
class Finding:
    """One line of the preflight: ok / note (information) / warn (works, but know this) / block (apply would
    fail or measure the wrong thing: change what the line says first)."""

    level: Level
    check: str
    text: str

    def line(self) -> str:
        return f"{self.level.upper():5} {self.check}: {self.text}"


@dataclass(frozen=True)
class Fleet:
    """What the deployment needs, as envs/aws's configuration says (tools.preflight.read_settings)."""

    probes: int
    strategies: frozenset[str]
    architectures: frozenset[str]
    memory_sizes: tuple[int, ...]
    runtimes: tuple[str, ...]
    interval_s: int
    window_s: int
    code_bucket: str | None = None
    extension_layer_overrides: frozenset[str] = frozenset()
    cloud_extensions_layer_overrides: frozenset[str] = frozenset()
    other_memory: Mapping[str, int] = field(default_factory=dict)  # collector, compactor

    @property
    def peak_concurrency(self) -> int:
        """Executions the fleet can need at once: every probe inside one flexible window (each starts at a
        random moment of it, so all can start in the same second), plus one for the collector."""
        return self.probes + 1


def _error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


def _code(exc: Exception) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) if isinstance(exc, ClientError) else ""


def concurrency(lambda_client: Any, fleet: Fleet) -> list[Finding]:
    """The account's concurrent executions (lambda GetAccountSettings) against the fleet's peak."""
    try:
        limit = lambda_client.get_account_settings()["AccountLimit"]
    except (ClientError, BotoCoreError) as exc:
        return [
            Finding(
                "block",
                "concurrency",
                f"cannot read Lambda's account settings ({_error(exc)}): "
                "grant lambda:GetAccountSettings to whoever deploys, then retry",
            )
        ]
    total = int(limit.get("ConcurrentExecutions", 0))
    unreserved = int(limit.get("UnreservedConcurrentExecutions", total))
    need = fleet.peak_concurrency
    window = (
        f"inside one {fleet.window_s // 60}-minute flexible window (min(5 min, interval / 3): never longer "
        "than 5 minutes, whatever the interval)"
        if fleet.window_s
        else "at the same moment (no flexible window below a 3-minute interval)"
    )
    said = (
        f"the account allows {total} concurrent executions ({unreserved} unreserved); the fleet's "
        f"{fleet.probes} probes can all start {window}, plus the collector: {need} at once"
    )
    if need > unreserved:
        return [
            Finding(
                "block",
                "concurrency",
                f"{said}. Throttled probes record the throttling as latency "
                f"errors: ask for a higher 'Concurrent executions' quota (Service Quotas, Lambda) or "
                f"cut the fleet to at most {max(unreserved - 1, 0)} probes (fleet.strategies, "
                "memory_sizes, architectures, runtimes, tracing)",
            )
        ]
    if need * 2 > unreserved:
        return [
            Finding(
                "warn",
                "concurrency",
                f"{said}: fits, with little room for the account's other "
                "functions, which share the same unreserved pool",
            )
        ]
    return [Finding("ok", "concurrency", said)]


def memory(quotas_client: Any, fleet: Fleet) -> list[Finding]:
    """The account's memory limit per function, where Service Quotas lists one for Lambda, against the largest
    memory the deployment asks for. GetAccountSettings has no memory field, so without such a quota the limit
    cannot be known before CreateFunction."""
    asked = max([*fleet.memory_sizes, *fleet.other_memory.values()])
    try:
        quotas = list(_lambda_quotas(quotas_client))
    except (ClientError, BotoCoreError) as exc:
        return [
            Finding(
                "note",
                "memory",
                f"the account's memory limit is unknown (Service Quotas: "
                f"{_error(exc)}); the fleet asks for up to {asked} MB. New accounts have reduced memory "
                "quotas: if CreateFunction refuses a tier, set max_memory_mb to what it allows",
            )
        ]
    found = [q for q in quotas if "memory" in str(q.get("QuotaName", "")).lower()]
    if not found:
        return [
            Finding(
                "note",
                "memory",
                f"Service Quotas lists no Lambda memory quota for this account: "
                f"the limit is unknown before CreateFunction; the fleet asks for up to {asked} MB "
                "(set max_memory_mb if your account's limit is lower)",
            )
        ]
    limit = min(int(q["Value"]) for q in found)
    name = next(str(q.get("QuotaName")) for q in found if int(q["Value"]) == limit)
    if asked > limit:
        too_big = sorted({m for m in [*fleet.memory_sizes, *fleet.other_memory.values()] if m > limit})
        return [
            Finding(
                "block",
                "memory",
                f"'{name}' is {limit} MB, the deployment asks for {too_big} MB: "
                f"drop those memory tiers, or ask for a higher quota; max_memory_mb = {limit} makes "
                "terraform plan refuse them too",
            )
        ]
    return [Finding("ok", "memory", f"'{name}' is {limit} MB; the deployment asks for up to {asked} MB")]


def _lambda_quotas(quotas_client: Any) -> Iterable[Mapping[str, Any]]:
    token: str | None = None
    while True:
        page = quotas_client.list_service_quotas(
            ServiceCode="lambda", **({"NextToken": token} if token else {})
        )
        yield from page.get("Quotas", [])
        token = page.get("NextToken")
        if not token:
            return


def extension_layer(ssm_client: Any, fleet: Fleet, region: str, table: Path = LAYER_TABLE) -> list[Finding]:
    """The Parameters and Secrets extension layer (the module's table) and the Cloud Extensions layer (AWS's
    public parameter) for the region and each architecture the fleet uses."""
    findings: list[Finding] = []
    if "extension" in fleet.strategies:
        regions = json.loads(table.read_text())["regions"]
        missing = sorted(
            a
            for a in fleet.architectures - fleet.extension_layer_overrides
            if a not in regions.get(region, {})
        )
        if missing:
            findings.append(
                Finding(
                    "block",
                    "extension layer",
                    f"the module's layer table "
                    f"({table.name}) has no Parameters and Secrets extension layer for {region} "
                    f"{', '.join(missing)}: set extension_layer_arns for it, or deploy elsewhere",
                )
            )
        else:
            findings.append(
                Finding(
                    "ok",
                    "extension layer",
                    f"AWS's Parameters and Secrets extension layer is "
                    f"listed for {region} ({', '.join(sorted(fleet.architectures))})",
                )
            )
    if "cloud_extensions" in fleet.strategies:
        for arch in sorted(fleet.architectures - fleet.cloud_extensions_layer_overrides):
            name = CLOUD_EXTENSIONS_PARAMETER.format(arch=PARAMETER_ARCH.get(arch, arch))
            try:
                value = ssm_client.get_parameter(Name=name)["Parameter"]["Value"]
            except (ClientError, BotoCoreError) as exc:
                level: Level = "block" if _code(exc) == "ParameterNotFound" else "warn"
                findings.append(
                    Finding(
                        level,
                        "cloud extensions layer",
                        f"{name} cannot be read in {region} "
                        f"({_error(exc)}): drop cloud_extensions from fleet.strategies, or set "
                        "cloud_extensions_layer_arns",
                    )
                )
                continue
            findings.append(Finding("ok", "cloud extensions layer", f"{arch}: {value}"))
    return findings


def runtimes(fleet: Fleet, today: dt.date, table: Path = RUNTIME_TABLE) -> list[Finding]:
    """Each runtime the deployment creates, against AWS's deprecation table (reference/lambda-runtimes.json).
    AWS offers no API listing a region's runtimes; for new regions it documents that Lambda does not offer a
    runtime due to be deprecated within six months."""
    rows = json.loads(table.read_text())["runtimes"]
    findings: list[Finding] = []
    for runtime in sorted(set(fleet.runtimes)):
        row = rows.get(runtime)
        if row is None:
            findings.append(
                Finding(
                    "block",
                    "runtime",
                    f"{runtime} is not in AWS's runtime table as copied into "
                    f"{table.name}: use python3.11, python3.12 or python3.13",
                )
            )
            continue
        deprecated = dt.date.fromisoformat(row["deprecated"])
        blocked = dt.date.fromisoformat(row["block_create"])
        if today >= blocked:
            findings.append(
                Finding(
                    "block",
                    "runtime",
                    f"{runtime}: Lambda blocks creating functions since "
                    f"{blocked} (deprecated {deprecated}): choose a newer runtime",
                )
            )
        elif today >= deprecated:
            findings.append(
                Finding(
                    "warn",
                    "runtime",
                    f"{runtime} is deprecated since {deprecated}; creating "
                    f"functions is blocked from {blocked}: move to a newer runtime",
                )
            )
        elif (deprecated - today).days <= DEPRECATION_NOTICE_DAYS:
            findings.append(
                Finding(
                    "warn",
                    "runtime",
                    f"{runtime} is deprecated on {deprecated} (creating "
                    f"functions blocked from {blocked}); a region opened now may not offer it",
                )
            )
        else:
            findings.append(Finding("ok", "runtime", f"{runtime}: supported, deprecation {deprecated}"))
    return findings


def code_bucket(s3_client: Any, fleet: Fleet, region: str) -> list[Finding]:
    """The code bucket's region (s3 GetBucketLocation): CreateFunction refuses a bucket in another region."""
    if not fleet.code_bucket:
        return [Finding("ok", "code bucket", "none: each function uploads its own zip")]
    try:
        answer = s3_client.get_bucket_location(Bucket=fleet.code_bucket)
    except (ClientError, BotoCoreError) as exc:
        level: Level = "block" if _code(exc) in ("NoSuchBucket", "404") else "warn"
        return [
            Finding(
                level,
                "code bucket",
                f"{fleet.code_bucket}: cannot read its region ({_error(exc)}): "
                "check the name and s3:GetBucketLocation, or set code_bucket = null",
            )
        ]
    where = bucket_region(answer.get("LocationConstraint"))
    if where != region:
        return [
            Finding(
                "block",
                "code bucket",
                f"{fleet.code_bucket} is in {where}, the deployment in "
                f"{region}: CreateFunction refuses a bucket in another region; use a bucket in "
                f"{region} or set code_bucket = null",
            )
        ]
    return [Finding("ok", "code bucket", f"{fleet.code_bucket} is in {region}")]


def bucket_region(location: str | None) -> str:
    """GetBucketLocation's LocationConstraint as a region: empty is us-east-1, the legacy 'EU' eu-west-1."""
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else location
