"""Faults are data: denied, throttled and missing reads become errors in the record, never exceptions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from functions.probe import strategies
from functions.probe.config import STORES_BY_STRATEGY, ConfigError, ProbeConfig
from functions.probe.timing import Probe
from tests.conftest import free_port

from .conftest import CANARY, PARAMETER_NAME, SECRET_ID, probe_env

AWS_STRATEGIES = ("sdk", "dict", "caching_lib", "powertools")


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class FakeAws:
    """Answers every request itself (botocore `before-send`), nothing leaves the process.

    `fail(n, operation)` says whether the n-th request (from 1) fails with `code`.
    """

    def __init__(self, code: str, fail: Callable[[int, str], bool]) -> None:
        self.code = code
        self.fail = fail
        self.sent = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        self.sent += 1
        operation = request.headers.get("X-Amz-Target", b"").decode().rsplit(".", 1)[-1]
        if self.fail(self.sent, operation):
            return self._answer(400, {"__type": self.code, "message": f"{self.code} for this test"})
        if operation == "DescribeSecret":
            return self._answer(
                200, {"ARN": "arn:x", "Name": SECRET_ID, "VersionIdsToStages": {"v1": ["AWSCURRENT"]}}
            )
        if operation == "GetSecretValue":
            return self._answer(
                200,
                {
                    "ARN": "arn:x",
                    "Name": SECRET_ID,
                    "SecretString": CANARY,
                    "VersionId": "v1",
                    "VersionStages": ["AWSCURRENT"],
                },
            )
        return self._answer(
            200,
            {"Parameter": {"Name": PARAMETER_NAME, "Type": "SecureString", "Value": CANARY, "Version": 1}},
        )

    @staticmethod
    def _answer(status: int, body: dict[str, Any]) -> AWSResponse:
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "test"}
        return AWSResponse("https://fake", status, headers, _Raw(json.dumps(body).encode()))


def fake_clients(fake: FakeAws) -> dict[str, Any]:
    """Clients aimed at a closed port (so nothing real is reached), answered by `fake`, no retries."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    clients = {}
    for store in ("secretsmanager", "ssm"):
        client = boto3.client(
            store,
            region_name="us-east-1",
            endpoint_url=endpoint,
            config=Config(retries={"total_max_attempts": 1}),
        )
        client.meta.events.register("before-send", fake)
        clients[store] = client
    return clients


def _probe(config: ProbeConfig, fake: FakeAws) -> Probe:
    return Probe(config, strategy=strategies.create(config, clients=fake_clients(fake)))


@pytest.mark.parametrize("strategy", AWS_STRATEGIES)
def test_access_denied_on_the_miss(make_config: Callable[..., ProbeConfig], strategy: str) -> None:
    fake = FakeAws("AccessDeniedException", lambda n, op: True)
    record = _probe(make_config(strategy), fake).invoke("r", cold=True)
    assert record["errors"] == []
    assert len(record["stores"]) == len(STORES_BY_STRATEGY[strategy])
    for result in record["stores"]:
        [error] = result["errors"]
        assert (error["phase"], error["type"]) == ("cold_miss", "AccessDeniedException")
        assert result["cold_miss_ms"] is None and result["warm_ms"] == [] and result["value_sha256"] is None
        assert result["api_calls"] == 1  # the denied request was sent; no warm series after a failed miss


def test_throttled_warm_hits_are_counted_errors(make_config: Callable[..., ProbeConfig]) -> None:
    # Requests 1 (miss) and every odd one succeed; every even one is throttled.
    fake = FakeAws("ThrottlingException", lambda n, op: n % 2 == 0)
    config = make_config("sdk", OBSERVATORY_WARM_SAMPLES="10")
    record = _probe(config, fake).invoke("r", cold=True)
    secrets = record["stores"][0]
    assert secrets["cold_miss_ms"] is not None
    assert len(secrets["warm_ms"]) == 5 and secrets["warm_summary"]["n"] == 5
    [error] = secrets["errors"]
    assert (error["phase"], error["type"]) == ("warm_hit", "ThrottlingException")
    assert error["message"].endswith("[5 times]")
    assert secrets["api_calls"] == 11


def test_throttled_miss_for_a_caching_strategy(make_config: Callable[..., ProbeConfig]) -> None:
    fake = FakeAws("ThrottlingException", lambda n, op: op == "GetParameter")
    record = _probe(make_config("powertools"), fake).invoke("r", cold=True)
    secrets, ssm = record["stores"]
    assert secrets["errors"] == [] and len(secrets["warm_ms"]) == 20
    [error] = ssm["errors"]
    assert (error["phase"], error["type"]) == ("cold_miss", "ThrottlingException")


@pytest.mark.parametrize("strategy", AWS_STRATEGIES)
def test_missing_fixture_is_reported(
    aws: None, make_config: Callable[..., ProbeConfig], strategy: str
) -> None:
    config = make_config(
        strategy, OBSERVATORY_SECRET_ID="no-such-secret", OBSERVATORY_PARAMETER_NAME="/no/such/parameter"
    )
    record = Probe(config).invoke("r", cold=True)
    expected = {"secretsmanager": "ResourceNotFoundException", "ssm": "ParameterNotFound"}
    for result in record["stores"]:
        [error] = result["errors"]
        assert error["phase"] == "cold_miss"
        assert error["type"] == expected[result["store"]]
        assert result["fixture"] in ("no-such-secret", "/no/such/parameter")


def test_init_failure_is_recorded_and_retried(make_config: Callable[..., ProbeConfig]) -> None:
    config = make_config("dict")
    strategy = strategies.create(config)
    original = strategy._init
    attempts = {"n": 0}

    def flaky_init() -> None:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise RuntimeError("client could not be created")
        original()

    strategy._init = flaky_init  # type: ignore[method-assign]
    probe = Probe(config, strategy=strategy)
    first = probe.invoke("r1", cold=True)
    assert first["errors"] == [
        {"phase": "init", "type": "RuntimeError", "message": "client could not be created"}
    ]
    assert [r["errors"][0]["phase"] for r in first["stores"]] == ["init", "init"]
    assert first["client_init_ms"] is None
    second = probe.invoke("r2", cold=False)
    assert second["errors"] == [] and second["client_init_ms"] is not None


def test_broken_configuration_raises_from_the_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.probe import handler as module

    for name, value in probe_env("sdk", OBSERVATORY_STRATEGY="carrier_pigeon").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(module, "_PROBE", None)
    with pytest.raises(ConfigError, match="OBSERVATORY_STRATEGY='carrier_pigeon'"):
        module.handler({}, None)
