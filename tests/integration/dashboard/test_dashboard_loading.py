"""dashboard.data.load against the local AWS endpoint: digests for closed days, rows only for the rest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from bench.bench_dashboard import destination_events, write_events
from collector import compactor
from dashboard import data
from dashboard.config import load_settings
from datastore import digest_table, reads, schema


def test_closed_days_come_from_digests_and_only_undigested_days_from_rows(
    aws_endpoint: str, quiet_moto: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"slo-dash-load-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    schema.create_table(client, name)
    now = datetime.now(UTC)
    today = now.date()
    three_days_ago = datetime(today.year, today.month, today.day, 1, tzinfo=UTC) - timedelta(days=3)
    old = destination_events(three_days_ago, 1 / 96, interval_s=900, failure_every=0, seed=1)
    yesterday = destination_events(
        three_days_ago + timedelta(days=2), 1 / 96, interval_s=900, failure_every=0, seed=3
    )
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
    new = destination_events(
        max(midnight, now - timedelta(minutes=5)), 1 / 96, interval_s=900, failure_every=0, seed=2
    )
    write_events([*old, *yesterday], client, name)
    write_events(list(new), client, name)
    compactor.compact_day(three_days_ago.date(), client=client, table_name=name, retention_days=30)
    settings = load_settings(
        {"AWS_ENDPOINT_URL": aws_endpoint, "OBSERVATORY_TABLE_NAME": name, "OBSERVATORY_DASHBOARD_DAYS": "7"}
    )
    calls: list[tuple[str, Any]] = []
    for module, fn in ((reads, "read_rows"), (digest_table, "read_digest_wires")):
        real = getattr(module, fn)

        def counting(*args: Any, _real: Any = real, _fn: str = fn, **kwargs: Any) -> Any:
            calls.append((_fn, args[0]))
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, fn, counting)
    loaded = data.load(settings)
    stores = loaded.frames.stores
    assert loaded.digested_days == 1  # three days ago, from its digest
    # rows only for the closed days without a digest (one run of days: one read) and for today
    assert loaded.row_days == (*[today - timedelta(days=d) for d in (6, 5, 4, 2, 1)], today)
    assert sorted(c[0] for c in calls) == ["read_digest_wires", "read_rows", "read_rows", "read_rows"]
    assert set(stores["bucket"].dt.date) == {three_days_ago.date(), yesterday_date(three_days_ago), today}
    assert (stores[stores["bucket"].dt.date == today]["hours"] == 1).all()  # today per hour
    assert (stores[stores["bucket"].dt.date < today]["hours"] == 24).all()
    data.load(settings)
    assert len(calls) == 4  # both parts cached
    data._cached_loaders(settings.cache_ttl_seconds).recent.clear()  # type: ignore[attr-defined]  # TTL ran out
    data.load(settings)
    assert len(calls) == 5 and calls[-1][0] == "read_rows"  # only today again


def yesterday_date(three_days_ago: datetime) -> Any:
    return (three_days_ago + timedelta(days=2)).date()
