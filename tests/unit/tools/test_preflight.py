"""tools.preflight: the account's answers (botocore Stubber on the real service models) against the fleet:
each problem one line saying what to change, a non-zero exit when one blocks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tools import preflight, preflight_checks
from tools.preflight_checks import Finding, Fleet

FLEET = Fleet(
    probes=14,
    strategies=frozenset({"extension", "sdk", "cloud_extensions"}),
    architectures=frozenset({"x86_64"}),
    memory_sizes=(128, 1769),
    runtimes=("python3.13",),
    interval_s=900,
    window_s=300,
    other_memory={"collector": 256, "compactor": 1024},
)
TODAY = dt.date(2026, 12, 6)


def client(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")


@pytest.fixture
def lam() -> Iterator[tuple[Any, Stubber]]:
    c = client("lambda")
    with Stubber(c) as stub:
        yield c, stub


def settings(stub: Stubber, concurrent: int, unreserved: int) -> None:
    limit = {"ConcurrentExecutions": concurrent, "UnreservedConcurrentExecutions": unreserved}
    stub.add_response("get_account_settings", {"AccountLimit": limit, "AccountUsage": {}})


def levels(findings: list[Finding]) -> list[str]:
    return [f.level for f in findings]


def test_a_new_account_with_10_concurrent_executions_blocks_the_default_fleet(lam: Any) -> None:
    c, stub = lam
    settings(stub, 10, 10)
    [finding] = preflight_checks.concurrency(c, FLEET)
    assert finding.level == "block"
    assert "allows 10 concurrent executions (10 unreserved)" in finding.text
    assert "14 probes can all start inside one 5-minute flexible window" in finding.text
    assert "never longer than 5 minutes, whatever the interval" in finding.text
    assert "15 at once" in finding.text
    assert "record the throttling as latency errors" in finding.text
    assert "cut the fleet to at most 9 probes" in finding.text


def test_a_fleet_wider_than_the_unreserved_pool_blocks_even_under_the_account_total(lam: Any) -> None:
    c, stub = lam
    settings(stub, 1000, 12)  # other functions reserve most of the account's concurrency
    assert levels(preflight_checks.concurrency(c, FLEET)) == ["block"]


def test_a_fleet_that_fits_tightly_warns_and_one_with_room_passes(lam: Any) -> None:
    c, stub = lam
    settings(stub, 20, 20)
    settings(stub, 1000, 1000)
    assert levels(preflight_checks.concurrency(c, FLEET)) == ["warn"]
    [ok] = preflight_checks.concurrency(c, FLEET)
    assert ok.level == "ok" and "15 at once" in ok.text


def test_no_flexible_window_below_three_minutes_is_said(lam: Any) -> None:
    c, stub = lam
    settings(stub, 1000, 1000)
    fleet = Fleet(**{**FLEET.__dict__, "interval_s": 120, "window_s": 0})
    [finding] = preflight_checks.concurrency(c, fleet)
    assert "at the same moment (no flexible window below a 3-minute interval)" in finding.text


def test_unreadable_account_settings_block_with_the_permission_to_grant(lam: Any) -> None:
    c, stub = lam
    stub.add_client_error("get_account_settings", "AccessDeniedException", "not allowed")
    [finding] = preflight_checks.concurrency(c, FLEET)
    assert finding.level == "block" and "lambda:GetAccountSettings" in finding.text


def quotas(values: dict[str, float]) -> Any:
    c = client("service-quotas")
    stub = Stubber(c)
    page = [
        {"ServiceCode": "lambda", "QuotaCode": f"L-{i}", "QuotaName": name, "Value": value}
        for i, (name, value) in enumerate(values.items())
    ]
    stub.add_response(
        "list_service_quotas", {"Quotas": page[:1], "NextToken": "t"}, {"ServiceCode": "lambda"}
    )
    stub.add_response(
        "list_service_quotas", {"Quotas": page[1:]}, {"ServiceCode": "lambda", "NextToken": "t"}
    )
    stub.activate()
    return c


def test_a_memory_quota_below_the_largest_tier_blocks_and_names_the_tiers() -> None:
    c = quotas({"Concurrent executions": 10, "Function memory": 1536})
    [finding] = preflight_checks.memory(c, FLEET)
    assert finding.level == "block"
    assert "'Function memory' is 1536 MB, the deployment asks for [1769] MB" in finding.text
    assert "max_memory_mb = 1536" in finding.text


def test_memory_within_the_quota_passes_and_no_quota_is_a_note() -> None:
    assert levels(preflight_checks.memory(quotas({"a": 1, "Function memory": 10240}), FLEET)) == ["ok"]
    [note] = preflight_checks.memory(quotas({"Concurrent executions": 10, "x": 2}), FLEET)
    assert note.level == "note" and "unknown before CreateFunction" in note.text


def test_service_quotas_unreadable_is_a_note_not_a_block() -> None:
    c = client("service-quotas")
    with Stubber(c) as stub:
        stub.add_client_error("list_service_quotas", "AccessDeniedException", "no")
        [note] = preflight_checks.memory(c, FLEET)
    assert note.level == "note" and "AccessDeniedException" in note.text


def test_code_bucket_in_another_region_blocks() -> None:
    c = client("s3")
    fleet = Fleet(**{**FLEET.__dict__, "code_bucket": "artifacts"})
    with Stubber(c) as stub:
        stub.add_response("get_bucket_location", {"LocationConstraint": "eu-west-1"}, {"Bucket": "artifacts"})
        stub.add_response("get_bucket_location", {}, {"Bucket": "artifacts"})
        stub.add_client_error("get_bucket_location", "NoSuchBucket", "gone")
        [other] = preflight_checks.code_bucket(c, fleet, "us-east-1")
        [same] = preflight_checks.code_bucket(c, fleet, "us-east-1")
        [missing] = preflight_checks.code_bucket(c, fleet, "us-east-1")
    assert other.level == "block" and "artifacts is in eu-west-1, the deployment in us-east-1" in other.text
    assert same.level == "ok"  # an empty LocationConstraint is us-east-1
    assert missing.level == "block"
    assert preflight_checks.bucket_region("EU") == "eu-west-1"


def test_layers_come_from_the_modules_table_and_aws_public_parameter() -> None:
    c = client("ssm")
    with Stubber(c) as stub:
        stub.add_client_error("get_parameter", "ParameterNotFound", "none")
        findings = preflight_checks.extension_layer(c, FLEET, "us-east-1")
        no_table = preflight_checks.extension_layer(
            c, Fleet(**{**FLEET.__dict__, "strategies": frozenset({"extension"})}), "xx-nowhere-1"
        )
    assert [(f.check, f.level) for f in findings] == [
        ("extension layer", "ok"),
        ("cloud extensions layer", "block"),
    ]
    assert "/aws/service/aws-cloudextensions/lambda-extension/amd64/latest" in findings[1].text
    assert no_table[0].level == "block" and "set extension_layer_arns" in no_table[0].text


def test_runtimes_against_aws_table() -> None:
    fleet = Fleet(**{**FLEET.__dict__, "runtimes": ("python3.10", "python3.11", "python3.13", "python3.99")})
    found = {f.text.split(":")[0].split(" ")[0]: f.level for f in preflight_checks.runtimes(fleet, TODAY)}
    # python3.10: deprecated 2026-10-31, creating blocked from 2026-11-30 (AWS's table)
    assert found == {"python3.10": "block", "python3.11": "ok", "python3.13": "ok", "python3.99": "block"}
    # within AWS's 180-day notice of python3.11's deprecation (2027-06-30)
    assert [f.level for f in preflight_checks.runtimes(fleet, dt.date(2027, 1, 15))][1] == "warn"
    before = preflight_checks.runtimes(fleet, dt.date(2026, 11, 1))
    assert "python3.10 is deprecated since 2026-10-31; creating functions is blocked from 2026-11-30" in (
        before[0].text
    )


def test_settings_are_read_from_the_evaluated_configuration() -> None:
    values = {
        "cost": {
            "probes": {
                "sdk-128-x86_64": {"strategy": "sdk", "memory_mb": 128, "architecture": "x86_64"},
                "extension-1769-arm64": {"strategy": "extension", "memory_mb": 1769, "architecture": "arm64"},
            },
            "schedule_interval_s": 900,
            "schedule_window_s": 300,
            "collector_memory_mb": 256,
            "collector_architecture": "x86_64",
        },
        "compactor": {"memory_mb": 1024},
        "build": {"runtime": "python3.13", "runtimes": ["python3.12"]},
        "region": None,
        "code_bucket": "b",
        "extension_layer_arns": {"arm64": "arn"},
        "cloud_extensions_layer_arns": {},
    }
    read = preflight.settings_from(values)
    assert read.region is None
    assert read.fleet.probes == 2 and read.fleet.peak_concurrency == 3
    assert read.fleet.architectures == {"x86_64", "arm64"}
    assert read.fleet.runtimes == ("python3.12", "python3.13")
    assert read.fleet.extension_layer_overrides == {"arm64"}


def test_a_region_in_tfvars_counts_below_region_and_tf_var_region(tmp_path: Path) -> None:
    env_dir = Path("terraform/envs/aws")
    env = {"AWS_REGION": "us-west-2", "AWS_CONFIG_FILE": str(tmp_path / "none")}
    assert preflight.deployment_region(None, "eu-west-1", env, env_dir) == (
        "eu-west-1",
        f"region in {env_dir}'s tfvars",
    )
    assert preflight.deployment_region("ca-central-1", "eu-west-1", env, env_dir)[0] == "ca-central-1"
    assert preflight.deployment_region(None, "eu-west-1", {**env, "TF_VAR_region": "eu-west-1"}, env_dir) == (
        "eu-west-1",
        "TF_VAR_region",
    )
    assert preflight.deployment_region(None, None, env, env_dir) == ("us-west-2", "AWS_REGION")


def test_report_puts_blocking_lines_last_and_returns_false() -> None:
    lines: list[str] = []
    ok = preflight.report(
        [Finding("block", "concurrency", "x"), Finding("ok", "region", "us-east-1 (from AWS_REGION)")],
        lines.append,
    )
    assert not ok
    assert lines[0] == "preflight OK    region: us-east-1 (from AWS_REGION)"
    assert lines[1] == "preflight BLOCK concurrency: x"
    assert "1 problem(s) block the deployment" in lines[2]
