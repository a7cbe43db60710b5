"""lab/endpoint/dynamodb_query.py: the lab endpoint's Query answers exactly what moto's own does — every page,
every LastEvaluatedKey, in order — on the observatory's table (rows in the `by_day` index, digest items
outside it), through the table and the index, with and without a sort-key condition, both directions, small
pages and filters; and it starts from the matched items only."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from datastore import schema
from lab.endpoint import dynamodb_query

TABLE = "slo-query-test"
PROBES = [f"{s}-{m}-x86_64" for s in ("extension", "sdk", "dict") for m in (128, 1769)]
DAYS = ["2026-12-04", "2026-12-05", "2026-12-06"]


@pytest.fixture()
def table() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        schema.create_table(client, TABLE)
        rng = random.Random(11)
        for day in DAYS:
            for probe in PROBES:
                for _ in range(25):
                    at = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
                    sk = f"{day}T{at}.000000Z#{rng.getrandbits(64):016x}#ssm"
                    client.put_item(TableName=TABLE, Item={
                        "pk": {"S": probe}, "sk": {"S": sk}, "day": {"S": day},
                        "status": {"S": rng.choice(["ok", "ok", "ok", "failed"])},
                        "memory_mb": {"N": str(rng.choice([128, 1769]))},
                    })  # fmt: skip
            # a digest item: no `day`, so never in the index
            client.put_item(TableName=TABLE, Item={"pk": {"S": f"digest#{day}"}, "sk": {"S": "0#000"}})
        yield client
    dynamodb_query.uninstall()


def _pages(client: Any, **query: Any) -> list[tuple[list[dict[str, Any]], Any]]:
    pages, start = [], None
    while True:
        answer = client.query(TableName=TABLE, **query, **({"ExclusiveStartKey": start} if start else {}))
        start = answer.get("LastEvaluatedKey")
        pages.append((answer["Items"], start))
        if not start:
            return pages


QUERIES: list[dict[str, Any]] = [
    # one probe's history: the table's key
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": PROBES[0]}}},
    {"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "ExpressionAttributeValues": {
        ":p": {"S": PROBES[3]}, ":a": {"S": "2026-12-05T06"}, ":b": {"S": "2026-12-05T18~"}}},
    {"KeyConditionExpression": "pk = :p AND begins_with(sk, :d)", "ScanIndexForward": False, "Limit": 7,
     "ExpressionAttributeValues": {":p": {"S": PROBES[5]}, ":d": {"S": "2026-12-06"}}},
    {"KeyConditionExpression": "pk = :p AND sk > :a", "Limit": 10,
     "ExpressionAttributeValues": {":p": {"S": PROBES[1]}, ":a": {"S": "2026-12-05T12"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "digest#2026-12-05"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "no-such-probe"}}},
    # the whole fleet over a time range: the by_day index, as datastore.reads queries it
    {"IndexName": "by_day", "KeyConditionExpression": "#d = :d AND sk BETWEEN :a AND :b",
     "ExpressionAttributeNames": {"#d": "day"}, "ExpressionAttributeValues": {
        ":d": {"S": "2026-12-06"}, ":a": {"S": "2026-12-06T23"}, ":b": {"S": "2026-12-06T23:30"}}},
    {"IndexName": "by_day", "KeyConditionExpression": "#d = :d AND sk BETWEEN :a AND :b", "Limit": 9,
     "ExpressionAttributeNames": {"#d": "day"}, "ExpressionAttributeValues": {
        ":d": {"S": "2026-12-05"}, ":a": {"S": "2026-12-05T03"}, ":b": {"S": "2026-12-05T20"}}},
    {"IndexName": "by_day", "KeyConditionExpression": "#d = :d", "ScanIndexForward": False, "Limit": 40,
     "ExpressionAttributeNames": {"#d": "day"}, "ExpressionAttributeValues": {":d": {"S": "2026-12-04"}}},
    {"IndexName": "by_day", "KeyConditionExpression": "#d = :d AND sk < :b", "Limit": 13,
     "FilterExpression": "#s = :f", "ExpressionAttributeNames": {"#d": "day", "#s": "status"},
     "ExpressionAttributeValues": {
        ":d": {"S": "2026-12-06"}, ":b": {"S": "2026-12-06T09"}, ":f": {"S": "ok"}}},
    {"IndexName": "by_day", "KeyConditionExpression": "#d = :d AND sk >= :a",
     "ProjectionExpression": "pk, sk", "ExpressionAttributeNames": {"#d": "day"},
     "ExpressionAttributeValues": {":d": {"S": "2026-12-05"}, ":a": {"S": "2026-12-05T22"}}},
    {"IndexName": "by_day", "KeyConditionExpression": "#d = :d AND sk BETWEEN :a AND :b", "Limit": 9,
     "ScanIndexForward": False, "ExpressionAttributeNames": {"#d": "day"}, "ExpressionAttributeValues": {
        ":d": {"S": "2026-12-05"}, ":a": {"S": "2026-12-05T03"}, ":b": {"S": "2026-12-05T20"}}},
    {"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "ScanIndexForward": False, "Limit": 5,
     "ExpressionAttributeValues": {
        ":p": {"S": PROBES[2]}, ":a": {"S": "2026-12-04T10"}, ":b": {"S": "2026-12-06T02"}}},
]  # fmt: skip


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_every_page_is_the_one_moto_answers(table: Any, query: dict[str, Any]) -> None:
    dynamodb_query.uninstall()
    theirs = _pages(table, **query)
    dynamodb_query.install()
    ours = _pages(table, **query)
    assert ours == theirs
    assert sum(len(items) for items, _ in theirs) > 0 or "no-such-probe" in str(query)


@pytest.mark.parametrize("query", [QUERIES[1], QUERIES[6], QUERIES[7], QUERIES[-2]], ids=range(4))
def test_a_page_that_ends_on_the_last_match_still_says_there_may_be_more(
    table: Any, query: dict[str, Any]
) -> None:
    """DynamoDB (and moto) return a LastEvaluatedKey when the Limit is reached, then an empty page."""
    matched = sum(len(items) for items, _ in _pages(table, **query))
    exact = {**query, "Limit": matched}
    dynamodb_query.uninstall()
    theirs = _pages(table, **exact)
    dynamodb_query.install()
    assert _pages(table, **exact) == theirs
    assert [len(items) for items, _ in theirs] == [matched, 0]  # the case this test is for


def test_the_query_starts_from_the_matched_items_and_nothing_else_changes(table: Any) -> None:
    from moto.dynamodb.models.table import Table

    dynamodb_query.install()
    seen: list[int] = []
    real = dynamodb_query._installed["all_items"]
    original_sort = Table.sorted_items

    def counting(self: Any, hash_attrs: Any, range_attrs: Any, items: list[Any]) -> list[Any]:
        seen.append(len(items))
        return original_sort(self, hash_attrs, range_attrs, items)

    Table.sorted_items = counting  # type: ignore[method-assign,assignment]
    try:
        _pages(table, **QUERIES[6])
    finally:
        Table.sorted_items = original_sort  # type: ignore[method-assign]
    matched = sum(len(items) for items, _ in _pages(table, **QUERIES[6]))
    day_rows = len(PROBES) * 25
    # sorted: the half hour's rows and the one row past them (moto's loop meets it next), not the day's 150
    assert len(seen) == 1 and seen[0] - matched in (0, 1) and seen[0] < day_rows
    scanned = table.scan(TableName=TABLE)["Count"]  # Scan still reads every item through moto's own path
    assert scanned == len(real(_table_object())) == day_rows * len(DAYS) + len(DAYS)


def _table_object() -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["us-east-1"].get_table(TABLE)
