"""Pure statistics over the rows of contract §4: percentiles, trimmed means, fleet health, cost.

No Streamlit and no AWS here, so every number the dashboard shows can be unit-tested. Rows whose status is
`error` or `failed` are counted in every summary (columns `ok`, `error`, `failed`), never averaged away.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from collector.vocabulary import STATUSES, STRATEGIES

METRICS = ("cold_miss", "warm_hit")
CACHING_STRATEGIES = frozenset(STRATEGIES) - {"sdk"}  # every strategy but `sdk` keeps a cache
CHANGE_FIELDS = ("extension_layer", "runtime", "cpu_emulation")
SUMMARY_COLUMNS = ("n", "min", "max", "mean", "median", "p90", "p99", "trimmed_mean")


class StatsError(ValueError):
    """Bad input to a statistic (an unknown metric, a percentile outside 0-100)."""


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


def _flat(values: Iterable[Any]) -> np.ndarray:
    """Concatenate per-row sample lists (or arrays) into one float array."""
    parts = [v for v in values if v is not None and len(v)]
    if not parts:
        return np.empty(0)
    if all(isinstance(v, np.ndarray) for v in parts):
        return np.concatenate(parts).astype(float, copy=False)
    return np.fromiter(itertools.chain.from_iterable(parts), dtype=float)


def warm_samples(frame: pd.DataFrame) -> np.ndarray:
    """Every warm-hit sample of the rows, pooled (each row's `warm_ms` list)."""
    if frame.empty or "warm_ms" not in frame:
        return np.empty(0)
    return _array(_flat(frame["warm_ms"].to_numpy()))


def metric_values(frame: pd.DataFrame, metric: str) -> np.ndarray:
    """The latency samples of one metric: one cold miss per row, or all pooled warm hits."""
    if metric == "cold_miss":
        return (
            _array(frame["cold_miss_ms"].to_numpy(dtype=float, na_value=np.nan))
            if len(frame)
            else np.empty(0)
        )
    if metric == "warm_hit":
        return warm_samples(frame)
    raise StatsError(f"unknown metric {metric!r}; choose from {METRICS}")


def status_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many rows are ok, error and failed."""
    counts = frame["status"].value_counts() if len(frame) else pd.Series(dtype=int)
    return {name: int(counts.get(name, 0)) for name in STATUSES}


def summarize(frame: pd.DataFrame, by: Sequence[str], metric: str) -> pd.DataFrame:
    """One row per group: the latency summary of `metric` and the ok / error / failed row counts."""
    records = []
    if len(frame):
        for key, group in frame.groupby(list(by), sort=True, dropna=False):
            keys = key if isinstance(key, tuple) else (key,)
            records.append(
                {
                    **dict(zip(by, keys, strict=True)),
                    **describe(metric_values(group, metric)),
                    **status_counts(group),
                }
            )
    columns = [*by, *SUMMARY_COLUMNS, *STATUSES]
    return pd.DataFrame.from_records(records, columns=columns)


def describe_span(span: pd.Timedelta) -> str:
    """A bucket length as people say it: "30 min", "1 h", "1 day"."""
    minutes = int(span.total_seconds() // 60)
    if minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day" + ("s" if days > 1 else "")
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def bucket_size(span: pd.Timedelta, target_buckets: int = 60) -> pd.Timedelta:
    """A round time bucket giving about `target_buckets` points over `span`."""
    steps = ["1min", "5min", "15min", "30min", "1h", "3h", "6h", "12h", "1D", "7D"]
    for step in steps:
        if span / pd.Timedelta(step) <= target_buckets:
            return pd.Timedelta(step)
    return pd.Timedelta(steps[-1])


def latency_over_time(
    frame: pd.DataFrame,
    metric: str,
    q: float,
    bucket: pd.Timedelta,
    band: tuple[float, float] = (10.0, 90.0),
) -> pd.DataFrame:
    """Long form: per strategy, tier and time bucket, the q-th percentile of `metric` and a spread band.

    Columns: strategy, memory_mb, bucket, value, low, high, n. Warm hits pool every sample in the bucket.
    """
    columns = ["strategy", "memory_mb", "bucket", "value", "low", "high", "n"]
    if not 0 <= q <= 100 or not all(0 <= b <= 100 for b in band):
        raise StatsError(f"percentiles must be within 0-100, got {q} and {band}")
    if frame.empty:
        return pd.DataFrame(columns=columns)
    keys = ["strategy", "memory_mb", "bucket"]
    base = frame.assign(bucket=frame["ts"].dt.floor(bucket))
    codes = base.groupby(keys, sort=True).ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")
    labels_ = base[keys].iloc[order].drop_duplicates().reset_index(drop=True)
    if metric == "cold_miss":
        per_row = [[v] for v in base["cold_miss_ms"].to_numpy(dtype=float, na_value=np.nan)[order]]
    elif metric == "warm_hit":
        per_row = list(base["warm_ms"].to_numpy()[order])
    else:
        raise StatsError(f"unknown metric {metric!r}; choose from {METRICS}")
    # Rows sorted by group: each group's samples are one contiguous slice of the pooled array.
    lengths = np.fromiter(
        (len(v) if v is not None else 0 for v in per_row), dtype=np.int64, count=len(per_row)
    )
    values = _flat(per_row)
    group_of_sample = np.repeat(codes[order], lengths)
    keep = np.isfinite(values)
    values, group_of_sample = values[keep], group_of_sample[keep]
    bounds = np.searchsorted(group_of_sample, np.arange(len(labels_) + 1))
    records = []
    for g in range(len(labels_)):
        chunk = values[bounds[g] : bounds[g + 1]]
        if chunk.size:
            value, low, high = np.percentile(chunk, [q, band[0], band[1]])
            records.append((g, float(value), float(low), float(high), int(chunk.size)))
    if not records:
        return pd.DataFrame(columns=columns)
    found = pd.DataFrame.from_records(records, columns=["g", "value", "low", "high", "n"])
    return labels_.iloc[found["g"]].reset_index(drop=True).join(found.drop(columns="g"))[columns]


def infer_interval_seconds(frame: pd.DataFrame, default: float = 300.0) -> float:
    """The schedule interval seen in the rows: the median gap between a probe's consecutive invocations."""
    if frame.empty:
        return default
    starts = frame[["probe_key", "ts", "invocation_id"]].drop_duplicates(["probe_key", "invocation_id"])
    gaps = starts.sort_values("ts").groupby("probe_key")["ts"].diff().dropna().dt.total_seconds()
    gaps = gaps[gaps > 0]
    return float(gaps.median()) if len(gaps) else default


def fleet_health(
    frame: pd.DataFrame, now: pd.Timestamp, interval_seconds: float, stale_after_intervals: float = 2.5
) -> pd.DataFrame:
    """One row per probe: its last row, how old it is, whether it is stale, and its failure rate.

    A probe is stale when its last row is older than `stale_after_intervals` schedule intervals; failing when
    its last invocation was not ok.
    """
    columns = [
        "probe_key",
        "strategy",
        "memory_mb",
        "architecture",
        "environment",
        "last_ts",
        "age_s",
        "last_status",
        "last_error_types",
        "invocations",
        "not_ok",
        "failure_rate",
        "stale",
        "failing",
    ]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    bad_row = frame["status"] != "ok"
    per_inv = (
        frame.assign(bad=bad_row)
        .groupby(["probe_key", "invocation_id"], sort=False)
        .agg(ts=("ts", "min"), bad=("bad", "max"))
        .groupby(level="probe_key")
        .agg(invocations=("bad", "size"), not_ok=("bad", "sum"))
    )
    last_ts = frame.groupby("probe_key")["ts"].transform("max")
    last = frame[frame["ts"] == last_ts]
    records = []
    for probe, rows in last.groupby("probe_key", sort=True):
        bad_last = rows[rows["status"] != "ok"]
        last_status = (
            "failed" if (bad_last["status"] == "failed").any() else ("error" if len(bad_last) else "ok")
        )
        types = sorted({t for v in bad_last["error_types"].dropna() for t in str(v).split(",") if t})
        first = rows.iloc[0]
        age = (now - first["ts"]).total_seconds()
        invocations = int(per_inv.at[probe, "invocations"])
        not_ok = int(per_inv.at[probe, "not_ok"])
        records.append(
            {
                "probe_key": probe,
                "strategy": first["strategy"],
                "memory_mb": int(first["memory_mb"]),
                "architecture": first["architecture"],
                "environment": first["environment"],
                "last_ts": first["ts"],
                "age_s": age,
                "last_status": last_status,
                "last_error_types": ", ".join(types),
                "invocations": invocations,
                "not_ok": not_ok,
                "failure_rate": not_ok / invocations if invocations else 0.0,
                "stale": age > stale_after_intervals * interval_seconds,
                "failing": last_status != "ok",
            }
        )
    return pd.DataFrame.from_records(records, columns=columns)


def failure_rate(frame: pd.DataFrame) -> float | None:
    """Share of invocations with any row not ok; None without invocations."""
    if frame.empty:
        return None
    bad = frame.assign(bad=frame["status"] != "ok").groupby(["probe_key", "invocation_id"])["bad"].max()
    return float(bad.mean())


def headline(frame: pd.DataFrame, memory_mb: int, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per strategy at one tier: cold-miss and warm-hit p50 in [start, end) and in the period just before it.

    Columns: strategy, cold_p50, cold_p50_prev, warm_p50, warm_p50_prev, ok, error, failed.
    """
    span = end - start
    tier = frame[frame["memory_mb"] == memory_mb]
    now_rows = tier[(tier["ts"] >= start) & (tier["ts"] < end)]
    prev_rows = tier[(tier["ts"] >= start - span) & (tier["ts"] < start)]
    records = []
    for strategy in sorted(tier["strategy"].unique()):
        cur = now_rows[now_rows["strategy"] == strategy]
        prev = prev_rows[prev_rows["strategy"] == strategy]
        records.append(
            {
                "strategy": strategy,
                "cold_p50": percentile(metric_values(cur, "cold_miss"), 50),
                "cold_p50_prev": percentile(metric_values(prev, "cold_miss"), 50),
                "warm_p50": percentile(metric_values(cur, "warm_hit"), 50),
                "warm_p50_prev": percentile(metric_values(prev, "warm_hit"), 50),
                **status_counts(cur),
            }
        )
    columns = ["strategy", "cold_p50", "cold_p50_prev", "warm_p50", "warm_p50_prev", *STATUSES]
    return pd.DataFrame.from_records(records, columns=columns)


def change_points(frame: pd.DataFrame) -> pd.DataFrame:
    """Where a probe's extension layer, runtime or CPU emulation mode changed between consecutive rows.

    Changes that happen to several probes are merged into one event at the earliest time it was seen.
    Columns: ts, field, before, after, probes.
    """
    columns = ["ts", "field", "before", "after", "probes"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    # A failed invocation's row carries no runtime, layer or CPU mode: only rows that say one count.
    ordered = frame[frame["status"] != "failed"].sort_values(["probe_key", "ts"])
    events = []
    for field in CHANGE_FIELDS:
        known = ordered[ordered[field].notna() & (ordered[field].astype(str) != "")]
        values = known[field].astype(str)
        previous = values.groupby(known["probe_key"]).shift()
        changed = previous.notna() & (values != previous)
        for idx in known.index[changed.to_numpy()]:
            events.append(
                {
                    "ts": known.at[idx, "ts"],
                    "field": field,
                    "before": previous[idx],
                    "after": values[idx],
                    "probe": known.at[idx, "probe_key"],
                }
            )
    if not events:
        return pd.DataFrame(columns=columns)
    ev = pd.DataFrame(events)
    merged = ev.groupby(["field", "before", "after"], sort=False).agg(
        ts=("ts", "min"), probes=("probe", "nunique")
    )
    return merged.reset_index().sort_values("ts")[columns].reset_index(drop=True)


@dataclass(frozen=True)
class PriceTable:
    """The list prices an estimate uses, and where they come from."""

    gb_second: dict[str, float]
    secretsmanager_per_10k: float
    ssm_per_10k: float
    about: str

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PriceTable:
        """Read `docs/reference/prices-us-east-1.json`'s structure."""
        try:
            return cls(
                gb_second={k: float(v) for k, v in doc["lambda"]["gb_second"].items()},
                secretsmanager_per_10k=float(doc["secretsmanager"]["api_calls_per_10k"]),
                ssm_per_10k=float(doc["ssm_parameter_store"]["standard_api_calls_per_10k"]),
                about=str(doc.get("about", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StatsError(f"price table is missing or has a bad field: {exc}") from exc


def miss_fraction(strategy: str, fetches_per_second: float, cache_ttl_seconds: float) -> float:
    """Share of fetches that miss the cache in one warm execution environment at a steady call rate.

    `sdk` has no cache (every fetch is a call); a caching strategy refreshes once per TTL at most.
    """
    if fetches_per_second <= 0 or cache_ttl_seconds <= 0:
        raise StatsError("call rate and cache TTL must be positive")
    if strategy not in CACHING_STRATEGIES:
        return 1.0
    return min(1.0, 1.0 / (fetches_per_second * cache_ttl_seconds))


def lambda_usd_per_million(
    duration_ms: float, memory_mb: float, architecture: str, prices: PriceTable
) -> float:
    """Lambda compute cost of a million fetches of `duration_ms` each: GB-seconds at the list price."""
    try:
        price = prices.gb_second[architecture]
    except KeyError as exc:
        raise StatsError(f"no GB-second price for architecture {architecture!r}") from exc
    return 1e6 * (duration_ms / 1000.0) * (memory_mb / 1024.0) * price


def api_usd_per_million(calls_per_fetch: float, store: str, prices: PriceTable) -> float:
    """API cost of a million fetches: Secrets Manager is billed per 10k calls; SSM standard calls are free."""
    per_10k = {"secretsmanager": prices.secretsmanager_per_10k, "ssm": prices.ssm_per_10k}.get(store)
    if per_10k is None:
        raise StatsError(f"no API price for store {store!r}")
    return 1e6 * calls_per_fetch * per_10k / 1e4


def cost_table(
    frame: pd.DataFrame, prices: PriceTable, fetches_per_second: float, cache_ttl_seconds: float
) -> pd.DataFrame:
    """Estimated cost per million fetches for each strategy × tier × architecture × store in the rows.

    The expected fetch time mixes the measured mean cold miss and mean warm hit by the miss fraction. API
    calls per miss are the measured `api_calls` of an invocation (its one miss; `sdk`: calls per fetch
    measured over the invocation); the extension's calls happen outside the function and are not counted,
    so one per miss is assumed. Columns: strategy, memory_mb, architecture, store, expected_ms,
    miss_fraction, api_calls_per_fetch, lambda_usd, api_usd, total_usd (USD per million fetches),
    n_invocations.
    """
    columns = [
        "strategy",
        "memory_mb",
        "architecture",
        "store",
        "expected_ms",
        "miss_fraction",
        "api_calls_per_fetch",
        "lambda_usd",
        "api_usd",
        "total_usd",
        "n_invocations",
    ]
    rows = frame[frame["store"].isin(["secretsmanager", "ssm"])] if len(frame) else frame
    records = []
    if len(rows):
        for (strategy, memory_mb, arch, store), group in rows.groupby(
            ["strategy", "memory_mb", "architecture", "store"], sort=True
        ):
            cold = metric_values(group, "cold_miss")
            warm = metric_values(group, "warm_hit")
            if not cold.size and not warm.size:
                continue
            miss = miss_fraction(str(strategy), fetches_per_second, cache_ttl_seconds)
            cold_mean = float(cold.mean()) if cold.size else float(warm.mean())
            warm_mean = float(warm.mean()) if warm.size else cold_mean
            if strategy in CACHING_STRATEGIES:
                expected = miss * cold_mean + (1 - miss) * warm_mean
                calls = group["api_calls"].dropna().astype(float)
                per_miss = float(calls.mean()) if len(calls) else 1.0
                calls_per_fetch = miss * per_miss
            else:
                # No cache: the steady state is the repeated call on a reused client.
                expected = warm_mean
                measured = group.dropna(subset=["api_calls"])
                fetches = (measured["warm_n"].astype(float) + 1).sum()
                calls_per_fetch = (
                    float(measured["api_calls"].astype(float).sum() / fetches) if fetches else 1.0
                )
            lam = lambda_usd_per_million(expected, float(memory_mb), str(arch), prices)
            api = api_usd_per_million(calls_per_fetch, str(store), prices)
            records.append(
                {
                    "strategy": strategy,
                    "memory_mb": int(memory_mb),
                    "architecture": arch,
                    "store": store,
                    "expected_ms": expected,
                    "miss_fraction": miss,
                    "api_calls_per_fetch": calls_per_fetch,
                    "lambda_usd": lam,
                    "api_usd": api,
                    "total_usd": lam + api,
                    "n_invocations": int(group["invocation_id"].nunique()),
                }
            )
    return pd.DataFrame.from_records(records, columns=columns)


def best_choices(costs: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The cheapest and the fastest row of a cost table (ties: the smaller memory), or {} when empty."""
    if costs.empty:
        return {}
    cheapest = costs.sort_values(["total_usd", "memory_mb"]).iloc[0]
    fastest = costs.sort_values(["expected_ms", "memory_mb"]).iloc[0]
    return {"cheapest": cheapest.to_dict(), "fastest": fastest.to_dict()}


def ecdf(values: Iterable[Any], max_points: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Sorted values and their cumulative share (0-1], thinned to at most `max_points` for drawing."""
    arr = np.sort(_array(values))
    if not arr.size:
        return arr, arr
    share = np.arange(1, arr.size + 1) / arr.size
    if arr.size > max_points:
        idx = np.unique(np.linspace(0, arr.size - 1, max_points).round().astype(int))
        return arr[idx], share[idx]
    return arr, share
