"""A throttle is an error of that sample, never a slow fetch: no retry inside the timed region.

The strategies' own clients (created as on AWS, from the probe's configuration) talk to a throttling AWS
double over loopback HTTP, which sees every attempt botocore sends.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
import pytest
from botocore.config import Config

from functions.probe import strategies
from functions.probe.config import STORES_BY_STRATEGY, ProbeConfig
from functions.probe.timing import Probe

from .conftest import CANARY
from .extension_double import DoubleState, extension_double
from .test_probe_extension import TOKEN, _state
from .throttling_aws import AwsDouble, Fault, aws_double

AWS_STRATEGIES = ("sdk", "dict", "caching_lib", "powertools")
FAULTS = (
    Fault(400, "ThrottlingException"),
    Fault(429, "TooManyRequestsException"),
    Fault(400, "ThrottledException"),
    Fault(400, "RequestLimitExceeded"),
    Fault(500, "InternalFailure"),
    Fault(503, "ServiceUnavailable"),
)
# Every strategy with the common throttle, every fault with one strategy (each case builds real clients).
CASES = [(strategy, FAULTS[0]) for strategy in AWS_STRATEGIES] + [("sdk", fault) for fault in FAULTS[1:]]


@pytest.fixture(autouse=True)
def _retries_asked_for_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever AWS_MAX_ATTEMPTS / AWS_RETRY_MODE say, the probe's clients make one attempt."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "5")
    monkeypatch.setenv("AWS_RETRY_MODE", "legacy")


@pytest.mark.parametrize(("strategy", "fault"), CASES, ids=[f"{s}-{f.code}" for s, f in CASES])
def test_a_throttled_miss_is_an_error_sent_once(
    make_config: Callable[..., ProbeConfig], strategy: str, fault: Fault
) -> None:
    double = AwsDouble(fault, lambda n, op: True)
    with aws_double(double) as endpoint:
        record = Probe(make_config(strategy, AWS_ENDPOINT_URL=endpoint)).invoke("r", cold=True)
    assert record["errors"] == []
    stores = STORES_BY_STRATEGY[strategy]
    assert [result["store"] for result in record["stores"]] == list(stores)
    for result in record["stores"]:
        [error] = result["errors"]
        assert (error["phase"], error["type"]) == ("cold_miss", fault.code)
        assert result["cold_miss_ms"] is None and result["warm_ms"] == [] and result["value_sha256"] is None
        assert result["api_calls"] == 1  # the attempt is counted
    assert len(double.operations) == len(stores)  # one attempt per store: no retry
    assert CANARY not in json.dumps(record)


def test_throttled_warm_hits_are_errors_not_slow_samples(make_config: Callable[..., ProbeConfig]) -> None:
    # Secrets Manager: the miss (request 1) and every odd request succeed, every even one is throttled.
    double = AwsDouble(Fault(400, "ThrottlingException"), lambda n, op: op == "GetSecretValue" and n % 2 == 0)
    with aws_double(double) as endpoint:
        config = make_config("sdk", AWS_ENDPOINT_URL=endpoint, OBSERVATORY_WARM_SAMPLES="10")
        record = Probe(config).invoke("r", cold=True)
    secrets, ssm = record["stores"]
    assert secrets["cold_miss_ms"] is not None
    assert len(secrets["warm_ms"]) == 5  # the five throttled hits are not samples
    [error] = secrets["errors"]
    assert (error["phase"], error["type"]) == ("warm_hit", "ThrottlingException")
    assert error["message"].endswith("[5 times]")
    assert secrets["api_calls"] == 11 == double.operations.count("GetSecretValue")
    assert ssm["errors"] == [] and len(ssm["warm_ms"]) == 10
    assert ssm["api_calls"] == 11 == double.operations.count("GetParameter")


def test_api_calls_count_every_attempt_a_client_sends(
    make_config: Callable[..., ProbeConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client that does retry (injected, three attempts, no backoff wait): each attempt is one API call.
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, ctx: 0)
    double = AwsDouble(Fault(400, "ThrottlingException"), lambda n, op: True)
    with aws_double(double) as endpoint:
        retrying = {
            store: boto3.client(
                store,
                region_name="us-east-1",
                endpoint_url=endpoint,
                config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
            )
            for store in ("secretsmanager", "ssm")
        }
        config = make_config("sdk")
        record = Probe(config, strategy=strategies.create(config, clients=retrying)).invoke("r", cold=True)
    assert [result["api_calls"] for result in record["stores"]] == [3, 3]
    assert len(double.operations) == 6


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ((400, json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}), "application/json"),
         "ThrottlingException"),
        ((429, "Connection limit exceeded", "text/plain"), "HTTP429"),
        ((500, json.dumps({"__type": "InternalFailure"}), "application/json"), "InternalFailure"),
    ],
)
def test_a_throttle_passed_on_by_the_extension_is_an_error_sent_once(
    make_config: Callable[..., ProbeConfig], fault: tuple[int, str, str], expected: str
) -> None:
    state: DoubleState = _state()
    state.fault = fault
    with extension_double(state) as port:
        config = make_config("extension", PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(port))
        record = Probe(config).invoke("r", cold=True)
    for result in record["stores"]:
        [error] = result["errors"]
        assert (error["phase"], error["type"]) == ("cold_miss", expected)
        assert result["cold_miss_ms"] is None and result["ready_retries"] == 0
    assert len(state.requests) == 2  # one request per store: the probe does not retry the extension
    assert {token for _, token in state.requests} == {TOKEN}
