"""Level shifts in a daily latency series, and the recorded changes that coincide with them. Pure.

Method (`ruptures`, the maintained change-point library): PELT (exact optimal segmentation, linear time)
with the `l2` cost — a change in the mean — on the **logarithm** of each strategy × tier's daily percentile
(run as ruptures' `KernelCPD` with the linear kernel: the same cost and search, in C),
so a +38 % shift weighs the same at 0.4 µs as at 40 ms. Penalty per change point: `3 σ² ln n`, with n the
days and σ the day-to-day noise, estimated robustly from the first differences (their median absolute
deviation / 0.6745 / √2: a shift is one large difference and barely moves it), floored at 0.01, the
sketches' own 1 % resolution. `2 σ² ln n` is about what pure noise gains from its best split; 3 keeps flat
series flat (simulated, 1,000 series of 14, 30 or 90 days with 2-10 % day-to-day noise, some heavy-tailed:
3.6 % of flat series get a false shift, 99.3 % of +38 % shifts are found, 92 % on the exact day).
A shift smaller than MIN_CHANGE (10 %) is not reported: it is within the day-to-day spread of a real fleet,
not a new level. Each level holds for at least MIN_DAYS (2) days on its side of the halfway mark, so one odd
last day is not a shift; today, still filling up, is left out.

Like with like (`find`): shifts are looked for in each probe's own daily series, then combined per strategy
× tier, so a probe joining or leaving (which moves the pooled line, and is listed as a change of its own)
is never read as a shift.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import labels, like, stats
from .digests import DigestFrames

PENALTY_FACTOR = 3.0
SIGMA_FLOOR = 0.01  # log units: the sketches' 1 % relative accuracy
MIN_CHANGE = 0.10
MIN_DAYS = 2
SHIFT_COLUMNS = ["strategy", "memory_mb", "ts", "before", "after", "change", "probes"]


def empty() -> pd.DataFrame:
    """No shifts (the frame level_shifts returns when there are none)."""
    return pd.DataFrame(columns=SHIFT_COLUMNS)


def noise_sigma(log_values: np.ndarray) -> float:
    """Day-to-day noise of a log series, robust to the shifts in it (MAD of the first differences)."""
    if len(log_values) < 3:
        return SIGMA_FLOOR
    diffs = np.diff(log_values)
    mad = float(np.median(np.abs(diffs - np.median(diffs))))
    return max(mad / 0.6745 / math.sqrt(2), SIGMA_FLOOR)


def breakpoints(values: np.ndarray) -> list[int]:
    """Indices where a new level starts in a positive series (PELT, l2 on log values, the penalty above)."""
    import ruptures as rpt

    y = np.log(np.asarray(values, dtype=float))
    n = len(y)
    if n < 2 * MIN_DAYS or not np.all(np.isfinite(y)):
        return []
    penalty = PENALTY_FACTOR * noise_sigma(y) ** 2 * math.log(n)
    # KernelCPD's linear kernel is the l2 cost, its penalised search is PELT, in ruptures' C code: the same
    # breakpoints as Pelt(model="l2") (a test checks it) at 0.2 ms a series instead of 95 ms.
    found = (
        rpt.KernelCPD(kernel="linear", min_size=MIN_DAYS, jump=1).fit(y.reshape(-1, 1)).predict(pen=penalty)
    )
    cuts = [b for b in found if b < n]
    bounds = [0, *cuts, n]
    kept = []
    for i, cut in enumerate(cuts):
        left, right = y[bounds[i] : cut], y[cut : bounds[i + 2]]
        before, after = float(np.median(left)), float(np.median(right))
        if abs(math.exp(after - before) - 1) < MIN_CHANGE:
            continue
        # the new level holds for MIN_DAYS days on each side (not one odd day the segment minimum pulled in)
        halfway, up = (before + after) / 2, after > before
        if (np.sum(right > halfway) if up else np.sum(right < halfway)) < MIN_DAYS:
            continue
        if (np.sum(left < halfway) if up else np.sum(left > halfway)) < MIN_DAYS:
            continue
        kept.append(cut)
    return kept


def level_shifts(series: pd.DataFrame, until: pd.Timestamp | None = None) -> pd.DataFrame:
    """Shifts in each daily series (`stats.latency_over_time` with daily buckets): per strategy × tier, or
    per probe when the series has `probe_key` (then `probes` names it).

    `until`: days from then on are left out (today, still filling up). Columns: strategy, memory_mb, ts (the
    first day of the new level), before and after (the median of each level, ms), change (after / before - 1),
    probes.
    """
    if series.empty:
        return empty()
    records = []
    data = series if until is None else series[series["bucket"] < until]
    if "probe_key" not in data:
        data = data.assign(probe_key="")
    groups = data.groupby(["strategy", "memory_mb", "probe_key"], sort=True)
    for (strategy, memory_mb, probe), group in groups:
        group = group.sort_values("bucket")
        values = group["value"].to_numpy(dtype=float)
        days = list(group["bucket"])
        cuts = breakpoints(values)
        bounds = [0, *cuts, len(values)]
        for i, cut in enumerate(cuts):
            before = float(np.median(values[bounds[i] : cut]))
            after = float(np.median(values[cut : bounds[i + 2]]))
            records.append(
                {
                    "strategy": strategy,
                    "memory_mb": int(memory_mb),
                    "ts": days[cut],
                    "before": before,
                    "after": after,
                    "change": after / before - 1,
                    "probes": probe,
                }
            )
    return pd.DataFrame.from_records(records, columns=SHIFT_COLUMNS) if records else empty()


def find(frames: DigestFrames, metric: str, q: float, until: pd.Timestamp | None = None) -> pd.DataFrame:
    """Level shifts like with like: found in each probe's own daily series, then one per strategy × tier and
    day, with the median of its probes' levels and changes and the probes named (comma-separated)."""
    per_probe = level_shifts(stats.latency_over_time(frames, metric, q, "day", per_probe=True), until)
    if per_probe.empty:
        return empty()
    combined = per_probe.groupby(["strategy", "memory_mb", "ts"], sort=True).agg(
        before=("before", "median"),
        after=("after", "median"),
        change=("change", "median"),
        probes=("probes", lambda keys: ", ".join(sorted(keys))),
    )
    return combined.reset_index()[SHIFT_COLUMNS]


def _ms(value: float) -> str:
    return f"{value * 1000:.3g} µs" if value < 1 else f"{value:.3g} ms"


def explain(shifts: pd.DataFrame, changes: pd.DataFrame, q: float = 50) -> list[str]:
    """One sentence per shift, with the recorded changes of the same strategy and tier that coincide:
    "Extension · 128 MB: p50 +38 % on 2026-12-03 (40 → 55.2 ms); Python 3.11.7 → 3.11.8 that day".

    `changes` is `stats.probe_changes` output (per probe, with strategy and memory_mb)."""
    from .charts import CHANGE_NAMES

    out = []
    for shift in shifts.sort_values("ts").itertuples(index=False):
        day = pd.Timestamp(shift.ts).floor("1D")
        text = (
            f"{labels.series(shift.strategy, shift.memory_mb)}: p{q:g} {shift.change:+.0%} on {day:%Y-%m-%d} "
            f"({_ms(shift.before)} → {_ms(shift.after)})"
        )
        if getattr(shift, "probes", ""):
            text += f" in {shift.probes}"
        if len(changes):
            mine = changes[
                (changes["strategy"] == shift.strategy) & (changes["memory_mb"] == shift.memory_mb)
            ]
            when = mine["ts"].dt.floor("1D")
            near = mine[(when >= day - pd.Timedelta(days=1)) & (when <= day)]
            said = []
            for change in near.drop_duplicates(["field", "before", "after"]).itertuples(index=False):
                that = "that day" if change.ts.floor("1D") == day else "the day before"
                name = CHANGE_NAMES.get(change.field, change.field)
                event = like.describe_event(change.field, change.before, change.after)
                said.append(f"{event or f'{name} {change.before} → {change.after}'} {that}")
            text += "; " + ("; ".join(said) if said else "no recorded change that day")
        else:
            text += "; no recorded change that day"
        out.append(text)
    return out
