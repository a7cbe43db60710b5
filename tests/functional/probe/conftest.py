"""Fixtures for the probe's functional tests: an in-process AWS mock holding the canary fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import boto3
import pytest
from moto import mock_aws

from functions.probe.config import ProbeConfig
from functions.probe.vocabulary import STRATEGIES

CANARY = "canary-value-7f3a91c2-do-not-leak"
SECRET_ID = "slo-canary-secret"
PARAMETER_NAME = "/slo/canary/secure"
# every strategy that calls AWS itself (the two extensions' calls happen in their own process)
AWS_STRATEGIES = tuple(s for s in STRATEGIES if s not in ("extension", "cloud_extensions"))


def probe_env(strategy: str, **overrides: str) -> dict[str, str]:
    """A complete probe environment (contract §1) for `strategy`; overrides replace or add variables."""
    env = {
        "OBSERVATORY_STRATEGY": strategy,
        "OBSERVATORY_ARCHITECTURE": "x86_64",
        "OBSERVATORY_ENVIRONMENT": "lab",
        "OBSERVATORY_CPU_EMULATION": "none",
        "OBSERVATORY_SECRET_ID": SECRET_ID,
        "OBSERVATORY_PARAMETER_NAME": PARAMETER_NAME,
        "OBSERVATORY_WARM_SAMPLES": "20",
        "OBSERVATORY_CACHE_TTL_SECONDS": "60",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_NAME": f"slo-probe-{strategy}-128-x86_64",
        "AWS_REGION": "us-east-1",
        "AWS_SESSION_TOKEN": "session-token-for-tests",
    }
    env.update(overrides)
    return env


@pytest.fixture
def make_config() -> Callable[..., ProbeConfig]:
    """Build a ProbeConfig from probe_env(strategy, **overrides)."""

    def make(strategy: str, **overrides: str) -> ProbeConfig:
        return ProbeConfig.from_env(probe_env(strategy, **overrides))

    return make


@pytest.fixture
def aws() -> Iterator[None]:
    """moto's in-process AWS with the secret and the SecureString parameter both holding CANARY."""
    with mock_aws():
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name=SECRET_ID, SecretString=CANARY
        )
        boto3.client("ssm", region_name="us-east-1").put_parameter(
            Name=PARAMETER_NAME, Value=CANARY, Type="SecureString"
        )
        yield
