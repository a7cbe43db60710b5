"""A test double of AWS for the SDK-based strategies: botocore clients answered in process, faults on demand.

`FakeAws` answers every request itself (nothing leaves the process) and fails the ones its rule picks;
`fake_clients` builds the clients it answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from functions.probe.vocabulary import STORES
from tests.conftest import free_port

from .conftest import CANARY, PARAMETER_NAME, SECRET_ID


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
    for store in STORES:
        client = boto3.client(
            store,
            region_name="us-east-1",
            endpoint_url=endpoint,
            config=Config(retries={"total_max_attempts": 1}),
        )
        client.meta.events.register("before-send", fake)
        clients[store] = client
    return clients
