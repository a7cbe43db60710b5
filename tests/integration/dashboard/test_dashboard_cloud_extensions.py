"""AppTest: every page shows Cloud Extensions from rows that carry it, the prefetch probe as its own variant.

Rows are built with the data layer's schema (`datastore.schema` columns, `tests/unit/dashboard/frames.row`)
and written with `datastore.writes`, so what the table stores of them is what the dashboard reads.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from streamlit.testing.v1 import AppTest

from datastore import writes
from datastore.schema import COLUMNS, create_table
from tests.conftest import REPO_ROOT
from tests.unit.dashboard.frames import row

from .conftest import Table

APP = str(REPO_ROOT / "dashboard" / "streamlit_app.py")
CX = "cloud_extensions"
PREFETCH = "Cloud Extensions, prefetch"
LABEL = "Cloud Extensions (localhost:5333)"
PAGES = ("trends", "memory_tiers", "distributions", "runtimes_tracing", "reference", "runs")


def _rows(start: datetime) -> list[dict[str, Any]]:
    """Four rounds of extension, dict and Cloud Extensions probes (without and with prefetch) at two tiers."""
    out = []
    for i in range(4):
        ts = (start + timedelta(minutes=15 * i)).isoformat()
        for memory, slow in ((128, 10.0), (1769, 1.0)):
            out.append(row(ts, "extension", memory, warm_ms=[4.0 * slow] * 5, cold_miss_ms=30.0 * slow))
            out.append(row(ts, "dict", memory, warm_ms=[0.0004] * 5, cold_miss_ms=25.0 * slow))
            cx = {
                "strategy": CX,
                "memory_mb": memory,
                "api_calls": None,
                "miss_guarantee": "fresh_environment",
            }
            out.append(
                row(
                    ts,
                    **cx,
                    warm_ms=[4.4 * slow] * 5,
                    cold_miss_ms=33.0 * slow,
                    prefetch=False,
                    sign_cold_ms=0.3 * slow,
                    sign_warm_p50_ms=0.2 * slow,
                )
            )
            out.append(
                row(
                    ts,
                    **cx,
                    probe_key=f"{CX}-{memory}-x86_64-prefetch",
                    warm_ms=[4.4 * slow] * 5,
                    cold_miss_ms=None,
                    first_hit_ms=4.5 * slow,
                    prefetch=True,
                    sign_cold_ms=None,
                    sign_warm_p50_ms=0.2 * slow,
                )
            )
    return out


@pytest.fixture(scope="module")
def cx_table(aws_endpoint: str, quiet_moto: None) -> Table:
    name = f"slo-dash-cx-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    create_table(client, name)
    rows = _rows(datetime.now(UTC) - timedelta(hours=1, minutes=30))
    for r in rows:
        writes.write_rows([r], client=client, table_name=name)
    return Table(aws_endpoint, name, len(rows))


def _run(at: AppTest) -> AppTest:
    at.run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _names(at: AppTest) -> set[str]:
    return {str(t.get("name")) for el in at.get("plotly_chart") for t in json.loads(el.proto.spec)["data"]}


def test_the_overview_shows_cloud_extensions_and_its_prefetch_variant_apart(
    cx_table: Table, app_env: Any
) -> None:
    app_env(cx_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    assert "A Cloud Extensions hit: 44 ms at 128 MB, 1.1× the extension's" in at.markdown[0].value
    assert {LABEL, PREFETCH} <= _names(at)  # the figure: two strategies, never pooled
    assert any(c.value.startswith(f"{PREFETCH}: the extension loads the secret") for c in at.caption)
    warm = at.dataframe[1].value  # the 2022 run's table, one row per strategy × tier
    assert {LABEL, PREFETCH} <= set(warm["Strategy"])
    sidebar = at.sidebar.multiselect(key="f_strategy")
    assert {LABEL, PREFETCH} <= set(sidebar.options)  # filtered apart too


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_the_new_strategy(cx_table: Table, app_env: Any, page: str) -> None:
    app_env(cx_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page(f"app_pages/{page}.py"))
    if page == "trends":  # cold misses first: the prefetch probe has none, and the page says why
        assert PREFETCH not in " ".join(_names(at))
        assert any(c.value.startswith(f"{PREFETCH}: the extension loads the secret") for c in at.caption)
        at.radio(key="trend_metric").set_value("warm_hit")
        _run(at)
    if page in ("trends", "memory_tiers", "distributions"):
        names = " ".join(_names(at))
        assert LABEL in names and PREFETCH in names, (page, sorted(_names(at)))
    if page == "memory_tiers":
        costs = at.dataframe[0].value
        assert {LABEL, PREFETCH} <= set(costs["Strategy"])
        secrets = costs[costs["Store"] == "Secrets Manager"]
        starts = secrets.groupby("Strategy")["API calls per environment start"].agg(set)
        assert starts[PREFETCH] == {1.0} and starts[LABEL] == {0.0}  # BatchGetSecretValue, with prefetch only


@pytest.mark.skipif(
    "sign_cold_ms" not in COLUMNS, reason="the table's rows do not carry the signing times yet"
)
def test_runs_shows_the_signing_inside_the_fetch(cx_table: Table, app_env: Any) -> None:
    app_env(cx_table)
    at = _run(AppTest.from_file(APP, default_timeout=120))
    _run(at.switch_page("app_pages/runs.py"))
    rows = at.dataframe[0].value  # the rows
    assert {LABEL, PREFETCH} <= set(rows["Strategy"])
    signing = at.dataframe[1].value  # signing inside the fetch
    assert set(signing["Strategy"]) == {LABEL, PREFETCH}
    assert any(
        c.value.startswith("Cloud Extensions is called with requests the function signs") for c in at.caption
    )
