"""Pure statistics for the pages: summaries, trends and changes, from digests.

No Streamlit and no AWS here. The pages work from `dashboard.digests.DigestFrames` (daily digests of closed
days, hourly ones made from the rows of days not digested yet); every percentile comes from merged sketches
(`dashboard.sketches`, within 1 % of the exact one), counts, minima, maxima and means are exact. Rows whose
status is `error` or `failed` are counted in every summary (`ok`, `error`, `failed`), never averaged away.
The row-level helpers at the top (`percentile`, `describe`) are the exact definitions the sketches match.
What a choice costs is `dashboard.cost_model`'s.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from datastore.digest import METRICS as DIGEST_METRICS
from datastore.vocabulary import STATUSES

from . import like, sketches
from .digests import SEEN, DigestFrames
from .like import NO_PROBE

METRICS = ("cold_miss", "warm_hit")
TREND_METRICS = (*METRICS, "init")  # what Trends can follow: INIT is one per cold start, not per store
# Values seen that mark a change: a new lab host CPU is one; the reference workload's time is not (it varies
# with every lab start on the same host).
CHANGE_FIELDS = tuple(name for name in SEEN if name != "host_ref_ms")
NOT_OK = tuple(status for status in STATUSES if status != "ok")  # error, failed
SUMMARY_COLUMNS = ("n", "min", "max", "mean", "median", "p90", "p99", "trimmed_mean")


class StatsError(ValueError):
    """Bad input to a statistic (an unknown metric, a percentile outside 0-100)."""


# ------------------------------------------------------------------------- exact, on samples (the reference)
def _array(values: Iterable[Any]) -> np.ndarray:
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    return arr[np.isfinite(arr)]


def percentile(values: Iterable[Any], q: float) -> float | None:
    """The q-th percentile (0-100, linear interpolation, as numpy and the reference run); None when empty."""
    if not 0 <= q <= 100:
        raise StatsError(f"percentile must be within 0-100, got {q}")
    arr = _array(values)
    return float(np.percentile(arr, q)) if arr.size else None


def trimmed_mean(values: Iterable[Any], proportion: float = 0.1) -> float | None:
    """Mean after dropping `proportion` of the samples at each end: robust to a GC pause or a stray stall."""
    if not 0 <= proportion < 0.5:
        raise StatsError(f"trim proportion must be within [0, 0.5), got {proportion}")
    arr = np.sort(_array(values))
    if not arr.size:
        return None
    cut = math.floor(arr.size * proportion)
    kept = arr[cut : arr.size - cut] if cut else arr
    return float(kept.mean())


def describe(values: Iterable[Any]) -> dict[str, float | None]:
    """n, min, max, mean, median, p90, p99 and the 10 % trimmed mean of the finite values."""
    arr = _array(values)
    if not arr.size:
        return {"n": 0, **{name: None for name in SUMMARY_COLUMNS[1:]}}
    return {
        "n": int(arr.size),
        "min": float(arr.min()),
        "max": float(arr.max()),
        "mean": float(arr.mean()),
        "median": float(np.percentile(arr, 50)),
        "p90": float(np.percentile(arr, 90)),
        "p99": float(np.percentile(arr, 99)),
        "trimmed_mean": trimmed_mean(arr),
    }


# ------------------------------------------------------------------------------------ merged, from digests
def _check_metric(metric: str) -> None:
    if metric not in DIGEST_METRICS:  # METRICS are the pages' two; a digest has more (cold starts' misses…)
        raise StatsError(f"unknown metric {metric!r}; choose from {DIGEST_METRICS}")


def _groups(stores: pd.DataFrame, by: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Group labels (sorted), the group of each stores row, and a row -> group lookup for the bins."""
    if stores.empty:
        return pd.DataFrame(columns=list(by)), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    codes = stores.groupby(list(by), sort=True, dropna=False).ngroup().to_numpy()
    labels = stores[list(by)].iloc[np.argsort(codes, kind="stable")].drop_duplicates().reset_index(drop=True)
    lookup = np.full(int(stores.index.max()) + 1, -1, dtype=np.int64)
    lookup[stores.index.to_numpy()] = codes
    return labels, codes, lookup


def group_summary(
    frames: DigestFrames,
    by: Sequence[str],
    metric: str,
    qs: Sequence[float] = (50.0, 90.0, 99.0),
    trimmed: bool = False,
) -> pd.DataFrame:
    """Per group of stores rows: n, min, max, mean (exact), the percentiles `qs` (p50 -> `p50`) from the
    merged sketch (clamped to the exact min and max), optionally the trimmed mean, and the rows per status."""
    _check_metric(metric)
    stores = frames.stores
    labels, codes, lookup = _groups(stores, by)
    cols = [f"p{q:g}" for q in qs]
    if labels.empty:
        return pd.DataFrame(columns=[*by, "n", "min", "max", "mean", *cols, "trimmed_mean", *STATUSES])
    agg = (
        stores.assign(_g=codes)
        .groupby("_g")
        .agg(
            n=(f"{metric}_n", "sum"),
            min=(f"{metric}_min", "min"),
            max=(f"{metric}_max", "max"),
            total=(f"{metric}_sum", "sum"),
            **{status: (status, "sum") for status in STATUSES},
        )
        .reindex(range(len(labels)))
    )
    merged = sketches.merge(frames.bins[metric], lookup, len(labels))
    values = sketches.quantiles(merged, [q / 100 for q in qs])
    out = labels.copy()
    out["n"] = agg["n"].to_numpy().astype(int)
    out["min"] = agg["min"].to_numpy()
    out["max"] = agg["max"].to_numpy()
    out["mean"] = np.where(out["n"] > 0, agg["total"].to_numpy() / np.maximum(out["n"], 1), np.nan)
    for j, col in enumerate(cols):
        out[col] = np.clip(values[:, j], out["min"], out["max"])
    out["trimmed_mean"] = sketches.trimmed_means(merged) if trimmed else np.nan
    for status in STATUSES:
        out[status] = agg[status].to_numpy().astype(int)
    none = out["n"] == 0
    out.loc[none, ["min", "max", "mean", *cols, "trimmed_mean"]] = np.nan
    return out


def summarize(frames: DigestFrames, by: Sequence[str], metric: str) -> pd.DataFrame:
    """One row per group: the latency summary of `metric` (the reference run's columns) and the status counts.

    Columns: by…, n, min, max, mean, median, p90, p99, trimmed_mean, ok, error, failed.
    """
    table = group_summary(frames, by, metric, (50.0, 90.0, 99.0), trimmed=True)
    table = table.rename(columns={"p50": "median"})
    return table[[*by, *SUMMARY_COLUMNS, *STATUSES]]


def tier_summary(frames: DigestFrames) -> pd.DataFrame:
    """Warm-hit and cold-miss p50 per strategy × memory tier (the Overview's figure and verdict), like with
    like: within the one configuration that measured the most strategies × tiers (`like.configuration`), so
    an arm64, python3.9 or patch_all probe never moves another's figure or the verdict's ratio.

    Columns: strategy, memory_mb, metric, median, n; `attrs`: `configuration` (its values) and `left_out`
    (the probe keys measured in other configurations).
    """
    config = like.configuration(frames.stores)
    chosen = frames.stores_where(config.mask)
    parts = []
    for metric in METRICS:
        table = group_summary(chosen, ["strategy", "memory_mb"], metric, (50.0,))
        parts.append(table.assign(metric=metric).rename(columns={"p50": "median"}))
    out = pd.concat(parts, ignore_index=True)[["strategy", "memory_mb", "metric", "median", "n"]]
    out.attrs = {"configuration": config.values, "left_out": config.left_out}
    return out


def cold_miss_caveat(stores: pd.DataFrame) -> str | None:
    """What the cold-miss figures in view leave out or cannot tell, in a sentence (None: nothing to say).

    A digest written since the probe says how each miss was guaranteed counts the older rows whose first fetch
    may have been a cache hit (`cold_unknown`) and keeps them out of `cold_miss`; a digest from before that
    (`cold_unknown` <NA>) cannot tell, so its cold misses are shown as stored and said to be so.
    """
    if stores.empty or "cold_unknown" not in stores:
        return None
    unknown = stores["cold_unknown"]
    left_out = int(unknown.fillna(0).sum())
    unsplit = int(stores.loc[unknown.isna(), "cold_miss_n"].sum())
    said = []
    if left_out:
        said.append(
            f"{left_out:,} cold misses are left out: older rows whose first fetch may have been a cache hit "
            "(an extension probe in a warm environment, recorded before the probe said how its miss was "
            "guaranteed)"
        )
    if unsplit:
        said.append(
            f"{unsplit:,} cold misses come from days digested before hits inside the cache TTL could be told "
            "apart: shown as stored, some may have been hits"
        )
    return "; ".join(said) + "." if said else None


def one_store_each(frames: DigestFrames, metric: str = "init") -> DigestFrames:
    """For a metric of the invocation, not of a store (`init`: every row of a cold start carries the same
    INIT), one stores row per probe bucket, the one with the most samples of it: so a cold start counts once
    when stores are pooled. Other stores rows are dropped (their counts are not this metric's)."""
    _check_metric(metric)
    stores = frames.stores
    if stores.empty:
        return frames
    ranked = stores.sort_values([f"{metric}_n", "store"], ascending=[False, True], kind="stable")
    keep = ranked.drop_duplicates(["bucket", "hours", "probe_key"]).index
    return frames.stores_where(stores.index.isin(keep))


def status_counts(frames: DigestFrames) -> dict[str, int]:
    """How many rows are ok, error and failed."""
    return {s: int(frames.stores[s].sum()) if len(frames.stores) else 0 for s in STATUSES}


def bucket_of(range_days: float) -> str:
    """Trend points: hourly within a day, daily beyond (closed days are digested per day)."""
    return "hour" if range_days <= 1 else "day"


def _bucketed(stores: pd.DataFrame, bucket: str) -> pd.DataFrame:
    return stores.assign(point=stores["bucket"].dt.floor("1h" if bucket == "hour" else "1D"))


def latency_over_time(
    frames: DigestFrames,
    metric: str,
    q: float,
    bucket: str,
    band: tuple[float, float] = (10.0, 90.0),
    per_probe: bool = False,
) -> pd.DataFrame:
    """Long form: per strategy, tier and time bucket, the q-th percentile of `metric` and a spread band.

    Columns: strategy, memory_mb, bucket, value, low, high, n (and probe_key with `per_probe`). Warm hits pool
    every sample in the bucket of whatever probes ran in it: a probe joining moves the line (the change is
    listed, `probe_changes`); `per_probe` gives each probe's own series (what level shifts are found in).
    """
    if not 0 <= q <= 100 or not all(0 <= b <= 100 for b in band):
        raise StatsError(f"percentiles must be within 0-100, got {q} and {band}")
    ident = ["strategy", "memory_mb", *(["probe_key"] if per_probe else [])]
    columns = [*ident, "bucket", "value", "low", "high", "n"]
    pointed = DigestFrames(frames.probes, _bucketed(frames.stores, bucket), frames.bins)
    wanted = list(dict.fromkeys([q, band[0], band[1]]))  # p90 with a p10-p90 band: ask once
    table = group_summary(pointed, [*ident, "point"], metric, wanted)
    table = table[table["n"] > 0]
    if table.empty:
        return pd.DataFrame(columns=columns)
    out = table.assign(
        bucket=table["point"], value=table[f"p{q:g}"], low=table[f"p{band[0]:g}"], high=table[f"p{band[1]:g}"]
    )
    return out[columns].sort_values([*ident, "bucket"]).reset_index(drop=True)


def not_ok_over_time(frames: DigestFrames, bucket: str) -> pd.DataFrame:
    """Rows whose status is error or failed, per time bucket. Columns: bucket, status, count."""
    stores = _bucketed(frames.stores, bucket)
    long = stores.melt(id_vars=["point"], value_vars=list(NOT_OK), var_name="status", value_name="count")
    long = long[long["count"] > 0]
    out = long.groupby(["point", "status"], as_index=False)["count"].sum().rename(columns={"point": "bucket"})
    return out[["bucket", "status", "count"]]


def in_window(frames: DigestFrames, start: pd.Timestamp, end: pd.Timestamp) -> DigestFrames:
    """The buckets that start in [start, end)."""
    return frames.where(
        (frames.probes["bucket"] >= start) & (frames.probes["bucket"] < end),
        (frames.stores["bucket"] >= start) & (frames.stores["bucket"] < end),
    )


def probe_changes(probes: pd.DataFrame) -> pd.DataFrame:
    """Per probe, where a value that can explain a shift (runtime, Python, SDK, library, build, layer, CPU
    mode, the lab host's CPU; not the host's reference time, which every lab start measures anew) first
    appeared after another one, and where the probe itself joined or stopped reporting (field `probe`,
    `like.probe_events`: a new probe changes what a strategy × tier pools). A value seen for the first time
    with nothing before it (older rows did not record it; a new probe's own first values) is not a change.
    A change inside one bucket (both values seen that day) is found from when each value was first seen;
    `ts` is that time where the digest recorded it, else the bucket's start.
    Columns: ts, field, before, after, probe_key, strategy, memory_mb."""
    columns = ["ts", "field", "before", "after", "probe_key", "strategy", "memory_mb"]
    events = []
    ordered = probes.sort_values(["probe_key", "bucket"]) if len(probes) else probes
    for name in CHANGE_FIELDS:
        column, first_column = f"seen_{name}", f"first_{name}"
        if column not in ordered or ordered.empty:
            continue
        known = ordered[ordered[column].notna()]
        for probe, group in known.groupby("probe_key", sort=False):
            identity = {
                "field": name,
                "probe_key": probe,
                "strategy": group["strategy"].iloc[0],
                "memory_mb": int(group["memory_mb"].iloc[0]),
            }
            firsts = group[first_column] if first_column in group else [None] * len(group)
            previous: set[str] | None = None
            for bucket, seen, first in zip(group["bucket"], group[column], firsts, strict=True):
                values = set(str(seen).split("|"))
                when = _first_seen_times(values, first, bucket)
                if previous is None:  # the first bucket: only a change inside it, ordered by first sight
                    in_order = sorted(values, key=lambda v: (when[v], v))
                    for before, after in itertools.pairwise(in_order):
                        events.append({**identity, "ts": when[after], "before": before, "after": after})
                else:
                    for after in sorted(values - previous, key=lambda v: (when[v], v)):
                        before = ", ".join(sorted(previous - values) or sorted(previous))
                        events.append({**identity, "ts": when[after], "before": before, "after": after})
                previous = values
    joined = like.probe_events(probes)
    if not events:
        return joined[columns].reset_index(drop=True)
    found = pd.DataFrame(events)[columns]
    return pd.concat([found, joined[columns]], ignore_index=True) if len(joined) else found


def _first_seen_times(values: set[str], first: Any, bucket: pd.Timestamp) -> dict[str, pd.Timestamp]:
    """When each value was first seen in its bucket: the digest's record, or the bucket's start."""
    recorded = first if isinstance(first, dict) else {}
    return {v: pd.Timestamp(recorded[v]) if v in recorded else pd.Timestamp(bucket) for v in values}


def change_points(probes: pd.DataFrame) -> pd.DataFrame:
    """`probe_changes` merged across probes: one event per (field, before, after) at the earliest bucket it
    was seen in; probes that joined (or stopped) in the same bucket are one event naming them all.
    Columns: ts, field, before, after, probes."""
    columns = ["ts", "field", "before", "after", "probes"]
    ev = probe_changes(probes)
    if ev.empty:
        return pd.DataFrame(columns=columns)
    is_probe = ev["field"] == like.PROBE_FIELD
    merged = (
        ev[~is_probe]
        .groupby(["field", "before", "after"], sort=False)
        .agg(ts=("ts", "min"), probes=("probe_key", "nunique"))
        .reset_index()
    )
    joined = ev[is_probe].assign(joins=ev["before"] == NO_PROBE)
    for (ts, joins), group in joined.groupby(["ts", "joins"], sort=True):
        keys = ", ".join(sorted(group["probe_key"].astype(str)))
        before, after = (NO_PROBE, keys) if joins else (keys, NO_PROBE)
        event = {"ts": ts, "field": like.PROBE_FIELD, "before": before, "after": after, "probes": len(group)}
        merged = pd.concat([merged, pd.DataFrame([event])], ignore_index=True)
    return merged.sort_values("ts", kind="stable")[columns].reset_index(drop=True)


@dataclass(frozen=True)
class Distribution:
    """One strategy × tier's merged sketch of a metric: bin values and counts, ascending."""

    strategy: str
    memory_mb: int
    n: int
    values: np.ndarray
    counts: np.ndarray


def distributions(frames: DigestFrames, metric: str = "warm_hit") -> list[Distribution]:
    """Per strategy × tier, the merged sketch of `metric` (for ECDFs and histograms)."""
    _check_metric(metric)
    labels, _, lookup = _groups(frames.stores, ["strategy", "memory_mb"])
    merged = sketches.merge(frames.bins[metric], lookup, len(labels))
    out = []
    for g, label in enumerate(labels.itertuples(index=False)):
        values, counts = merged.slice(g)
        if counts.sum():
            out.append(
                Distribution(str(label.strategy), int(label.memory_mb), int(counts.sum()), values, counts)
            )
    return out
