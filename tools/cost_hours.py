"""The compactor's hours step in the cost estimate (`tools.cost.compactor_lines`): what it reads and writes.

Each closed hour of the current UTC day is digested at every run from its end until the first run after it
settled (its end + settle_seconds), and never after midnight (the day's own digest replaces it): so the last
hours of a day are read fewer times than the first. Pure: the schedule in, counts out.
"""

from __future__ import annotations

import math

HOUR_DIGEST_SHARE_OF_DAY = 0.75  # an hour's digest is ~3/4 the size of its day's (measured: 48 probes, 5 min)


def hour_digests_per_day(settle_seconds: float, interval_seconds: float) -> int:
    """How many hour digests a day's runs write (every hour, every time it is (re)computed)."""
    every = range(1, math.ceil(86400 / interval_seconds))
    runs = [t for t in (k * interval_seconds for k in every) if t < 86400]
    total = 0
    for hour in range(24):
        end = (hour + 1) * 3600
        for run in (t for t in runs if t >= end):
            total += 1
            if run >= end + settle_seconds:  # digested after it settled: final
                break
    return total


def hour_reads_per_row(settle_seconds: float, interval_seconds: float) -> float:
    """How many times the hours step reads each row of a day (rows spread evenly over the hours)."""
    return hour_digests_per_day(settle_seconds, interval_seconds) / 24


def hours_step(
    settle_seconds: float, interval_seconds: float, rows_per_day: float, days: float, row_bytes: float,
    day_bytes: float, item_target_bytes: float,
) -> tuple[float, float, float]:  # fmt: skip
    """The hours step over `days`: rows read, their read request units (eventually consistent Query: 0.5 per
    4 KB), and the write request units of the hour digests it writes."""
    rows_read = rows_per_day * days * hour_reads_per_row(settle_seconds, interval_seconds)
    hour_bytes = day_bytes * HOUR_DIGEST_SHARE_OF_DAY
    items = max(1, math.ceil(hour_bytes / item_target_bytes))
    written = hour_digests_per_day(settle_seconds, interval_seconds) * days
    rru = rows_read * math.ceil(row_bytes / 4096) * 0.5
    return rows_read, rru, written * items * math.ceil(hour_bytes / items / 1024)
