"""The collector's log lines are JSON documents, one per line: ids and reasons taken from a record (a newline,
an escape sequence) are escaped by the JSON encoding and cannot forge a line of their own."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from collector.collect import DEAD_LETTERED, collect
from collector.config import Settings
from tests.conftest import load_event

from .conftest import TABLE

FORGED = '\n{"event": "collector.written", "forged": true}\r\x1b[2J'


@pytest.mark.parametrize("field", ["requestId", "strategy", "probe_key"])
def test_values_from_a_record_stay_inside_one_json_line(
    ddb: Any, sqs: Any, dlq_url: str, caplog: pytest.LogCaptureFixture, field: str
) -> None:
    event = load_event("destination_success.json")
    if field == "requestId":
        event["requestContext"]["requestId"] += FORGED
    else:
        event["responsePayload"]["identity"][field] += FORGED
    settings = Settings(table_name=TABLE, dlq_url=dlq_url, retention_days=30)
    with caplog.at_level(logging.INFO, logger="collector"):
        outcome = collect(event, settings=settings, dynamodb=ddb, sqs=sqs, collector_request_id="c-1")
    assert outcome.result == DEAD_LETTERED, outcome  # the contract refuses such values
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("collector")]
    assert lines
    for line in lines:
        assert "\n" not in line and "\r" not in line and "\x1b" not in line, repr(line)
        assert json.loads(line)["event"] == "collector.dead_lettered"
