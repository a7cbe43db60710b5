"""What tracing costs and INIT on the pages (issue 17), in a real app against a table on the local endpoint.

Rows are built by the collector from destination records, given the five tracing modes and, on cold starts,
the INIT phase (`init_ms`) as datastore's schema has it; yesterday is read from its digest, today from rows,
and an older `off` probe's day (cold starts without INIT: it still ran under Active tracing) from its digest.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from streamlit.testing.v1 import AppTest

from bench.bench_dashboard import destination_events
from collector.contract import parse_destination
from collector.rows import rows_for
from datastore.digest_table import digest_items
from datastore.digesting import digest_rows
from datastore.schema import create_table
from datastore.writes import write_rows
from tests.integration.dashboard.conftest import INTERVAL_S, Table
from tests.integration.dashboard.test_dashboard_apptest import APP

# Per mode: INIT (ms) and the factor on the cold miss and warm hits
MODES = {"off": (200.0, 1.0), "subsegments": (300.0, 1.1), "patch_all": (450.0, 1.5),
         "otel": (800.0, 1.6), "adot": (1200.0, 1.8)}  # fmt: skip
COLD_EVERY = 3  # every third invocation is a cold start


def _rows(start: datetime, hours: float, seed: int, older_off: bool = False) -> list[dict[str, Any]]:
    events = destination_events(
        start, hours / 24, strategies=("extension",), tiers=(128,), interval_s=INTERVAL_S, failure_every=0,
        seed=seed,
    )  # fmt: skip
    base = [r for e in events for r in rows_for(parse_destination(e))]
    invocations = sorted({r["invocation_id"] for r in base})
    cold = set(invocations[::COLD_EVERY])
    modes = {"off": (None, 3.0)} if older_off else MODES
    out = []
    for tracing, (init, factor) in modes.items():
        for r in base:
            is_cold = r["invocation_id"] in cold
            out.append(
                {
                    **r,
                    "probe_key": r["probe_key"]
                    if tracing == "subsegments"
                    else f"{r['probe_key']}-{tracing}",
                    "invocation_id": f"{r['invocation_id']}-{tracing}",
                    "tracing": tracing,
                    "cold_start": is_cold,
                    "cold_cause": "first_start" if is_cold else None,
                    "miss_guarantee": "fresh_environment" if is_cold else r["miss_guarantee"],
                    "init_ms": init if is_cold else None,
                    "tracing_version": None if tracing == "off" else "opentelemetry-sdk==1.45.0",
                    "cold_miss_ms": None if r["cold_miss_ms"] is None else r["cold_miss_ms"] * factor,
                    "warm_ms": [x * factor for x in r["warm_ms"]],
                }
            )
    return out


def _put_digest(client: Any, name: str, rows: list[dict[str, Any]], day: Any) -> None:
    (item,) = digest_items(day, digest_rows(rows, "day"), computed_at=datetime.now(UTC), shards=1)
    client.put_item(TableName=name, Item=item)


@pytest.fixture(scope="module")
def tracing_table(aws_endpoint: str, quiet_moto: None) -> Table:
    name = f"slo-dash-otel-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    create_table(client, name)
    now = datetime.now(UTC)
    for days_ago, older in ((2, True), (1, False)):
        day = (now - timedelta(days=days_ago)).date()
        start = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
        # the older off day outnumbers the newer off samples: pooled, it would move off's p50
        _put_digest(client, name, _rows(start, 4 if older else 2, seed=days_ago, older_off=older), day)
    today = _rows(now - timedelta(minutes=min(90, now.hour * 60 + now.minute)), 1, seed=3)
    written = write_rows(today, client=client, table_name=name)
    return Table(aws_endpoint, name, written)


def _run(at: AppTest) -> AppTest:
    at.run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_what_tracing_costs_compares_five_modes_with_init_led_by_the_sentence(
    tracing_table: Table, app_env: Any
) -> None:
    app_env(tracing_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/runtimes_tracing.py"))
    sentence = next(m.value for m in at.markdown if m.value.startswith("At 128 MB"))
    # INIT otel − subsegments = +500 ms, adot +900 ms in each store's group (today's rows, yesterday's digest)
    assert "moving from the X-Ray SDK (Subsegments (default))" in sentence
    assert (
        "OpenTelemetry SDK moves INIT by **+500 ms**" in sentence
        and "ADOT layer moves INIT by **+900 ms**" in sentence
    )
    costs = at.dataframe[0].value
    init = costs[(costs["Latency"] == "INIT") & (costs["Store"] == "Secrets Manager")].set_index("Tracing")
    assert list(init.index) == ["Off (no tracing)", "Subsegments (default)", "patch_all() (2022 run)",
                                "OpenTelemetry SDK", "ADOT layer"]  # fmt: skip
    assert set(init["Compared with"]) == {"Off (no tracing)"} and set(init["Environment"]) == {"Lab"}
    assert abs(init.loc["ADOT layer", "p50 ratio (×)"] - 6.0) < 0.07  # 1200 / 200
    assert abs(init.loc["OpenTelemetry SDK", "p50 difference (ms)"] - 600.0) < 9
    warm = costs[(costs["Latency"] == "Warm hit") & (costs["Store"] == "Secrets Manager")].set_index(
        "Tracing"
    )
    assert abs(warm.loc["ADOT layer", "p50 ratio (×)"] - 1.8) < 0.04  # the older off day is not in off
    otel = init.loc[["OpenTelemetry SDK", "ADOT layer"], "Libraries"]
    assert all("opentelemetry-sdk 1.45.0" in x for x in otel)  # the tracing library each bar ran
    left = next(c.value for c in at.caption if c.value.startswith("Left out"))
    assert "1 `off` probe(s)" in left and "Active tracing" in left
    tracing_chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert {a["text"] for a in tracing_chart["layout"]["annotations"]} >= {"INIT p50", "Warm hit p50"}


def test_trends_follow_init_from_digests_and_todays_rows(tracing_table: Table, app_env: Any) -> None:
    app_env(tracing_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/trends.py"))
    at.radio(key="trend_metric").set_value("init")
    _run(at)
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    points = [x for t in figure["data"] if t.get("type") == "scatter" for x in (t.get("x") or [])]
    days = {str(x)[:10] for x in points}
    today = datetime.now(UTC).date()
    assert {str(today - timedelta(days=1)), str(today)} <= days  # yesterday's digest and today's rows
    assert any("counted once per cold start" in c.value for c in at.caption)
