"""The hard hour for `bench dashboard`: 40 probes every 5 minutes, the dashboard first opened at 23:30 UTC.

A table of its own on the bench's lab endpoint: 90 closed days of digests before the day (written directly,
as the 90-day figure's), and the day's rows from 00:00 to 23:30 written for real through the collector
(destination record → validation → rows → conditional puts). The day is the one before the real one, so no
row lies in the future; its clock is simulated by passing `now` (23:30) to the compactor and the dashboard,
never by sleeping. The first load is timed twice: before the compactor's run (today read as rows: how the
dashboard read before hourly digests, and what it still does when the compactor has not run) and after one
scheduled run at 23:30 (hours 00-22 digested: today read as 23 hourly digests plus the open hour's rows; timed
`FIRST_LOADS` times, the medians reported, every run's slowest page shown).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from datastore.digest import ProbeDigest

from .bench_dashboard import _first_load, _first_loads, _seconds, destination_events, write_events
from .dashboard_pages import write_synthetic_history

LATE_TABLE = "slo-bench-dashboard-late"


@dataclass(frozen=True)
class LateDay:
    """What the late-day bench measured."""

    probes: int
    rows_written: int
    write_s: float
    rows_only_s: float  # slowest page's first load, today read as rows
    rows_only_read: int
    compact_s: float  # the compactor's run at 23:30 (hours 00-22)
    hours: int
    hours_rows: int
    hours_s: float  # slowest page's first load, today as hourly digests + the open hour's rows (median)
    hours_samples: list[float]  # the slowest page in each of the runs the median is over
    hours_query_s: float
    hours_rows_read: int
    pages: dict[str, float]


def measure(
    client: Any,
    endpoint: str,
    ca: str,
    templates: Sequence[ProbeDigest],
    tiers: Sequence[int],
    days: int,
    real_now: datetime,
    write_workers: int = 4,
) -> LateDay:
    """Write the late day, time the first load before and after the compactor's run (see the docstring)."""
    from collector import compactor
    from collector.config import CompactorSettings
    from dashboard.config import load_settings
    from datastore.schema import create_table

    day = real_now.astimezone(UTC).date() - timedelta(days=1)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    now = midnight + timedelta(hours=23, minutes=30)
    create_table(client, LATE_TABLE)
    write_synthetic_history(client, LATE_TABLE, templates, days - 1, day, seed=9)
    events = destination_events(midnight, 23.5 / 24, tiers=tiers, interval_s=300, seed=13)
    started = time.perf_counter()
    written = write_events(events, client, LATE_TABLE, write_workers)
    write_s = time.perf_counter() - started
    settings = load_settings(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_CA_BUNDLE": ca,
            "OBSERVATORY_TABLE_NAME": LATE_TABLE,
            "OBSERVATORY_DASHBOARD_DAYS": str(days),
        }
    )
    _, _, before, rows_only_read = _first_load(settings, client, now, days)
    started = time.perf_counter()
    run = compactor.run(CompactorSettings(LATE_TABLE, catch_up_days=1), client=client, now=now)
    compact_s = time.perf_counter() - started
    query_s, _, after, rows_read, samples = _first_loads(settings, client, now, days)
    return LateDay(
        probes=len(templates),
        rows_written=written,
        write_s=write_s,
        rows_only_s=max(before.values()),
        rows_only_read=rows_only_read,
        compact_s=compact_s,
        hours=len(run["digested_hours"]),
        hours_rows=sum(h["rows"] for h in run["digested_hours"]),
        hours_s=statistics.median(samples),
        hours_samples=samples,
        hours_query_s=query_s,
        hours_rows_read=rows_read,
        pages=after,
    )


def report(late: LateDay, days: int) -> list[str]:
    """The late day's lines for the bench's output."""
    return [
        f"late day ({late.probes} probes every 5 min, 00:00-23:30 UTC): {late.rows_written:,} rows written "
        f"through the collector in {late.write_s:.0f} s; the compactor's run at 23:30 digested {late.hours} "
        f"hours ({late.hours_rows:,} rows) in {late.compact_s:.1f} s",
        f"late day, slowest page's first load ({days} days): today from rows {late.rows_only_s:.2f} s "
        f"({late.rows_only_read:,} rows); from {late.hours} hourly digests + the open hour "
        f"{late.hours_s:.2f} s ({late.hours_rows_read:,} rows, query {late.hours_query_s:.2f} s; median of "
        f"{len(late.hours_samples)} first loads: {_seconds(late.hours_samples)})",
        "late day, each page's first load: " + ", ".join(f"{k} {v:.2f} s" for k, v in late.pages.items()),
    ]
