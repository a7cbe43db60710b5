"""The Overview's fleet-health strip on a table with history (issue 21, findings 5 and 6): its counts are
the selected range's and say so, a probe that stopped days ago while the fleet went on is hidden as retired
(and the page says how many), and an interval the page had to infer is said to be inferred."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from streamlit.testing.v1 import AppTest

from bench.bench_dashboard import destination_events, write_events
from collector.contract import parse_destination
from collector.rows import rows_for
from datastore.digest_table import digest_items
from datastore.digesting import digest_rows
from datastore.schema import create_table

from .conftest import INTERVAL_S, Table
from .test_dashboard_apptest import APP, _run

EXTENSION, DICT, RETIRED = "extension-128-x86_64", "dict-128-x86_64", "sdk-128-x86_64"


def _clear_of_midnight(now: datetime, margin: timedelta = timedelta(minutes=3)) -> datetime:
    """`now`, or (in the last minutes of a UTC day) just after midnight, slept until: the tests below read
    "Today (UTC)" a minute or two after the rows are written, and today's rows must still be today's then."""
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    if midnight - now > margin:
        return now
    time.sleep((midnight - now).total_seconds() + 1)
    return datetime.now(UTC)


def _todays_slots(now: datetime, hours: int = 2) -> tuple[datetime, int]:
    """Where today's rows start and how many schedule slots they fill: every 15 minutes for the last
    `hours`, ending at `now`, never before today's midnight (just after midnight: one slot, seconds old)."""
    midnight = datetime.combine(now.date(), datetime.min.time(), tzinfo=UTC)
    since_midnight = int((now - midnight).total_seconds())
    slots = min(hours * 3600 // INTERVAL_S, since_midnight // INTERVAL_S + 1)
    return now - timedelta(seconds=(slots - 1) * INTERVAL_S), slots


@pytest.fixture(scope="session")
def history_table(aws_endpoint: str, quiet_moto: None) -> Table:
    """Today: the extension and dict probes at 128 MB, every 15 minutes for (up to) 2 hours, all ok. Four
    days ago (a closed day's digest): the same two and the sdk probe, which has not run since (removed from
    the catalogue); the extension probe failed in the last third of that session."""
    name = f"slo-dash-health-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    create_table(client, name)
    now = _clear_of_midnight(datetime.now(UTC))
    today_start, slots = _todays_slots(now)
    today = destination_events(today_start, (slots + 0.5) * INTERVAL_S / 86400,
                               strategies=("extension", "dict"), tiers=(128,), interval_s=INTERVAL_S,
                               failure_every=0)
    written = write_events(list(today), client, name)
    day = (now - timedelta(days=4)).date()
    old = destination_events(datetime(day.year, day.month, day.day, 6, tzinfo=UTC), 3 / 24,
                             strategies=("extension", "dict", "sdk"), tiers=(128,), interval_s=INTERVAL_S,
                             failure_every=0, failing_probe=EXTENSION)
    rows = [r for e in old for r in rows_for(parse_destination(e))]
    (item,) = digest_items(day, digest_rows(rows, "day"), computed_at=now, shards=1)
    client.put_item(TableName=name, Item=item)
    return Table(aws_endpoint, name, written + len(rows))


def _strip(at: AppTest) -> tuple[dict[str, str], Any]:
    metrics = {m.label: m.value for m in at.metric}
    table = at.dataframe[0].value.set_index("Probe")
    return metrics, table


def test_health_counts_the_selected_range_and_says_so(history_table: Table, app_env: Any) -> None:
    app_env(history_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    metrics, table = _strip(at)
    # the last 7 days hold the failures of four days ago
    assert table.loc[EXTENSION, "Not ok · last 7 days"] > 0
    assert metrics["Failure rate · last 7 days"] != "0.0%"
    at.sidebar.selectbox(key="f_time_range").set_value("Today (UTC)")
    metrics, table = _strip(_run(at.run()))
    # today every invocation was ok: the old failures are not today's
    assert table.loc[EXTENSION, "Not ok · today (UTC)"] == 0
    assert table.loc[EXTENSION, "Invocations · today (UTC)"] == table.loc[DICT, "Invocations · today (UTC)"]
    assert metrics["Failure rate · today (UTC)"] == "0.0%"
    assert metrics["Failing now"] == "0"


def test_a_retired_probe_is_hidden_and_counted(history_table: Table, app_env: Any) -> None:
    app_env(history_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    metrics, table = _strip(at)
    assert RETIRED not in table.index and metrics["Reporting now"] == "2 of 2"
    assert metrics["Stale now"] == "0"
    said = " ".join(c.value for c in at.caption)
    assert "1 retired probe hidden" in said and RETIRED in said and "OBSERVATORY_RETIRE_AFTER_DAYS" in said


def test_an_inferred_schedule_is_said_to_be_inferred(
    history_table: Table, app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_env(history_table)
    monkeypatch.delenv("OBSERVATORY_SCHEDULE_SECONDS", raising=False)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    said = " ".join(c.value for c in at.caption)
    assert "inferred from the rows" in said and "OBSERVATORY_SCHEDULE_SECONDS" in said
    monkeypatch.setenv("OBSERVATORY_SCHEDULE_SECONDS", "900")
    at = _run(AppTest.from_file(APP, default_timeout=120))
    said = " ".join(c.value for c in at.caption)
    assert "every 15 min" in said and "inferred" not in said
