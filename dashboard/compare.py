"""Comparisons along one dimension of the fleet, the rest held equal: what tracing costs, what a runtime
upgrade changes; and what the lab host was. Pure (no Streamlit, no AWS), from `dashboard.digests` frames.

A probe is strategy × memory × architecture × runtime × tracing (issue 13). "What tracing costs" compares
the tracing modes of probes equal in everything else (and the store they read); "Runtime upgrade" compares
runtimes the same way. Percentiles come from merged sketches (`stats.group_summary`), within 1 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from . import labels, stats
from .digests import DigestFrames

Dimension = Literal["tracing", "runtime"]
HELD = ("strategy", "memory_mb", "architecture", "store")  # held equal in every comparison
OTHER: dict[str, str] = {"tracing": "runtime", "runtime": "tracing"}  # also held equal
COMPARE_COLUMNS = [
    *HELD,
    "held",  # the value of the other dimension (runtime when comparing tracing, and the reverse)
    "value",  # the value of the compared dimension
    "metric",
    "n",
    "p50",
    "p90",
    "baseline",  # the value this row is compared with (the group's first in `order`)
    "p50_diff",
    "p50_ratio",
    "p90_diff",
    "p90_ratio",
]
REPLAY_RUNTIME = "python3.9"  # the 2022 run's configuration, as `make up-2022` deploys it
REPLAY_TRACING = "patch_all"


def order(dimension: Dimension, values: object) -> list[str]:
    """Values of a dimension in reading order: tracing off → subsegments → patch_all (more tracing to the
    right), runtimes oldest first."""
    found = {str(v) for v in pd.Series(values, dtype=object).dropna()}
    if dimension == "tracing":
        known = [m for m in labels.TRACING if m in found]
        return known + sorted(found - set(known))
    return sorted(found, key=lambda r: (labels.runtime_order(r), r))


def modes(frames: DigestFrames, dimension: Dimension) -> list[str]:
    """The values of `dimension` that measured anything in these frames, in reading order."""
    stores = frames.stores
    if dimension not in stores or stores.empty:
        return []
    measured = stores[(stores["cold_miss_n"] > 0) | (stores["warm_hit_n"] > 0)]
    return order(dimension, measured[dimension])


METRIC_ORDER = ("warm_hit", "cold_miss", "init")  # how a group's metrics are listed


def compare(
    frames: DigestFrames, dimension: Dimension, metrics: Sequence[str] = stats.METRICS
) -> pd.DataFrame:
    """Warm-hit and cold-miss (and any other of `metrics`: `init`) p50 and p90 per probe group (strategy ×
    memory × architecture × store × the other dimension) and value of `dimension`, for the groups measured
    with at least two values; each with its difference (ms) and ratio to the group's baseline: its first
    value in `order` (tracing `off` when measured, else the least tracing; the oldest runtime). Columns:
    COMPARE_COLUMNS."""
    if frames.stores.empty or dimension not in frames.stores:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    measured = frames.stores_where(frames.stores["store"] != "none")  # a failed invocation has no store
    other = OTHER[dimension]
    by = [*HELD, other, dimension]
    parts = []
    for metric in metrics:
        table = stats.group_summary(measured, by, metric, (50.0, 90.0))
        table = table[table["n"] > 0]
        parts.append(table.assign(metric=metric)[[*by, "metric", "n", "p50", "p90"]])
    long = pd.concat(parts, ignore_index=True).rename(columns={other: "held", dimension: "value"})
    if long.empty:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    rank = {v: i for i, v in enumerate(order(dimension, long["value"]))}
    held_rank = {v: i for i, v in enumerate(order(other, long["held"]))}  # type: ignore[arg-type]
    long = long.assign(
        _rank=long["value"].map(rank),
        _held=long["held"].map(held_rank).fillna(len(held_rank)),  # None (not recorded): a group too, last
        _metric=long["metric"].map({m: i for i, m in enumerate(METRIC_ORDER)}).fillna(len(METRIC_ORDER)),
    )
    group = [*HELD, "_held", "_metric"]
    long = long[long.groupby(group, sort=False)["value"].transform("nunique") >= 2]
    if long.empty:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    long = long.sort_values([*group, "_rank"]).reset_index(drop=True)
    first = long.groupby(group, sort=False)[["value", "p50", "p90"]].transform("first")
    long["baseline"] = first["value"]
    for q in ("p50", "p90"):
        base = first[q].to_numpy(dtype=float)
        value = long[q].to_numpy(dtype=float)
        long[f"{q}_diff"] = value - base
        long[f"{q}_ratio"] = np.where(base > 0, value / np.where(base > 0, base, 1.0), np.nan)
    return long[COMPARE_COLUMNS].reset_index(drop=True)


def python_versions(probes: pd.DataFrame) -> dict[str, list[str]]:
    """Per runtime, the interpreters' full versions its rows recorded (`3.9.20`, …), sorted."""
    out: dict[str, set[str]] = {}
    if probes.empty or "runtime" not in probes or "seen_python_version" not in probes:
        return {}
    for runtime, seen in zip(probes["runtime"], probes["seen_python_version"], strict=True):
        if runtime is None or pd.isna(runtime) or seen is None or pd.isna(seen):
            continue
        out.setdefault(str(runtime), set()).update(str(seen).split("|"))
    return {r: sorted(v, key=labels.runtime_order) for r, v in out.items()}


def replay_mask(stores: pd.DataFrame) -> pd.Series:
    """Stores rows of probes in the 2022 run's configuration: runtime python3.9, tracing patch_all."""
    if stores.empty or "runtime" not in stores or "tracing" not in stores:
        return pd.Series(False, index=stores.index)
    return (stores["runtime"] == REPLAY_RUNTIME) & (stores["tracing"] == REPLAY_TRACING)


@dataclass(frozen=True)
class Ours:
    """The rows the Reference page sets beside the 2022 run, and whether they are the 2022 configuration's."""

    frames: DigestFrames
    replay: bool


def reference_rows(frames: DigestFrames) -> Ours:
    """Rows of probes in the 2022 configuration when any measured something, else every row."""
    mask = replay_mask(frames.stores)
    measured = (frames.stores["cold_miss_n"] > 0) | (frames.stores["warm_hit_n"] > 0) if len(mask) else mask
    if bool((mask & measured).any()):
        return Ours(frames.stores_where(mask), True)
    return Ours(frames, False)


@dataclass(frozen=True)
class ReferenceColdMisses:
    """Ours beside the 2022 run's cold miss: the first fetch in a fresh execution environment (a cold start),
    as `lab replay` takes it; and the cold misses left out, by reason."""

    table: pd.DataFrame  # strategy, memory_mb, n, min, median, mean, p90, max
    warm_environment: int  # cold misses of warm environments (after the TTL, or forced): another label
    unknown: int  # older rows' cold misses that may have been hits (`datastore.misses`)
    unsplit: int  # cold misses of digests written before the split: which were cold starts cannot be told


def reference_cold_misses(frames: DigestFrames) -> ReferenceColdMisses:
    """Per strategy × memory, the cold misses of cold starts (`cold_miss_cold_start`) of the digests that
    split them; the rest counted as left out."""
    stores = frames.stores
    columns = ["strategy", "memory_mb", "n", "min", "median", "mean", "p90", "max"]
    if stores.empty:
        return ReferenceColdMisses(pd.DataFrame(columns=columns), 0, 0, 0)
    split = stores["cold_unknown"].notna()
    table = stats.group_summary(
        frames.stores_where(split), ["strategy", "memory_mb"], "cold_miss_cold_start", (50.0, 90.0)
    )
    table = table[table["n"] > 0].rename(columns={"p50": "median"})[columns].reset_index(drop=True)
    both = stores[split]
    return ReferenceColdMisses(
        table=table,
        warm_environment=int((both["cold_miss_n"] - both["cold_miss_cold_start_n"]).sum()),
        unknown=int(both["cold_unknown"].sum()),
        unsplit=int(stores.loc[~split, "cold_miss_n"].sum()),
    )


def reference_left_out_lines(ours: ReferenceColdMisses) -> list[str]:
    """What the Reference page says about the cold misses it leaves out, and why (none: no line)."""

    def count(n: int) -> str:
        return f"{n} cold miss{'es' if n != 1 else ''}"

    lines = []
    if ours.warm_environment:
        lines.append(
            f"{count(ours.warm_environment)} of warm environments (the TTL had elapsed, or the "
            "strategy emptied its own cache): the 2022 figure is a fresh environment's first fetch"
        )
    if ours.unknown:
        lines.append(
            f"{count(ours.unknown)} of older rows that may have been a hit (the extension in a warm "
            "environment, before the probe recorded how a miss was guaranteed)"
        )
    if ours.unsplit:
        lines.append(
            f"{count(ours.unsplit)} in digests written before cold misses were split by cold start: "
            "which were cold starts, and which were hits inside the TTL, cannot be told"
        )
    return lines


@dataclass(frozen=True)
class HostSpeed:
    """How fast the lab hosts were: per CPU model, the reference workload's times seen (lab rows only)."""

    hosts: pd.DataFrame  # host_cpu, reference_ms_min, reference_ms_max, starts, last_seen
    lab_unrecorded: int  # lab probes with rows that recorded no host (from before it was recorded)
    aws: int  # AWS probes (no lab host to record)


def _times(seen: object) -> list[float]:
    """The reference times of a `seen_host_ref_ms` cell (`412.3|415.0`); what does not parse is left out."""
    if seen is None or (isinstance(seen, float) and np.isnan(seen)):
        return []
    out = []
    for text in str(seen).split("|"):
        try:
            out.append(float(text))
        except ValueError:
            continue
    return [t for t in out if np.isfinite(t)]


def host_speed(probes: pd.DataFrame) -> HostSpeed:
    """The CPU models and reference-workload times (ms, lower is faster) the lab's rows recorded."""
    columns = ["host_cpu", "reference_ms_min", "reference_ms_max", "starts", "last_seen"]
    if probes.empty:
        return HostSpeed(pd.DataFrame(columns=columns), 0, 0)
    env = probes["environment"]
    aws = int(probes.loc[env == "aws", "probe_key"].nunique())
    lab = probes[env == "lab"]  # a bucket of failed invocations only knows no environment, and no host
    nothing = pd.Series(None, index=lab.index, dtype=object)
    cpu, ref = lab.get("seen_host_cpu", nothing), lab.get("seen_host_ref_ms", nothing)
    records: dict[str, dict] = {}
    unrecorded: set[str] = set()
    for key, cpus, refs, last in zip(lab["probe_key"], cpu, ref, lab["last_ts"], strict=True):
        if cpus is None or pd.isna(cpus):
            unrecorded.add(str(key))
            continue
        times = _times(refs)
        for name in str(cpus).split("|"):
            entry = records.setdefault(name, {"times": set(), "last_seen": last})
            entry["times"].update(times)
            if pd.notna(last) and (pd.isna(entry["last_seen"]) or last > entry["last_seen"]):
                entry["last_seen"] = last
    rows = [
        {
            "host_cpu": name,
            "reference_ms_min": min(e["times"]) if e["times"] else None,
            "reference_ms_max": max(e["times"]) if e["times"] else None,
            "starts": len(e["times"]),
            "last_seen": e["last_seen"],
        }
        for name, e in sorted(records.items())
    ]
    return HostSpeed(pd.DataFrame.from_records(rows, columns=columns), len(unrecorded), aws)


def host_lines(host: HostSpeed) -> list[str]:
    """What the Reference page says about the host: one line per CPU model with its reference workload's
    time(s), and what recorded none ("not recorded": older lab rows, AWS rows)."""
    lines = []
    for h in host.hosts.itertuples(index=False):
        if h.starts == 0:
            speed = "reference workload not recorded"
        elif h.starts == 1:
            speed = f"reference workload **{h.reference_ms_min:.1f} ms**"
        else:
            speed = (
                f"reference workload **{h.reference_ms_min:.1f}–{h.reference_ms_max:.1f} ms** "
                f"({h.starts} lab starts)"
            )
        lines.append(f"- Lab host `{h.host_cpu}`: {speed}")
    missing = [
        *(
            [f"{host.lab_unrecorded} lab probe-day(s) from before the lab recorded it"]
            if host.lab_unrecorded
            else []
        ),
        *([f"AWS rows ({host.aws} probe-day(s)): no lab host"] if host.aws else []),
    ]
    if missing:
        lines.append(f"- Host CPU and reference workload **not recorded** for {' and '.join(missing)}.")
    return lines


def readable(table: pd.DataFrame, dimension: Dimension) -> pd.DataFrame:
    """A `compare` table with the names a user reads, one row per group, value and metric."""
    other = OTHER[dimension]
    name = labels.tracing if dimension == "tracing" else str
    other_name = labels.tracing if other == "tracing" else str
    out = pd.DataFrame(
        {
            "Strategy": table["strategy"].map(labels.strategy),
            "Memory (MB)": table["memory_mb"],
            "Architecture": table["architecture"],
            "Store": table["store"].map(labels.store),
            labels.COLUMNS[other]: table["held"].map(lambda v: other_name(v) if pd.notna(v) else "—"),
            "Latency": table["metric"].map(labels.METRIC),
            labels.COLUMNS[dimension]: table["value"].map(name),
            "Samples": table["n"],
            "p50 (ms)": table["p50"],
            "p90 (ms)": table["p90"],
            "Compared with": table["baseline"].map(name),
            "p50 difference (ms)": table["p50_diff"],
            "p50 ratio (×)": table["p50_ratio"],
            "p90 difference (ms)": table["p90_diff"],
            "p90 ratio (×)": table["p90_ratio"],
        }
    )
    return out.reset_index(drop=True)
