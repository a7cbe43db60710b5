"""`make preflight`: what a deployment of terraform/envs/aws would meet in the account, before it changes.

    python -m tools.preflight terraform/envs/aws [--region REGION]

Says which account (and which credentials) and which region (and why that one: tools/region.py), then checks
the account's Lambda concurrency and memory limit against the fleet at its peak, the extension layers and the
runtimes in that region, and the code bucket's region (tools/preflight_checks.py). Each problem is one line
saying what to change. Exit 0 when nothing blocks, 1 when something does (or the account cannot be read),
2 for a usage error. It only reads: sts GetCallerIdentity, lambda GetAccountSettings, service-quotas
ListServiceQuotas, ssm GetParameter (AWS's public layer parameters), s3 GetBucketLocation.

The fleet and its settings come from the env's own configuration through tools.terraform.evaluate (variables,
tfvars, TF_VAR_*, as `terraform apply` would see them; no cloud call), as tools.cost reads them.
`make deploy` runs the same checks (tools.terraform_run) and stops before the plan when one blocks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import cli, preflight_checks, region, terraform
from tools.preflight_checks import Finding, Fleet

ENVIRONMENT = (
    terraform.ENVIRONMENT
    | region.ENVIRONMENT
    | {
        "AWS_ENDPOINT_URL": "an AWS endpoint other than AWS's own (the lab's moto endpoint in tests)",
    }
)
SETTINGS_EXPRESSION = (
    "{cost = module.observatory.cost_inputs, compactor = module.observatory.compactor_cost_inputs, "
    "build = local.build, region = var.region, code_bucket = var.code_bucket, "
    "extension_layer_arns = var.extension_layer_arns, "
    "cloud_extensions_layer_arns = var.cloud_extensions_layer_arns}"
)


class PreflightError(Exception):
    """The account could not be read at all (no credentials, no network)."""


@dataclass(frozen=True)
class Settings:
    """What the env says: the fleet, and the region its configuration names (None: not named there)."""

    fleet: Fleet
    region: str | None


def settings_from(values: Mapping[str, Any]) -> Settings:
    """Settings from the evaluated SETTINGS_EXPRESSION (pure: tested without terraform)."""
    cost = values["cost"]
    probes = list(cost["probes"].values())
    fleet = Fleet(
        probes=len(probes),
        strategies=frozenset(p["strategy"] for p in probes),
        architectures=frozenset(p["architecture"] for p in probes) | {cost["collector_architecture"]},
        memory_sizes=tuple(sorted({int(p["memory_mb"]) for p in probes})),
        runtimes=tuple(sorted({values["build"]["runtime"], *values["build"]["runtimes"]})),
        interval_s=int(cost["schedule_interval_s"]),
        window_s=int(cost["schedule_window_s"]),
        code_bucket=values.get("code_bucket"),
        extension_layer_overrides=frozenset(values.get("extension_layer_arns") or {}),
        cloud_extensions_layer_overrides=frozenset(values.get("cloud_extensions_layer_arns") or {}),
        other_memory={
            "collector": int(cost["collector_memory_mb"]),
            "compactor": int(values["compactor"]["memory_mb"]),
        },
    )
    return Settings(fleet=fleet, region=values.get("region"))


def read_settings(env_dir: Path) -> Settings:
    """The env's fleet and settings, as `terraform apply` would see them (no cloud call)."""
    return settings_from(terraform.evaluate(env_dir, SETTINGS_EXPRESSION))


def deployment_region(
    explicit: str | None, configured: str | None, env: Mapping[str, str], env_dir: Path
) -> tuple[str, str]:
    """tools.region's rule, with a `region` written in the env's terraform.tfvars / *.auto.tfvars counting as
    an explicit setting (below --region/REGION= and TF_VAR_region, above AWS_REGION and the profile)."""
    if explicit or env.get("TF_VAR_region") or not configured:
        return region.resolve_region(explicit, env)
    return region.resolve_region(configured, env, source=f"region in {env_dir}'s tfvars")


def identity(session: Any) -> tuple[Finding, str | None]:
    """Who the credentials are, and where boto3 found them: the account line (block when unreadable)."""
    credentials = session.get_credentials()
    if credentials is None:
        return Finding(
            "block",
            "account",
            "no AWS credentials found: set AWS_PROFILE (aws configure / aws sso "
            "login) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ), None
    where = f"credentials from {credentials.method}"
    if session.profile_name and credentials.method in (
        "shared-credentials-file",
        "sso",
        "assume-role",
        "custom-process",
        "config-file",
    ):
        where += f", profile {session.profile_name}"
    try:
        answer = session.client("sts").get_caller_identity()
    except Exception as exc:  # any failure is shown as the account line
        return Finding(
            "block",
            "account",
            f"cannot identify the account ({preflight_checks._error(exc)}; {where}): "
            "refresh the credentials (aws sso login) and retry",
        ), None
    return Finding("ok", "account", f"{answer['Account']} as {answer['Arn']} ({where})"), str(
        answer["Account"]
    )


def check(
    settings: Settings, where: tuple[str, str], session: Any, today: dt.date | None = None
) -> list[Finding]:
    """Every finding of the preflight for the fleet in `where` (region, source), read with `session`."""
    name, source = where
    findings = [Finding("ok", "region", f"{name} (from {source})")]
    account, account_id = identity(session)
    findings.append(account)
    fleet = settings.fleet
    findings += preflight_checks.runtimes(fleet, today or dt.date.today())
    if account_id is None:
        return findings
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None

    def client(service: str) -> Any:
        return session.client(service, region_name=name, endpoint_url=endpoint)

    findings += preflight_checks.concurrency(client("lambda"), fleet)
    findings += preflight_checks.memory(client("service-quotas"), fleet)
    findings += preflight_checks.extension_layer(client("ssm"), fleet, name)
    findings += preflight_checks.code_bucket(client("s3"), fleet, name)
    return findings


def report(findings: Sequence[Finding], write: Callable[[str], object] = print) -> bool:
    """Print the findings, blocking ones last, and a summary; True when nothing blocks."""
    order = {"ok": 0, "note": 1, "warn": 2, "block": 3}
    for finding in sorted(findings, key=lambda f: order[f.level]):
        write(f"preflight {finding.line()}")
    blocking = [f for f in findings if f.level == "block"]
    if blocking:
        write(f"preflight: {len(blocking)} problem(s) block the deployment: change what each BLOCK line says")
    else:
        write("preflight: nothing blocks the deployment")
    return not blocking


def session_for(name: str) -> Any:
    """A boto3 session in `name` with the default credential chain."""
    import boto3

    return boto3.session.Session(region_name=name)


def main(
    argv: list[str] | None = None,
    settings: Callable[[Path], Settings] = read_settings,
    session: Callable[[str], Any] = session_for,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run the preflight; 0 when nothing blocks, 1 when something does, 2 for a usage error."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.preflight",
        description="What a deployment would meet in the AWS account, before anything changes (reads only).",
        epilog=cli.environment_help(ENVIRONMENT),
    )
    parser.add_argument("env_dir", type=Path, help="root configuration, e.g. terraform/envs/aws")
    parser.add_argument("--region", default=None, help="where to deploy (make: REGION=); see tools/region.py")
    args = parser.parse_args(argv)

    def body() -> int:
        read = settings(args.env_dir)
        where = deployment_region(args.region, read.region, os.environ if env is None else env, args.env_dir)
        return 0 if report(check(read, where, session(where[0]))) else 1

    return cli.run("preflight", body, failures=(terraform.TerraformError, PreflightError))


if __name__ == "__main__":
    sys.exit(main())
