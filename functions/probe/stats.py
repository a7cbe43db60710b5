"""Summary statistics of a series of timings: pure functions, no AWS, no clock."""

from __future__ import annotations

import math
from collections.abc import Sequence

SUMMARY_KEYS = ("n", "min", "p50", "p90", "p99", "max", "mean")


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of an already sorted, non-empty series, by linear interpolation.

    Same definition as numpy's default ("linear"), so the dashboard and the probe agree.
    """
    if not ordered:
        raise ValueError("percentile of an empty series")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile {q} outside 0..100")
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(ordered[low])
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def summarize(values: Sequence[float], digits: int = 6) -> dict[str, float | int] | None:
    """n, min, p50, p90, p99, max and mean of `values`, rounded to `digits`; None for an empty series."""
    if not values:
        return None
    ordered = sorted(values)
    summary: dict[str, float | int] = {
        "n": len(ordered),
        "min": ordered[0],
        "p50": percentile(ordered, 50),
        "p90": percentile(ordered, 90),
        "p99": percentile(ordered, 99),
        "max": ordered[-1],
        "mean": math.fsum(ordered) / len(ordered),
    }
    return {key: (value if key == "n" else round(float(value), digits)) for key, value in summary.items()}


def ns_to_ms(nanoseconds: int) -> float:
    """Nanoseconds from perf_counter_ns to milliseconds with nanosecond resolution."""
    return round(nanoseconds / 1_000_000, 6)
