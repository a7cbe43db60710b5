"""A collector outside the home region writes to the home table, in its region (moto keeps regions apart)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from collector import config, handler
from collector.collect import WRITTEN
from datastore import reads, schema
from tests.conftest import load_event

from .conftest import TABLE


class _Context:
    aws_request_id = "collector-req-home"


def test_the_collector_writes_where_the_home_table_is(
    mocked: None, dlq_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = boto3.client("dynamodb", region_name="ap-northeast-1")
    schema.create_table(home, TABLE)  # the collector runs in us-east-1 (AWS_REGION), with no table there
    monkeypatch.setenv("OBSERVATORY_TABLE_NAME", TABLE)
    monkeypatch.setenv("OBSERVATORY_TABLE_REGION", "ap-northeast-1")
    monkeypatch.setenv("OBSERVATORY_DLQ_URL", dlq_url)
    config.get_settings.cache_clear()
    try:
        result: dict[str, Any] = handler.handler(load_event("destination_success.json"), _Context())
    finally:
        config.get_settings.cache_clear()
    assert (result["result"], result["rows"]) == (WRITTEN, 2)
    frame = reads.read_rows(
        datetime(2026, 11, 26, tzinfo=UTC), datetime(2026, 11, 29, tzinfo=UTC), client=home, table_name=TABLE
    )
    assert len(frame) == 2
    assert boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"] == []
