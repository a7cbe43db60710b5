"""tools.preflight against the lab's kind of endpoint (moto over HTTP): the real boto3 calls it makes, read
only, answered by a server: the account, the public layer parameter and a code bucket's region. moto answers
neither Lambda's GetAccountSettings nor Service Quotas' ListServiceQuotas: what the preflight says then is
tested here, the quota answers themselves with botocore's Stubber (tests/unit/tools/test_preflight.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tools import preflight
from tools.preflight_checks import Fleet

FLEET = Fleet(
    probes=4,
    strategies=frozenset({"extension", "sdk", "cloud_extensions"}),
    architectures=frozenset({"x86_64"}),
    memory_sizes=(128, 1769),
    runtimes=("python3.13",),
    interval_s=900,
    window_s=300,
    other_memory={"collector": 256, "compactor": 1024},
)


@pytest.fixture
def endpoint(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    yield aws_endpoint


def s3(endpoint: str, region: str) -> Any:
    return boto3.client("s3", region_name=region, endpoint_url=endpoint)


def test_preflight_reads_the_endpoint_and_blocks_only_what_it_cannot_find(endpoint: str) -> None:
    bucket = "preflight-code-ireland"
    s3(endpoint, "eu-west-1").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    fleet = Fleet(**{**FLEET.__dict__, "code_bucket": bucket})
    findings = preflight.check(
        preflight.Settings(fleet=fleet, region=None),
        ("us-east-1", "AWS_REGION"),
        boto3.session.Session(region_name="us-east-1"),
        today=dt.date(2026, 12, 6),
    )
    by_check = {f.check: f for f in findings}
    assert by_check["region"].text == "us-east-1 (from AWS_REGION)"
    assert by_check["account"].level == "ok" and "credentials from env" in by_check["account"].text
    # an account whose settings cannot be read cannot be said to fit the fleet: blocked, with what to grant
    assert by_check["concurrency"].level == "block"
    assert "cannot read Lambda's account settings" in by_check["concurrency"].text
    assert by_check["code bucket"].level == "block"
    assert f"{bucket} is in eu-west-1, the deployment in us-east-1" in by_check["code bucket"].text
    assert by_check["extension layer"].level == "ok"
    # the endpoint publishes no Cloud Extensions layer parameter: said, with what to change
    assert "cloud_extensions_layer_arns" in by_check["cloud extensions layer"].text
    assert by_check["memory"].level == "note" and "memory limit is unknown" in by_check["memory"].text


class StubbedLambda:
    """The endpoint's session, except Lambda's account settings, answered as a stub (moto has none)."""

    def __init__(self, concurrency: int) -> None:
        self.session = boto3.session.Session(region_name="us-east-1")
        self.concurrency = concurrency
        self.profile_name = self.session.profile_name

    def get_credentials(self) -> Any:
        return self.session.get_credentials()

    def client(self, service: str, **kwargs: Any) -> Any:
        made = self.session.client(service, **kwargs)
        if service == "lambda":
            stub = Stubber(made)
            limit = {
                "ConcurrentExecutions": self.concurrency,
                "UnreservedConcurrentExecutions": self.concurrency,
            }
            stub.add_response("get_account_settings", {"AccountLimit": limit, "AccountUsage": {}})
            stub.activate()
        return made


def test_cli_exit_status_follows_the_blocking_lines(
    endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = "preflight-code-virginia"
    s3(endpoint, "us-east-1").create_bucket(Bucket=bucket)
    fleet = Fleet(
        **{**FLEET.__dict__, "code_bucket": bucket, "cloud_extensions_layer_overrides": frozenset({"x86_64"})}
    )
    env = {"AWS_REGION": "us-east-1"}

    def run(concurrency: int) -> int:
        return preflight.main(
            ["terraform/envs/aws"],
            settings=lambda _: preflight.Settings(fleet, None),
            session=lambda _: StubbedLambda(concurrency),
            env=env,
        )

    assert run(1000) == 0
    out = capsys.readouterr().out
    assert "preflight OK    region: us-east-1 (from AWS_REGION)" in out
    assert f"preflight OK    code bucket: {bucket} is in us-east-1" in out
    assert "nothing blocks the deployment" in out
    assert run(4) == 1  # 4 probes + the collector > 4
    assert "BLOCK concurrency: the account allows 4 concurrent executions" in capsys.readouterr().out
