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
from collector.contract import parse_destination
from collector.rows import rows_for
from datastore.digest_table import digest_items
from datastore.digesting import digest_rows
from datastore.schema import create_table

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


HOST_CPU = "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"
# (runtime, tracing, Python, latency factor): today's default, tracing off, the 2022 configuration, an upgrade
VARIANTS = (
    ("python3.11", "subsegments", "3.11.9", 1.0),
    ("python3.11", "off", "3.11.9", 0.8),
    ("python3.11", "patch_all", "3.11.9", 1.6),
    ("python3.9", "patch_all", "3.9.20", 2.0),
    ("python3.13", "subsegments", "3.13.1", 0.9),
)
# What each runtime's dependency set installs (issue 21): python3.9 the newest releases that install there.
BOTO3 = {"python3.9": "1.42.25", "python3.11": "1.44.8", "python3.13": "1.44.8"}
REQUESTS = {"python3.9": "2.32.5", "python3.11": "2.34.2", "python3.13": "2.34.2"}


def _variant_key(key: str, runtime: str, tracing: str) -> str:
    """The probe key Terraform gives (issue 13): `-py39` off the default runtime, `-off` off subsegments."""
    if runtime != "python3.11":
        key += "-py" + runtime.removeprefix("python").replace(".", "")
    return key if tracing == "subsegments" else f"{key}-{tracing}"


@pytest.fixture(scope="session")
def dimensions_table(aws_endpoint: str, quiet_moto: None) -> Table:
    """Yesterday's digests of a fleet across runtimes and tracing modes, with the lab host recorded.

    Rows of the extension and dict probes (128 / 1,769 MB) through the collector's validation and row
    building, copied per variant (VARIANTS: runtime, tracing, Python, latencies scaled), digested by the
    collector and written as yesterday's digests; what the collector in this tree does not record yet of
    issue 13 (identity `rt` / `tr`, host values seen) is added to the wires as the new one writes them.
    """
    name = f"slo-dash-dims-{uuid.uuid4().hex[:8]}"
    client = _client(aws_endpoint)
    create_table(client, name)
    day = (datetime.now(UTC) - timedelta(days=1)).date()
    start = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
    events = destination_events(
        start, 2 / 24, strategies=("extension", "dict"), interval_s=INTERVAL_S, failure_every=0
    )
    base = [r for e in events for r in rows_for(parse_destination(e))]
    rows = []
    for i, (runtime, tracing, python, factor) in enumerate(VARIANTS):
        for r in base:
            rows.append(
                {
                    **r,
                    "probe_key": _variant_key(str(r["probe_key"]), runtime, tracing),
                    "invocation_id": f"{r['invocation_id']}-{i}",
                    "runtime": runtime,
                    "tracing": tracing,
                    "python_version": python,
                    "boto3_version": BOTO3[runtime],
                    "library_version": f"requests=={REQUESTS[runtime]}"
                    if r["strategy"] == "extension"
                    else f"boto3=={BOTO3[runtime]}",
                    "host_cpu": HOST_CPU,
                    "host_ref_ms": 412.3,
                    "cold_miss_ms": None if r["cold_miss_ms"] is None else r["cold_miss_ms"] * factor,
                    "warm_ms": [x * factor for x in r["warm_ms"]],
                }
            )
    digests = digest_rows(rows, "day")
    (item,) = digest_items(day, digests, computed_at=datetime.now(UTC), shards=1)
    client.put_item(TableName=name, Item=item)
    return Table(aws_endpoint, name, len(rows))


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
