"""lab/endpoint/dynamodb_json.py: a Query's answer written straight as JSON is the answer moto's serializer
writes — the same status, Content-Type and JSON, and the same parsed result — for items of every attribute
type (nested maps and lists, binary and sets among them), empty answers, counts, pages and consumed
capacity; errors and other operations still go through moto's serializer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from lab.endpoint import dynamodb_json

TABLE = "slo-json-test"

EVERY_TYPE: dict[str, Any] = {
    "pk": {"S": "probe-1"},
    "text": {"S": 'ünïcode "quoted" \\ back\nslash'},
    "empty": {"S": ""},
    "number": {"N": "-12.500"},
    "big": {"N": "123456789012345678901234567890"},
    "blob": {"B": b"\x00\x01zlib\xff"},
    "flag": {"BOOL": False},
    "nothing": {"NULL": True},
    "strings": {"SS": ["b", "a"]},
    "numbers": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [b"\x01", b"\x02\x03"]},
    "list": {"L": [{"S": "x"}, {"N": "1"}, {"B": b"\x09"}, {"L": []}, {"M": {}}]},
    "map": {"M": {"inner": {"M": {"deep": {"SS": ["z"]}, "raw": {"B": b"\xfe"}}}, "n": {"NULL": True}}},
}


@pytest.fixture()
def table() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "day", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_day",
                    "KeySchema": [
                        {"AttributeName": "day", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for i in range(12):
            client.put_item(
                TableName=TABLE,
                Item={**EVERY_TYPE, "sk": {"S": f"2026-12-06T{i:02d}"}, "day": {"S": "2026-12-06"}},
            )
        yield client
    dynamodb_json.uninstall()


def _answers(client: Any, **query: Any) -> list[tuple[int, str, Any, dict[str, Any]]]:
    """(status, Content-Type, the JSON body parsed, botocore's parsed result) of every page."""
    seen: list[dict[str, Any]] = []

    def keep(response_dict: dict[str, Any], **_: Any) -> None:
        seen.append(response_dict)

    client.meta.events.register("before-parse.dynamodb.Query", keep)
    pages = []
    start = None
    try:
        while True:
            parsed = client.query(TableName=TABLE, **query, **({"ExclusiveStartKey": start} if start else {}))
            raw = seen[-1]
            parsed.pop("ResponseMetadata")
            headers = {k.lower(): v for k, v in raw["headers"].items()}
            pages.append((raw["status_code"], headers["content-type"], json.loads(raw["body"]), parsed))
            start = parsed.get("LastEvaluatedKey")
            if not start:
                return pages
    finally:
        client.meta.events.unregister("before-parse.dynamodb.Query", keep)


ONE = {":p": {"S": "probe-1"}}
QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "probe-1"}}},
    {"KeyConditionExpression": "pk = :p", "Limit": 5, "ReturnConsumedCapacity": "TOTAL",
     "ExpressionAttributeValues": {":p": {"S": "probe-1"}}},
    {"IndexName": "by_day", "KeyConditionExpression": "#d = :d AND sk BETWEEN :a AND :b",
     "ReturnConsumedCapacity": "INDEXES", "ScanIndexForward": False,
     "ExpressionAttributeNames": {"#d": "day"}, "ExpressionAttributeValues": {
        ":d": {"S": "2026-12-06"}, ":a": {"S": "2026-12-06T03"}, ":b": {"S": "2026-12-06T08"}}},
    {"KeyConditionExpression": "pk = :p", "ProjectionExpression": "sk, #b, #m.inner",
     "ExpressionAttributeNames": {"#b": "blob", "#m": "map"}, "ExpressionAttributeValues": ONE},
    {"KeyConditionExpression": "pk = :p", "Select": "COUNT", "ExpressionAttributeValues": ONE},
    {"KeyConditionExpression": "pk = :p", "FilterExpression": "#n > :n", "ExpressionAttributeNames": {
        "#n": "number"}, "ExpressionAttributeValues": {":p": {"S": "probe-1"}, ":n": {"N": "0"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "no-such-probe"}}},
]  # fmt: skip


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_every_answer_is_the_one_moto_writes(table: Any, query: dict[str, Any]) -> None:
    dynamodb_json.uninstall()
    theirs = _answers(table, **query)
    dynamodb_json.install()
    ours = _answers(table, **query)
    assert ours == theirs
    assert [status for status, *_ in ours] == [200] * len(ours)
    assert {content_type for _, content_type, *_ in ours} == {"application/x-amz-json-1.0"}


def test_binary_values_arrive_as_the_bytes_that_were_written(table: Any) -> None:
    dynamodb_json.install()
    (item,) = table.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p AND sk = :s",
        ExpressionAttributeValues={":p": {"S": "probe-1"}, ":s": {"S": "2026-12-06T00"}},
    )["Items"]
    assert item["blob"] == {"B": b"\x00\x01zlib\xff"}
    assert sorted(item["blobs"]["BS"]) == [b"\x01", b"\x02\x03"]
    assert item["map"]["M"]["inner"]["M"]["raw"] == {"B": b"\xfe"}
    assert item["list"]["L"][2] == {"B": b"\x09"}


def test_the_query_answer_no_longer_walks_moto_s_serializer(table: Any, monkeypatch: Any) -> None:
    from moto.core import serialize

    calls: list[str] = []
    real = serialize.ResponseSerializer.serialize

    def counting(self: Any, result: Any) -> Any:
        calls.append(self.operation_name)
        return real(self, result)

    monkeypatch.setattr(serialize.ResponseSerializer, "serialize", counting)
    dynamodb_json.install()
    table.query(
        TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "x"}}
    )
    table.get_item(TableName=TABLE, Key={"pk": {"S": "probe-1"}, "sk": {"S": "2026-12-06T00"}})
    assert calls == ["GetItem"]  # other operations: moto's serializer, as before


def test_an_error_is_still_written_by_moto(table: Any) -> None:
    dynamodb_json.install()
    with pytest.raises(ClientError) as raised:
        table.query(TableName="no-such-table", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "x"}})  # fmt: skip
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as raised:
        table.query(
            TableName=TABLE, KeyConditionExpression="nope = :p", ExpressionAttributeValues={":p": {"S": "x"}}
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_a_value_json_cannot_hold_falls_back_to_moto_s_serializer() -> None:
    from decimal import Decimal

    with pytest.raises(TypeError):
        dynamodb_json.answer_json({"Items": [{"n": {"N": Decimal("1.5")}}]})
    assert json.loads(dynamodb_json.answer_json({"Count": 1, "Items": [{"b": {"B": b"\x00"}}]})) == {
        "Count": 1,
        "Items": [{"b": {"B": "AA=="}}],
    }
