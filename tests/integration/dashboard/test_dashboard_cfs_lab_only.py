"""AppTest: with AWS rows in view, the CFS throttling columns say "lab only" and AWS rows show no number."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from bench.bench_dashboard import destination_events, write_events
from datastore.schema import create_table

from .conftest import INTERVAL_S, Table, _client
from .test_dashboard_apptest import APP, _run


@pytest.fixture(scope="module")
def mixed_table(aws_endpoint: str, quiet_moto: None) -> Table:
    """An hour of the fleet, the 128 MB probes in the lab and the 1769 MB ones on AWS (no CPU quota read)."""
    name = f"slo-dash-cfs-{uuid.uuid4().hex[:8]}"
    client = _client(aws_endpoint)
    create_table(client, name)
    start = datetime.now(UTC) - timedelta(hours=1)
    events = list(destination_events(start, 1 / 24, interval_s=INTERVAL_S, failure_every=0))
    for event in events:
        record = event["responsePayload"]
        if record["identity"]["memory_mb"] != 128:
            record["identity"].update(environment="aws", cpu_emulation="aws")
            record["throttling"] = None
    return Table(aws_endpoint, name, write_events(events, client, name))


def test_runs_page_marks_the_cfs_columns_lab_only(mixed_table: Table, app_env: Any) -> None:
    app_env(mixed_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/runs.py"))
    table = at.dataframe[0].value
    assert "Throttled CFS periods (lab only)" in table.columns and "CFS periods (lab only)" in table.columns
    by_environment = table.groupby("Environment")["Throttled CFS periods (lab only)"]
    assert by_environment.apply(lambda s: s.isna().all())["aws"]  # not measured, never 0
    assert by_environment.apply(lambda s: s.notna().all())["lab"]
    assert any("lab only" in c.value and "not measured" in c.value for c in at.caption)
    _run(at.switch_page("app_pages/distributions.py"))
    assert any("AWS rows" in c.value and "lab only" in c.value for c in at.caption)


def test_lab_rows_alone_keep_the_plain_names(fleet_table: Table, app_env: Any) -> None:
    app_env(fleet_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/runs.py"))
    table = at.dataframe[0].value
    assert "Throttled CFS periods" in table.columns and "CFS periods" in table.columns
    assert not any("lab only" in c.value for c in at.caption)
