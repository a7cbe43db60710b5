"""A real browser on a running dashboard: every page opens and its Plotly charts render.

Streamlit runs as its own process (`streamlit run dashboard/streamlit_app.py --server.headless true`) on a
free port against the local AWS endpoint, reading rows the collector wrote; Playwright drives Debian's
chromium.
Screenshots land in test-output/e2e/.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from bench.bench_dashboard import destination_events, write_events
from datastore.schema import create_table
from tests.conftest import REPO_ROOT, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = REPO_ROOT / "test-output" / "e2e"
# (url path, title, Plotly charts the page draws)
PAGES = [
    ("", "Overview", 1),
    ("trends", "Trends", 1),
    ("memory_tiers", "Memory tiers", 3),
    ("regions", "Regions", 0),  # the lab in one region: nothing to compare, said so
    ("distributions", "Distributions", 1),
    ("runtimes_tracing", "Runtimes & tracing", 0),  # the default fleet has one runtime and one tracing mode
    ("reference", "Reference", 1),
    ("runs", "Runs", 0),
]

pytestmark = [
    pytest.mark.slow,  # a streamlit server and chromium: tens of seconds
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium missing: run `make browser`"),
]


@pytest.fixture(scope="module")
def table(aws_endpoint: str) -> str:
    """Six hours of the lab's default fleet, written through the collector; one probe failing."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    name = f"slo-dash-e2e-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    create_table(client, name)
    events = destination_events(
        datetime.now(UTC) - timedelta(hours=6),
        0.25,
        interval_s=900,
        failing_probe="sdk-128-x86_64",
        layer_change_at=0.5,
        failure_every=0,
    )
    write_events(list(events), client, name)
    return name


@contextlib.contextmanager
def running_dashboard(env_overrides: dict[str, str], log_name: str) -> Iterator[str]:
    """`streamlit run dashboard/streamlit_app.py` on a free port (no PYTHONPATH, as `make dashboard` runs it);
    stopped by pid on exit."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | env_overrides
    OUTPUT.mkdir(parents=True, exist_ok=True)
    log = (OUTPUT / log_name).open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard/streamlit_app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start: see {OUTPUT / log_name}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def dashboard(aws_endpoint: str, table: str) -> Iterator[str]:
    """The dashboard on the table the collector wrote."""
    env = {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "OBSERVATORY_TABLE_NAME": table,
        "OBSERVATORY_DASHBOARD_DAYS": "7",
    }
    with running_dashboard(env, "streamlit.log") as url:
        yield url


def _launch(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def test_unreachable_endpoint_is_a_message_not_a_traceback() -> None:
    from playwright.sync_api import sync_playwright

    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "OBSERVATORY_TABLE_NAME": "slo-measurements",
    }
    with running_dashboard(env, "streamlit-unreachable.log") as url, sync_playwright() as pw:
        browser = _launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 800})
            page.goto(f"{url}/trends", wait_until="domcontentloaded")
            alert = page.locator("[data-testid='stAlert']").first
            alert.wait_for(timeout=90_000)
            assert "Cannot reach the AWS endpoint" in alert.inner_text()
            assert page.locator("[data-testid='stException']").count() == 0
            page.screenshot(path=str(OUTPUT / "unreachable.png"))
        finally:
            browser.close()


def test_every_page_renders_in_chromium(dashboard: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = _launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2000})
            for path, title, charts in PAGES:
                page.goto(f"{dashboard}/{path}", wait_until="domcontentloaded")
                page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=90_000)
                if charts:
                    # charts below the fold render once scrolled into view
                    page.evaluate(
                        "() => { for (const el of document.querySelectorAll(\"[data-testid='stMain'], "
                        "[data-testid='stAppViewContainer']\")) el.scrollTo(0, el.scrollHeight);"
                        " window.scrollTo(0, document.body.scrollHeight); }"
                    )
                    page.wait_for_function(
                        f"document.querySelectorAll('.js-plotly-plot').length >= {charts}", timeout=60_000
                    )
                    page.evaluate(
                        "() => { for (const el of document.querySelectorAll(\"[data-testid='stMain'], "
                        "[data-testid='stAppViewContainer']\")) el.scrollTo(0, 0); window.scrollTo(0, 0); }"
                    )
                    # every chart drew its traces, not just an empty frame
                    traces = ".scatterlayer .trace, .barlayer .trace"
                    drawn = page.locator(".js-plotly-plot").evaluate_all(
                        f"els => els.map(e => e.querySelectorAll('{traces}').length)"
                    )
                    assert len(drawn) == charts and all(n > 0 for n in drawn), (title, drawn)
                # the script has finished and every lazily loaded element has replaced its skeleton
                busy = ", ".join(
                    f"[data-testid='{t}']"
                    for t in (
                        "stStatusWidgetRunningIcon",
                        "stStatusWidgetRunningManIcon",
                        "stSkeleton",
                        "stSkeletonElement",
                        "stAppSkeleton",
                    )
                )
                page.wait_for_function(f'!document.querySelector("{busy}")', timeout=60_000)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(1000)
                assert page.locator("[data-testid='stException']").count() == 0, title
                name = path or "overview"
                page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)
                if path == "":
                    body = page.locator("[data-testid='stMain']").inner_text()
                    assert "sdk-128-x86_64" in body and "is failing" in body
        finally:
            browser.close()
