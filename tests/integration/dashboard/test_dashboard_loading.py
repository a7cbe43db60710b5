"""dashboard.data.load_rows against the local AWS endpoint: closed days and the recent part cached apart."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from bench.bench_dashboard import destination_events, write_events
from collector import table
from dashboard import data
from dashboard.config import load_settings


def test_closed_days_are_not_queried_again_when_the_recent_part_reloads(
    aws_endpoint: str, quiet_moto: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"slo-dash-load-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    table.create_table(client, name)
    now = datetime.now(UTC)
    old = destination_events(now - timedelta(days=3), 1 / 96, interval_s=900, failure_every=0, seed=1)
    new = destination_events(now - timedelta(hours=1), 1 / 96, interval_s=900, failure_every=0, seed=2)
    written = write_events([*old, *new], client, name)
    settings = load_settings(
        {"AWS_ENDPOINT_URL": aws_endpoint, "OBSERVATORY_TABLE_NAME": name, "OBSERVATORY_DASHBOARD_DAYS": "7"}
    )
    calls: list[tuple[Any, ...]] = []
    real = table.read_rows

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(table, "read_rows", counting)
    loaded = data.load_rows(settings)
    assert len(loaded.frame) == written and loaded.frame["ts"].is_monotonic_increasing
    assert loaded.frame["ts"].min() < now - timedelta(days=2)  # the closed days are there
    assert len(calls) == 2
    data.load_rows(settings)
    assert len(calls) == 2  # both parts cached
    data._cached_loaders(settings.cache_ttl_seconds).recent.clear()  # type: ignore[attr-defined]  # TTL ran out
    again = data.load_rows(settings)
    assert len(calls) == 3 and calls[-1][0] == data.split_window(datetime.now(UTC), 7)[1]
    assert len(again.frame) == written
