"""Today read from the compactor's hourly digests plus the open hour's rows, against the local AWS endpoint:
the percentiles the rows give (1 %, as for days), only the open hour read as rows, Runs still exact rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pandas as pd
import pytest

from bench.bench_dashboard import destination_events, write_events
from collector import compactor
from collector.config import CompactorSettings
from dashboard import data
from dashboard.config import Settings, load_settings
from datastore import digest_hours, reads, schema

from .accuracy import check_every_percentile


@dataclass(frozen=True)
class LateDay:
    """A table with one day of the lab's fleet up to 23:30 (the day before the real one, so nothing is in the
    future), its hours digested by a compactor run at 23:30 of that day."""

    client: Any
    settings: Settings
    now: datetime
    rows: pd.DataFrame


@pytest.fixture(scope="module")
def late_day(aws_endpoint: str, quiet_moto: None) -> LateDay:
    name = f"slo-dash-hours-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    schema.create_table(client, name)
    day = datetime.now(UTC).date() - timedelta(days=1)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    now = midnight + timedelta(hours=23, minutes=30)
    # every 30 minutes: CFS-quantised hits at 128 MB, failures, a layer change at noon
    events = destination_events(midnight, 23.5 / 24, interval_s=1800, failure_every=13, layer_change_at=0.5)
    write_events(list(events), client, name, workers=4)
    result = compactor.run(CompactorSettings(name, catch_up_days=1), client=client, now=now)
    assert len(result["digested_hours"]) == 23  # 00 .. 22; 23 is open
    settings = load_settings(
        {"AWS_ENDPOINT_URL": aws_endpoint, "OBSERVATORY_TABLE_NAME": name, "OBSERVATORY_DASHBOARD_DAYS": "7"}
    )
    rows = reads.read_rows(midnight, now + timedelta(seconds=1), client=client, table_name=name)
    return LateDay(client, settings, now, rows)


@pytest.mark.slow  # a day of the fleet written, its hours compacted and read back: about ten seconds
def test_every_percentile_from_hour_digests_is_within_one_percent_of_the_rows(
    late_day: LateDay, monkeypatch: pytest.MonkeyPatch
) -> None:
    spans: list[tuple[Any, Any]] = []
    real = reads.read_rows

    def counting(*args: Any, **kwargs: Any) -> Any:
        spans.append((args[0], args[1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(reads, "read_rows", counting)
    loaded = data.query(late_day.settings, late_day.client, late_day.now)
    open_hour = late_day.now.replace(minute=0)
    assert loaded.digested_hours == 23
    # today: only the open hour's rows; the closed days before it (no rows, no digest but yesterday's) too
    assert (open_hour, late_day.now + timedelta(seconds=1)) in spans
    assert loaded.rows_read == int((late_day.rows["ts"] >= open_hour).sum()) > 0
    assert check_every_percentile(loaded.frames, late_day.rows, "hour") > 500


@pytest.mark.slow
def test_runs_still_reads_every_row_of_its_window(late_day: LateDay) -> None:
    runs = data.query_rows(late_day.settings, 24, late_day.client, late_day.now)
    rows = late_day.rows
    assert len(runs) == len(rows) and set(runs["invocation_id"]) == set(rows["invocation_id"])
    assert sorted(len(w) for w in runs["warm_ms"]) == sorted(len(w) for w in rows["warm_ms"])  # the samples


@pytest.mark.slow
def test_a_closed_day_without_its_digest_reads_as_its_hours_and_the_rest_as_rows(late_day: LateDay) -> None:
    after_midnight = late_day.now + timedelta(minutes=50)  # 00:20: the compactor has not digested the day yet
    loaded = data.query(late_day.settings, late_day.client, after_midnight)
    day = late_day.now.date()
    assert day in loaded.row_days and loaded.digested_hours == 23
    assert loaded.rows_read == int((late_day.rows["ts"] >= late_day.now.replace(minute=0)).sum())
    stores = loaded.frames.stores
    assert set(stores[stores["bucket"].dt.date == day]["hours"]) == {1}
    assert check_every_percentile(loaded.frames, late_day.rows, "hour") > 500
    # once the day's digest exists, it is read, not its hours (which stay until their TTL)
    compactor.compact_day(
        day,
        client=late_day.client,
        table_name=late_day.settings.table_name,
        retention_days=30,
        now=after_midnight,
    )
    assert digest_hours.digested_hours(day, client=late_day.client, table_name=late_day.settings.table_name)
    again = data.query(late_day.settings, late_day.client, after_midnight)
    assert (again.digested_days, again.digested_hours, again.rows_read) == (
        2,
        0,
        0,
    )  # with the empty day before
    assert check_every_percentile(again.frames, late_day.rows, "day") > 100
