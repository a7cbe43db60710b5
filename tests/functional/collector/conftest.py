"""Fixtures for the collector's functional tests: an in-process DynamoDB and SQS (moto's mock_aws)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from datastore import clients, schema

TABLE = "slo-observations-test"
QUEUE = "slo-collector-dlq-test"


@pytest.fixture()
def mocked() -> Iterator[None]:
    """moto's in-process AWS for one test, with no cached real clients leaking in or out."""
    clients.reset_clients()
    with mock_aws():
        yield
    clients.reset_clients()


@pytest.fixture()
def ddb(mocked: None) -> Any:
    """A DynamoDB client on a table made by schema.create_table (the definition Terraform mirrors)."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    schema.create_table(client, TABLE)
    return client


@pytest.fixture()
def sqs(mocked: None) -> Any:
    """An SQS client in the mock."""
    return boto3.client("sqs", region_name="us-east-1")


@pytest.fixture()
def dlq_url(sqs: Any) -> str:
    """The URL of a fresh dead-letter queue."""
    return str(sqs.create_queue(QueueName=QUEUE)["QueueUrl"])
