"""Fakes of the lab endpoint for the runtime's unit tests: a client factory whose Lambda and SQS clients
answer from dicts and count the calls made."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "us-east-1"


def not_found(operation: str, what: str) -> ClientError:
    return ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": what}}, operation)


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


class FakeLambda:
    """The Lambda calls the runtime makes, answered from `functions`, `event_configs` and `layers`."""

    def __init__(self) -> None:
        self.functions: dict[str, dict[str, Any]] = {}
        self.event_configs: dict[str, dict[str, Any]] = {}
        self.layers: dict[str, str] = {}  # layer version ARN -> CodeSha256
        self.layer_version_works = True  # False: GetLayerVersion fails, as it may where moto lacks it
        self.calls: Counter[str] = Counter()

    def deploy(self, name: str, **config: Any) -> str:
        """Add a function as GetFunctionConfiguration would describe it; returns its ARN."""
        self.functions[name] = {
            "FunctionName": name,
            "FunctionArn": function_arn(name),
            "Handler": "h.handler",
            "Runtime": "python3.11",
            "MemorySize": 128,
            "Timeout": 3,
            "CodeSha256": "c2hh",
            "LastModified": "2026-01-01T00:00:00.000+0000",
            **config,
        }
        return function_arn(name)

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
        self.calls["get_function_configuration"] += 1
        if FunctionName not in self.functions:
            raise not_found("GetFunctionConfiguration", FunctionName)
        return self.functions[FunctionName]

    def get_function_event_invoke_config(self, FunctionName: str) -> dict[str, Any]:
        self.calls["get_function_event_invoke_config"] += 1
        if FunctionName not in self.event_configs:
            raise not_found("GetFunctionEventInvokeConfig", FunctionName)
        return self.event_configs[FunctionName]

    def get_layer_version(self, LayerName: str, VersionNumber: int) -> dict[str, Any]:
        self.calls["get_layer_version"] += 1
        if not self.layer_version_works:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "no"}}, "GetLayerVersion")
        for arn, sha in self.layers.items():
            if arn.endswith(f":layer:{LayerName}:{VersionNumber}"):
                return {"Content": {"CodeSha256": sha}}
        raise not_found("GetLayerVersion", LayerName)

    def get_layer_version_by_arn(self, Arn: str) -> dict[str, Any]:
        self.calls["get_layer_version_by_arn"] += 1
        if Arn not in self.layers:
            raise not_found("GetLayerVersionByArn", Arn)
        return {"Content": {"CodeSha256": self.layers[Arn]}}


class FakeSqs:
    """Keeps what is sent, by queue name."""

    def __init__(self) -> None:
        self.sent: dict[str, list[dict[str, Any]]] = {}

    def get_queue_url(self, QueueName: str, QueueOwnerAWSAccountId: str) -> dict[str, str]:
        return {"QueueUrl": f"https://sqs.test/{QueueOwnerAWSAccountId}/{QueueName}"}

    def send_message(self, QueueUrl: str, MessageBody: str, **kwargs: Any) -> dict[str, str]:
        self.sent.setdefault(QueueUrl.rsplit("/", 1)[1], []).append({"Body": MessageBody, **kwargs})
        return {"MessageId": "m"}


class FakeClients:
    """A stand-in for `lab.endpoint.clients.EndpointClients` (`lab.runtime.ClientFactory`)."""

    endpoint_url = "https://127.0.0.1:4566"
    ca_bundle: str | None = "/lab/ca.pem"

    def __init__(self) -> None:
        self.lambda_ = FakeLambda()
        self.sqs = FakeSqs()
        self.made: list[str] = []

    def client(self, service: str) -> Any:
        self.made.append(service)
        return {"lambda": self.lambda_, "sqs": self.sqs}[service]


@pytest.fixture
def clients() -> FakeClients:
    return FakeClients()
