"""Writing rows: one record's rows, idempotently and all or nothing (contract §4)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from .clients import resolve
from .codec import item_size, to_item
from .schema import DEFAULT_RETENTION_DAYS, MAX_ITEM_BYTES, Row, RowError


def _put_if_absent(client: Any, table_name: str, item: dict[str, Any]) -> bool:
    """Put one item unless its key exists; True if written, False if it was already there (a redelivery)."""
    try:
        client.put_item(TableName=table_name, Item=item, ConditionExpression="attribute_not_exists(pk)")
        return True
    except client.exceptions.ConditionalCheckFailedException:
        return False
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "ValidationException":  # permanent: retrying the same item cannot help
            raise RowError(f"DynamoDB refused the row ({code})") from exc
        raise


def write_rows(
    rows: Sequence[Row],
    *,
    client: Any = None,
    table_name: str | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> int:
    """Write one invocation's rows idempotently; returns how many were new (0 on a redelivery).

    Every row is built and checked before the first write, then put with `attribute_not_exists(pk)`, so a
    redelivered record never becomes two rows and rows already there are skipped (a partly written record
    is completed). If DynamoDB refuses a row for good, the rows this call wrote are deleted again: a record
    is all in or all out. Throttling and network faults are retried by the client (standard mode, backoff)
    and then raised, so Lambda's retry writes the rest.

    Why not TransactWriteItems: a transaction costs twice the write units on AWS, and the local endpoint
    (moto) copies the whole table for every transaction, so the lab's collector would slow as its table grows.
    """
    if not rows:
        return 0
    client, table_name = resolve(client, table_name)
    items = [to_item(row, retention_days) for row in rows]
    keys = [(item["pk"]["S"], item["sk"]["S"]) for item in items]
    if len(set(keys)) != len(keys):
        raise RowError("two rows of one record have the same key (same invocation and store)")
    for item in items:
        if item_size(item) > MAX_ITEM_BYTES:
            raise RowError(f"row of {item_size(item):,} bytes exceeds DynamoDB's {MAX_ITEM_BYTES:,}")
    written: list[dict[str, Any]] = []
    try:
        for item in items:
            if _put_if_absent(client, table_name, item):
                written.append(item)
    except RowError:
        for item in written:
            client.delete_item(TableName=table_name, Key={"pk": item["pk"], "sk": item["sk"]})
        raise
    return len(written)
