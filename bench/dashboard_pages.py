"""What each dashboard page computes on its first load, from the loaded digests (for `bench dashboard`),
and digests written straight into a table (a 90-day × 40-probe history would take hours through moto)."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from datastore.digest import ProbeDigest
from datastore.digesting import digest_rows


def page_figures(
    frames: Any, now: pd.Timestamp, days: int, pages: dict[str, float] | None = None
) -> list[Any]:
    """Everything the pages compute with their default choices over the last `days` days (Runs aside: it
    reads rows of its own window). `pages`, if given, receives the seconds each page took."""
    from dashboard import charts, compare_charts, cost_model, data, health, moved, shifts, stats, verdict

    figures: list[Any] = []
    marks = [("start", time.perf_counter())]

    def mark(name: str) -> None:
        marks.append((name, time.perf_counter()))

    start = now.floor("1D") - pd.Timedelta(days=days - 1)
    frame = stats.in_window(frames, start, now + pd.Timedelta(seconds=1))
    # Overview: the answer first, then health, the headline, the reference-style tables
    tiers = stats.tier_summary(frame)
    verdict.sentence(tiers)
    figures.append(charts.tier_figure(tiers))
    interval = health.schedule_interval(None, frames.probes)
    health.fleet_health(frames.probes, frame.probes, now, interval.seconds)
    health.failure_rate(frame.probes)
    moved.headline(frames, int(frame.stores["memory_mb"].min()), start, now)
    for metric in stats.METRICS:
        stats.summarize(frame, ["strategy", "memory_mb"], metric)
    mark("overview")
    # Trends: p50 per day, not-ok bars, changes, level shifts and what coincides
    bucket = stats.bucket_of(days)
    series = stats.latency_over_time(frame, "warm_hit", 50, bucket)
    changes = stats.change_points(frame.probes)
    found = shifts.find(frame, "warm_hit", 50, until=now.floor("1D")) if bucket == "day" else shifts.empty()
    not_ok = stats.not_ok_over_time(frame, bucket)
    figures.append(charts.trend_figure(series, "warm_hit", 50, not_ok, changes, shifts=found))
    if len(found):  # as the page: the changes beside each shift are looked up only when there is one
        shifts.explain(found, stats.probe_changes(frames.probes))
    mark("trends")
    # Memory tiers
    for metric in stats.METRICS:
        figures.append(
            charts.memory_figure(stats.summarize(frame, ["strategy", "memory_mb"], metric), metric)
        )
    prices = cost_model.PriceTable.from_json(data.price_table())
    costs = cost_model.cost_table(frame, prices, 1.0, 60)
    cost_model.best_choices(costs)
    figures.append(charts.cost_figure(costs, 1.0, "prices-us-east-1.json"))
    mark("memory tiers")
    # Distributions
    figures.append(charts.distribution_figure(stats.distributions(frame, "warm_hit")))
    mark("distributions")
    # Reference: the summaries of the secretsmanager store
    sm = frame.stores_where(frame.stores["store"] == "secretsmanager")
    records = []
    for metric in stats.METRICS:
        for row in stats.group_summary(sm, ["strategy", "memory_mb"], metric, (50.0, 90.0)).itertuples():
            records.append(
                {
                    "strategy": row.strategy,
                    "memory_mb": row.memory_mb,
                    "metric": metric,
                    "source": "ours",
                    "median": row.p50,
                    "p90": row.p90,
                }
            )
    figures.append(compare_charts.reference_figure(pd.DataFrame.from_records(records)))
    mark("reference")
    if pages is not None:
        pages.update({name: t - marks[i][1] for i, (name, t) in enumerate(marks[1:])})
    return figures


def template_digests(
    events: Sequence[dict[str, Any]],
) -> list[ProbeDigest]:
    """One day of a fleet, digested (the shape every synthetic day copies)."""
    from collector.contract import parse_destination
    from collector.rows import rows_for

    return digest_rows((r for e in events for r in rows_for(parse_destination(e))), "day")


def shifted_day(templates: Sequence[ProbeDigest], day: date, rng: random.Random) -> list[ProbeDigest]:
    """The template day moved to `day`, each sketch's bins moved by a bin or two (so days differ)."""
    out = []
    for template in templates:
        d = ProbeDigest.from_wire(template.to_wire())
        d.start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        d.last_ts = (d.start + timedelta(hours=23, minutes=55)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        shift = rng.randint(-2, 2)
        for store in d.stores.values():
            for metric in store.metrics.values():
                metric.sketch.counts = {k + shift: c for k, c in metric.sketch.counts.items()}
        out.append(d)
    return out


def write_synthetic_history(
    client: Any, table_name: str, templates: Sequence[ProbeDigest], days: int, today: date, seed: int = 5
) -> int:
    """Digests for the `days` closed days before today, written with datastore.digest_table.write_digests."""
    from datastore.digest_table import write_digests

    rng = random.Random(seed)
    items = 0
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        items += write_digests(
            day, shifted_day(templates, day, rng), client=client, table_name=table_name
        ).items
    return items
