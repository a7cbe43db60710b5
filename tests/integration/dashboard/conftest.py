"""Fixtures for the dashboard's AppTests: tables on the local AWS endpoint, rows written by the collector."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from bench.bench_dashboard import destination_events, write_events
from collector.table import create_table

FAILING_PROBE = "powertools-128-x86_64"
HOURS = 6
INTERVAL_S = 900


@dataclass(frozen=True)
class Table:
    """A table on the local endpoint and what was written to it."""

    endpoint: str
    name: str
    rows: int


def _client(endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture(scope="session")
def quiet_moto() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def fleet_table(aws_endpoint: str, quiet_moto: None) -> Table:
    """The lab's default fleet (5 strategies × 128 / 1769 MB) for the last 6 hours, every 15 minutes.

    Written through the collector (destination record → validation → rows → transactional writes). One probe
    fails from the last third of the window on; the extension layer changes halfway.
    """
    name = f"slo-dash-it-{uuid.uuid4().hex[:8]}"
    client = _client(aws_endpoint)
    create_table(client, name)
    start = datetime.now(UTC) - timedelta(hours=HOURS)
    events = destination_events(
        start,
        HOURS / 24,
        interval_s=INTERVAL_S,
        failing_probe=FAILING_PROBE,
        layer_change_at=0.5,
        failure_every=0,
    )
    written = write_events(list(events), client, name, workers=1)
    return Table(aws_endpoint, name, written)


@pytest.fixture(scope="session")
def failed_table(aws_endpoint: str, quiet_moto: None) -> Table:
    """A first hour in which every invocation failed (RetriesExhausted): rows, but no measurement at all."""
    name = f"slo-dash-failed-{uuid.uuid4().hex[:8]}"
    client = _client(aws_endpoint)
    create_table(client, name)
    events = destination_events(
        datetime.now(UTC) - timedelta(hours=1), 1 / 24, interval_s=INTERVAL_S, failure_every=1
    )
    return Table(aws_endpoint, name, write_events(list(events), client, name))


@pytest.fixture(scope="session")
def empty_table(aws_endpoint: str, quiet_moto: None) -> Table:
    """A deployed table no probe has written to yet."""
    name = f"slo-dash-empty-{uuid.uuid4().hex[:8]}"
    create_table(_client(aws_endpoint), name)
    return Table(aws_endpoint, name, 0)


@pytest.fixture()
def app_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point the dashboard at a table (its settings are read from the environment)."""

    def point(table: Table | None = None, endpoint: str | None = None, name: str | None = None) -> None:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint or (table.endpoint if table else ""))
        monkeypatch.setenv("OBSERVATORY_TABLE_NAME", name or (table.name if table else "slo-measurements"))
        monkeypatch.setenv("OBSERVATORY_DASHBOARD_DAYS", "7")

    yield point
