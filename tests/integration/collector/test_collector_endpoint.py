"""The collector against the local AWS endpoint over HTTP (moto server), with the real table definition.

The handler runs as Lambda would run it: settings from the environment, clients created lazily from
`AWS_ENDPOINT_URL`. Rows are read back through `read_rows`; invalid records land in the real SQS queue.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from collector import config, handler
from datastore import clients, reads, schema
from tests.conftest import load_event


class _Context:
    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())


@pytest.fixture()
def deployed(aws_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A table made by schema.create_table and a queue on the endpoint; the collector's environment set."""
    suffix = uuid.uuid4().hex[:8]
    ddb = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=aws_endpoint, region_name="us-east-1")
    table_name = f"slo-observations-{suffix}"
    schema.create_table(ddb, table_name)
    queue_url = sqs.create_queue(QueueName=f"slo-collector-dlq-{suffix}")["QueueUrl"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    monkeypatch.setenv("OBSERVATORY_TABLE_NAME", table_name)
    monkeypatch.setenv("OBSERVATORY_DLQ_URL", queue_url)
    monkeypatch.setenv("OBSERVATORY_RETENTION_DAYS", "14")
    config.get_settings.cache_clear()
    clients.reset_clients()
    try:
        yield {"ddb": ddb, "sqs": sqs, "table": table_name, "queue_url": queue_url}
    finally:
        config.get_settings.cache_clear()
        clients.reset_clients()
        ddb.delete_table(TableName=table_name)
        sqs.delete_queue(QueueUrl=queue_url)


def _letters(sqs: Any, url: str) -> list[dict[str, Any]]:
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


def test_handler_to_rows_round_trip_over_http(deployed: dict[str, Any]) -> None:
    ddb = deployed["ddb"]
    description = ddb.describe_table(TableName=deployed["table"])["Table"]
    assert description["GlobalSecondaryIndexes"][0]["IndexName"] == "by_day"
    assert ddb.describe_time_to_live(TableName=deployed["table"])["TimeToLiveDescription"][
        "AttributeName"
    ] == ("expires_at")

    success = load_event("destination_success.json")
    failure = load_event("destination_retries_exhausted_timeout.json")
    results = [
        handler.handler(copy.deepcopy(e), _Context())["result"] for e in (success, success, failure, failure)
    ]
    assert results == ["written", "duplicate", "written", "duplicate"]

    start, end = datetime(2026, 11, 27, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC)
    frame = reads.read_rows(start, end)  # client and table from the environment, like the dashboard
    assert list(frame.columns) == list(schema.COLUMNS)
    assert {c: str(t) for c, t in frame.dtypes.items()} == schema.DTYPES
    assert frame[["store", "status"]].values.tolist() == [
        ["secretsmanager", "ok"],
        ["ssm", "error"],
        ["none", "failed"],
    ]
    assert frame.iloc[0]["warm_ms"] == success["responsePayload"]["stores"][0]["warm_ms"]
    assert reads.read_rows(start, end, probe_key="extension-128-x86_64", store="ssm")["store"].tolist() == [
        "ssm"
    ]
    assert _letters(deployed["sqs"], deployed["queue_url"]) == []


def test_invalid_record_lands_in_the_real_queue(deployed: dict[str, Any]) -> None:
    event = load_event("destination_success.json")
    event["responsePayload"]["schema_version"] = 99
    outcome = handler.handler(event, _Context())
    assert outcome["result"] == "dead_lettered"
    (letter,) = _letters(deployed["sqs"], deployed["queue_url"])
    assert letter["request_id"] == event["requestContext"]["requestId"]
    assert "schema_version" in letter["reason"]
    assert letter["collector_request_id"] and outcome["message_id"]
    assert deployed["ddb"].scan(TableName=deployed["table"], Select="COUNT")["Count"] == 0


def test_fleet_read_spans_day_partitions(deployed: dict[str, Any]) -> None:
    base = load_event("destination_success.json")
    t0 = datetime(2026, 11, 20, 23, 59, 58, tzinfo=UTC)
    for day in range(4):
        for probe in range(3):
            event = copy.deepcopy(base)
            record = event["responsePayload"]
            record["invocation_id"] = event["requestContext"]["requestId"] = f"inv-{day}-{probe}"
            record["started_at"] = (t0 + timedelta(days=day, seconds=probe)).isoformat()
            assert handler.handler(event, _Context())["rows"] == 2
    frame = reads.read_rows(t0, t0 + timedelta(days=5))
    assert len(frame) == 24 and frame["ts"].is_monotonic_increasing
    assert frame["ts"].dt.strftime("%Y-%m-%d").nunique() == 5  # 20th..24th: five by_day partitions
    one_day = reads.read_rows(t0 + timedelta(days=1), t0 + timedelta(days=2))
    assert sorted(set(one_day["invocation_id"])) == ["inv-1-0", "inv-1-1", "inv-1-2"]
