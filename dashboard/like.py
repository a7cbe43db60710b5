"""Like with like: which probes a comparison may pool, and a change in which probes run as an event. Pure.

Pooled by strategy × tier, a figure moves when a probe joins or leaves even though no probe's own latency
moved (an arm64 probe at 30 ms joining an x86_64 one at 20 ms moves the extension's p50 +25 %). So:
- a probe that joins after the first bucket in view, or stops reporting before the last complete one, is a
  change event of its own (`probe_events`), listed beside the runtime, library and layer changes;
- two periods are compared over the probes present in both (`present`);
- strategies are set against each other within one configuration — architecture × runtime × tracing ×
  environment × region (`configuration`) — the one that covers the most strategies × tiers; the probes of
  other configurations are left out and named.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

NO_PROBE = "(none)"  # the `before` of a probe that joined, the `after` of one that stopped reporting
PROBE_FIELD = "probe"
CONFIGURATION = ("architecture", "runtime", "tracing", "environment", "region")
EVENT_COLUMNS = ["ts", "field", "before", "after", "probe_key", "strategy", "memory_mb"]
PREFERRED = {"architecture": "x86_64", "tracing": "subsegments"}  # a tie goes to today's default probe


def probe_events(probes: pd.DataFrame) -> pd.DataFrame:
    """Per probe, when it joined (its first bucket, when other probes reported before it) and when it stopped
    reporting (the first bucket after its last one, when that bucket is not the last: the last is still
    filling up). A probe present from the first bucket in view is no change: nothing is known before it.
    Columns: EVENT_COLUMNS (field `probe`; `before` NO_PROBE for a join, `after` NO_PROBE for a stop)."""
    if probes.empty:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    buckets = sorted(probes["bucket"].unique())
    first_bucket, last_bucket = buckets[0], buckets[-1]
    spans = probes.groupby("probe_key", sort=True).agg(
        first=("bucket", "min"),
        last=("bucket", "max"),
        strategy=("strategy", "first"),
        memory_mb=("memory_mb", "first"),
    )
    events = []
    for key, span in spans.iterrows():
        ident = {"field": PROBE_FIELD, "probe_key": key, "strategy": span["strategy"],
                 "memory_mb": int(span["memory_mb"])}  # fmt: skip
        if span["first"] > first_bucket:
            events.append({**ident, "ts": span["first"], "before": NO_PROBE, "after": str(key)})
        later = [b for b in buckets if b > span["last"]]
        if later and later[0] != last_bucket:
            events.append({**ident, "ts": later[0], "before": str(key), "after": NO_PROBE})
    if not events:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    return pd.DataFrame(events)[EVENT_COLUMNS]


def describe_event(field: str, before: str, after: str) -> str | None:
    """A probe event in words ("probe x joined", "probe x stopped reporting"); None for other fields."""
    if field != PROBE_FIELD:
        return None
    if before == NO_PROBE:
        return f"probe {after} joined"
    return f"probe {before} stopped reporting"


def measured(stores: pd.DataFrame, metric: str) -> set[str]:
    """Probe keys with at least one sample of `metric` in these stores rows."""
    if stores.empty:
        return set()
    return set(stores.loc[stores[f"{metric}_n"] > 0, "probe_key"].astype(str))


def present(now: pd.DataFrame, prev: pd.DataFrame, metric: str) -> set[str]:
    """The probe keys that measured `metric` in both periods: what a change between them may pool."""
    return measured(now, metric) & measured(prev, metric)


@dataclass(frozen=True)
class Configuration:
    """The configuration strategies are compared in: its values, the stores rows in it, what is left out."""

    values: dict[str, str]
    mask: pd.Series
    left_out: list[str]  # probe keys measured in other configurations


def configuration(stores: pd.DataFrame) -> Configuration:
    """The configuration (architecture × runtime × tracing × environment × region) that measured the most
    strategies × tiers (then: today's default architecture and tracing, then the most samples)."""
    columns = [c for c in CONFIGURATION if c in stores]
    everything = Configuration({}, pd.Series(True, index=stores.index), [])
    if stores.empty or not columns:
        return everything
    sampled = ((stores["cold_miss_n"] > 0) | (stores["warm_hit_n"] > 0)).to_numpy()
    if not sampled.any():
        return everything
    code = stores.groupby(columns, dropna=False, sort=False).ngroup().to_numpy()
    samples = stores["cold_miss_n"] + stores["warm_hit_n"]
    rows = stores[sampled].assign(_config=code[sampled], _samples=samples[sampled])
    ranked = []
    for config, group in rows.groupby("_config", sort=True):
        first = group.iloc[0]
        preferred = sum(str(first[c]) == v for c, v in PREFERRED.items() if c in group)
        cover = len(group[["strategy", "memory_mb"]].drop_duplicates())
        ranked.append((-cover, -preferred, -int(group["_samples"].sum()), int(config)))
    chosen = min(ranked)[3]
    mask = pd.Series(code == chosen, index=stores.index)
    first = rows.loc[rows["_config"] == chosen, columns].iloc[0]
    values = {c: "—" if pd.isna(v) else str(v) for c, v in first.items()}
    left_out = sorted(set(rows.loc[rows["_config"] != chosen, "probe_key"].astype(str)))
    return Configuration(values, mask, left_out)


def configuration_note(summary: pd.DataFrame) -> str:
    """What the Overview's figure and verdict compare (`stats.tier_summary`'s attrs), and what is left out."""
    values = summary.attrs.get("configuration") or {}
    left_out = summary.attrs.get("left_out") or []
    text = (
        "Median (p50) of every warm hit and every cold miss in range, per strategy and memory tier; both "
        "axes logarithmic. What each choice costs per million fetches: the Memory tiers page."
    )
    if values:
        text += f" Strategies are compared in one configuration: {' · '.join(values.values())}."
    if left_out:
        text += (
            f" Left out, measured in another configuration ({len(left_out)} probe(s)): "
            f"{', '.join(left_out)}; pick their architecture, runtime or tracing in the sidebar to read them."
        )
    return text
