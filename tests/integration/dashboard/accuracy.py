"""Every percentile the dashboard shows, from digests, against the same percentile of the raw rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dashboard import moved, stats
from dashboard.digests import DigestFrames
from datastore.sketch import RELATIVE_ACCURACY

TREND_QS = (50, 75, 90, 95, 99)  # the Trends page's choices; its band is p10-p90


def samples(rows: pd.DataFrame, metric: str) -> np.ndarray:
    if metric == "cold_miss":
        values = rows["cold_miss_ms"].to_numpy(dtype=float, na_value=np.nan)
    else:
        parts = [np.asarray(v, dtype=float) for v in rows["warm_ms"] if len(v)]
        values = np.concatenate(parts) if parts else np.empty(0)
    return values[np.isfinite(values)]


def close(got: Any, exact: float) -> bool:
    return bool(abs(float(got) - exact) <= RELATIVE_ACCURACY * abs(exact) + 1e-9)


def check_every_percentile(frames: DigestFrames, rows: pd.DataFrame, bucket: str) -> int:
    """Asserts each shown percentile is within the sketch's accuracy of the exact one; returns how many."""
    checked = 0
    for metric in stats.METRICS:
        # Overview and Memory tiers tables, the tier figure, Reference: median, p90, p99 per strategy × tier
        summary = stats.summarize(frames, ["strategy", "memory_mb"], metric)
        for row in summary.itertuples(index=False):
            group = rows[(rows["strategy"] == row.strategy) & (rows["memory_mb"] == row.memory_mb)]
            exact = samples(group, metric)
            assert row.n == exact.size, (metric, row.strategy, row.memory_mb)
            if not exact.size:
                continue
            assert (row.min, row.max) == (exact.min(), exact.max())  # exact, not sketched
            for column, q in (("median", 50), ("p90", 90), ("p99", 99)):
                want = float(np.percentile(exact, q))
                assert close(getattr(row, column), want), (metric, row.strategy, row.memory_mb, q)
                checked += 1
        # Trends: every percentile choice and the p10-p90 band, per bucket
        floor = "1h" if bucket == "hour" else "1D"
        pointed = rows.assign(point=rows["ts"].dt.floor(floor))
        for q in TREND_QS:
            series = stats.latency_over_time(frames, metric, q, bucket)
            for point in series.itertuples(index=False):
                group = pointed[
                    (pointed["strategy"] == point.strategy)
                    & (pointed["memory_mb"] == point.memory_mb)
                    & (pointed["point"] == point.bucket)
                ]
                exact = samples(group, metric)
                assert point.n == exact.size
                for value, p in ((point.value, q), (point.low, 10), (point.high, 90)):
                    assert close(value, float(np.percentile(exact, p))), (metric, point, p)
                    checked += 1
    # Overview's headline: p50 per strategy at each tier
    start, end = rows["ts"].min().floor("1D"), rows["ts"].max() + pd.Timedelta(seconds=1)
    for tier in sorted(rows["memory_mb"].unique()):
        head = moved.headline(frames, int(tier), start, end)
        for row in head.itertuples(index=False):
            group = rows[(rows["strategy"] == row.strategy) & (rows["memory_mb"] == tier)]
            for got, metric in ((row.cold_p50, "cold_miss"), (row.warm_p50, "warm_hit")):
                exact = samples(group, metric)
                if exact.size:
                    assert close(got, float(np.percentile(exact, 50))), (tier, row.strategy, metric)
                    checked += 1
    return checked
