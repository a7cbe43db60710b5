"""Fixtures for the lab runtime's integration tests: tiny functions zipped here, deployed to moto."""

from __future__ import annotations

import importlib
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.endpoint.clients import EndpointClients
from lab.runtime import LambdaService

ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def installed(*packages: str) -> dict[str, tuple[str | bytes, int]]:
    """The files of packages installed here (the tests' venv), to bundle in a function's zip as a deployment
    package bundles its dependencies: the runtime's environment holds only awslambdaric and boto3."""
    files: dict[str, tuple[str | bytes, int]] = {}
    for package in packages:
        root = Path(str(importlib.import_module(package).__file__)).parent
        for path in root.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files[str(path.relative_to(root.parent))] = (path.read_bytes(), 0o644)
    return files


def make_zip(path: Path, files: dict[str, tuple[str | bytes, int]]) -> bytes:
    """A zip of {name: (text, mode)}, written to `path`; returns its bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, (text, mode) in sorted(files.items()):
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, text)
    return path.read_bytes()


class Deployer:
    """Zips handler code into the artifacts dir and creates functions at the endpoint, as Terraform would."""

    def __init__(self, clients: EndpointClients, artifacts: Path) -> None:
        self.artifacts = artifacts
        self.lambda_client = clients.client("lambda")
        self.sqs = clients.client("sqs")
        iam = clients.client("iam")
        role_name = f"lab-runtime-test-{uuid.uuid4().hex[:8]}"
        self.role = iam.create_role(
            RoleName=role_name,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]

    def function(
        self,
        source: str,
        *,
        memory: int = 128,
        timeout: int = 10,
        env: dict[str, str] | None = None,
        layers: list[str] | None = None,
        in_artifacts: bool = True,
        tracing: bool = False,
        runtime: str = "python3.11",
        bundle: dict[str, tuple[str | bytes, int]] | None = None,
    ) -> str:
        """Deploy `source` as module h (handler h.handler) under a unique name; returns the name."""
        name = f"t-{uuid.uuid4().hex[:10]}"
        path = (
            self.artifacts / f"{name}.zip"
            if in_artifacts
            else self.artifacts.parent / f"{name}-elsewhere.zip"
        )
        code = make_zip(path, {**(bundle or {}), "h.py": (source, 0o644)})
        kwargs: dict[str, Any] = {}
        if layers:
            kwargs["Layers"] = layers
        if tracing:
            kwargs["TracingConfig"] = {"Mode": "Active"}
        self.lambda_client.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=self.role,
            Handler="h.handler",
            Code={"ZipFile": code},
            Timeout=timeout,
            MemorySize=memory,
            Environment={"Variables": env or {}},
            **kwargs,
        )
        return name

    def layer(self, files: dict[str, tuple[str | bytes, int]]) -> str:
        """Publish a layer of `files` (built into the artifacts dir); returns its version ARN."""
        name = f"layer-{uuid.uuid4().hex[:8]}"
        content = make_zip(self.artifacts / f"{name}.zip", files)
        return str(
            self.lambda_client.publish_layer_version(LayerName=name, Content={"ZipFile": content})[
                "LayerVersionArn"
            ]
        )

    def queue(self) -> tuple[str, str]:
        """A fresh SQS queue: (url, arn)."""
        url = self.sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return url, arn

    def messages(self, url: str, expected: int, attempts: int = 20) -> list[dict[str, Any]]:
        """Receive up to `expected` messages from the queue (long-polling a bounded number of times)."""
        got: list[dict[str, Any]] = []
        for _ in range(attempts):
            if len(got) >= expected:
                break
            response = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
            )
            for message in response.get("Messages", []):
                got.append(message)
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return got


@pytest.fixture
def clients(aws_endpoint: str) -> EndpointClients:
    """The one way these tests (and the service under test) reach the endpoint."""
    return EndpointClients(endpoint_url=aws_endpoint)


@pytest.fixture
def deployer(clients: EndpointClients, tmp_path: Path) -> Deployer:
    artifacts = tmp_path / "build"
    artifacts.mkdir()
    return Deployer(clients, artifacts)


@pytest.fixture
def lab_log() -> list[str]:
    """What the services a test builds have logged."""
    return []


@pytest.fixture
def make_service(
    clients: EndpointClients, deployer: Deployer, lab_log: list[str], tmp_path: Path
) -> Iterator[Callable[..., LambdaService]]:
    """Builds LambdaServices on the test's artifacts; every one is closed (processes, cgroups) at teardown."""
    made: list[LambdaService] = []

    def factory(**kwargs: Any) -> LambdaService:
        kwargs.setdefault("retry_delays_s", (0.1, 0.2))
        service = LambdaService(
            clients=clients,
            artifacts_dir=deployer.artifacts,
            work_dir=tmp_path / f"work{len(made)}",
            log=lab_log.append,
            **kwargs,
        )
        made.append(service)
        return service

    try:
        yield factory
    finally:
        for service in made:
            service.close()
