"""Closed days read from the compactor's digests in the table give the percentiles the rows give (1 %)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from bench.bench_dashboard import destination_events, write_events
from collector import compactor
from dashboard import data
from dashboard.config import load_settings
from datastore import reads, schema

from .accuracy import check_every_percentile


@pytest.mark.slow  # three days of the fleet written, compacted and read back: about ten seconds
def test_every_percentile_from_digests_is_within_one_percent_of_the_rows(
    aws_endpoint: str, quiet_moto: None
) -> None:
    name = f"slo-dash-acc-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    schema.create_table(client, name)
    today = datetime.now(UTC).date()
    first = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=3)
    # three closed days of the lab's fleet every hour: CFS-quantised hits at 128 MB, failures, a layer change
    events = destination_events(first, 3, interval_s=3600, failure_every=13, layer_change_at=0.5, seed=11)
    write_events(list(events), client, name, workers=4)
    for back in (3, 2, 1):
        compactor.compact_day(today - timedelta(days=back), client=client, table_name=name, retention_days=30)
    settings = load_settings(
        {"AWS_ENDPOINT_URL": aws_endpoint, "OBSERVATORY_TABLE_NAME": name, "OBSERVATORY_DASHBOARD_DAYS": "7"}
    )
    loaded = data.query(settings, client)
    assert loaded.digested_days == 3 and loaded.rows_read == 0  # closed days: digests only, no row read
    rows = reads.read_rows(first, first + timedelta(days=3), client=client, table_name=name)
    assert check_every_percentile(loaded.frames, rows, "day") > 500
