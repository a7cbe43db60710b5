"""Regions: the same strategy and tier, region against region, where the table holds more than one. Pure.

Several regions write to one home table (terraform/README.md, "Several regions"); every row says its `region`
and `environment`. A comparison sets regions side by side only within one environment and one configuration
(strategy × tier × architecture × runtime × tracing), so nothing but the region differs. The lab can play two
regions on its one endpoint, but every lab "region" runs on the same machine: its places are labelled as the
lab's, and the page says its differences are not AWS's. The 2022 reference run was measured once in
ap-northeast-1: that region is marked, and the run's own figure is set beside it as a row of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from dashboard import stats
from dashboard.digests import DigestFrames

LAB = "lab"
# What must be equal for two regions' figures to be compared: everything but the region.
SAME = ("strategy", "memory_mb", "architecture", "runtime", "tracing", "environment")
REFERENCE_ENVIRONMENT = "2022 reference"
COLUMNS = [*SAME, "region", "place", "n", "median", "p90", "vs_fastest"]


def place(environment: str, region: str, reference_region: str | None) -> str:
    """How a region is named on the page: the lab's marked as the lab's, the 2022 run's region marked."""
    if environment == LAB:
        return f"{region} (lab: this machine, not AWS's region)"
    if environment == REFERENCE_ENVIRONMENT:
        return f"{region} (the 2022 reference run: one run)"
    if region == reference_region:
        return f"{region} (AWS; the 2022 run's region)"
    return f"{region} ({environment.upper() if environment == 'aws' else environment})"


def places(stores: pd.DataFrame) -> pd.DataFrame:
    """The (environment, region) pairs in view, with how many probes each has. Columns: environment, region,
    probes. Rows without a region (older rows that lack one) are left out."""
    if stores.empty:
        return pd.DataFrame(columns=["environment", "region", "probes"])
    known = stores[stores["region"].notna() & (stores["region"].astype(str) != "")]
    table = known.groupby(["environment", "region"], sort=True)["probe_key"].nunique()
    return table.rename("probes").reset_index()


def comparable(stores: pd.DataFrame) -> bool:
    """Whether any environment in view holds more than one region (else there is nothing to compare)."""
    table = places(stores)
    return bool(len(table)) and bool((table.groupby("environment")["region"].nunique() > 1).any())


def comparison(frames: DigestFrames, metric: str, reference_region: str | None) -> pd.DataFrame:
    """Per configuration measured in two or more regions of one environment: each region's n, median and p90
    of `metric`, and its median over the fastest region's (`vs_fastest`, 1.0 for the fastest).

    Columns: COLUMNS, sorted by configuration then median."""
    stores = frames.stores
    known = stores["region"].notna() & (stores["region"].astype(str) != "") if len(stores) else None
    if known is None or not known.any():
        return pd.DataFrame(columns=COLUMNS)
    table = stats.group_summary(frames.stores_where(known), [*SAME, "region"], metric, (50.0, 90.0))
    table = table.rename(columns={"p50": "median"})
    table = table[table["n"] > 0]
    regions = table.groupby(list(SAME))["region"].transform("nunique")
    table = table[regions > 1].copy()
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    fastest = table.groupby(list(SAME))["median"].transform("min")
    table["vs_fastest"] = table["median"] / fastest
    pairs = zip(table["environment"], table["region"], strict=True)
    table["place"] = [place(e, r, reference_region) for e, r in pairs]
    return table.sort_values([*SAME, "median"]).reset_index(drop=True)[COLUMNS]


def reference_rows(
    reference: Mapping[str, Any], metric: str, shown: pd.DataFrame
) -> pd.DataFrame:
    """The 2022 reference run's figures for the strategies and tiers `shown` compares, as rows of their own
    (environment "2022 reference", its region), so the page can set them beside the regions. Its warm hit has
    n, median, p90; its cold miss is one invocation (n 1, its value as median, no p90)."""
    region = str(reference.get("environment", {}).get("region", ""))
    key = "warm_hit_ms" if metric == "warm_hit" else "cold_miss_ms" if metric == "cold_miss" else None
    if key is None or shown.empty or not region:
        return pd.DataFrame(columns=["strategy", "memory_mb", "region", "place", "n", "median", "p90"])
    wanted = set(zip(shown["strategy"], shown["memory_mb"], strict=True))
    rows: list[dict[str, Any]] = []
    for entry in reference.get(key, []):
        if (entry["strategy"], entry["memory_mb"]) not in wanted:
            continue
        single = "ms" in entry
        rows.append(
            {
                "strategy": entry["strategy"],
                "memory_mb": entry["memory_mb"],
                "region": region,
                "place": place(REFERENCE_ENVIRONMENT, region, region),
                "n": 1 if single else int(entry["n"]),
                "median": float(entry["ms"] if single else entry["median"]),
                "p90": None if single else float(entry["p90"]),
            }
        )
    return pd.DataFrame(rows, columns=["strategy", "memory_mb", "region", "place", "n", "median", "p90"])


def lab_note(environments: Sequence[str]) -> str | None:
    """What the page says when the lab's regions are compared: they are one machine, not AWS's regions."""
    if LAB not in set(environments):
        return None
    return (
        "The lab's regions are the lab's: every one runs on this machine against its one local endpoint, so "
        "their differences are the lab's run-to-run noise, never a difference between AWS's regions. Compare "
        "regions with rows from AWS (environment aws)."
    )


def figure(table: pd.DataFrame, reference: pd.DataFrame, metric: str) -> Any:
    """Median per region (bars to p90), one group per strategy and tier; the 2022 run's figures beside them in
    grey. `table`: `comparison`'s; `reference`: `reference_rows`'. Never calls Streamlit."""
    import plotly.graph_objects as go

    from dashboard import labels
    from dashboard.charts import METRIC_AXIS

    fig = go.Figure()
    parts: list[tuple[Any, pd.DataFrame, str | None]] = [
        (name, group, None) for name, group in table.groupby("place", sort=False)
    ]
    parts += [(name, group, "#7f7f7f") for name, group in reference.groupby("place", sort=False)]
    for name, group, hue in parts:
        p90 = group["p90"].astype(float).fillna(group["median"].astype(float))
        fig.add_trace(
            go.Bar(
                x=[labels.series(s, m) for s, m in zip(group["strategy"], group["memory_mb"], strict=True)],
                y=group["median"],
                name=str(name),
                marker_color=hue,
                error_y={"type": "data", "array": (p90 - group["median"]).tolist(), "thickness": 1},
            )
        )
    fig.update_yaxes(title_text=METRIC_AXIS[metric], type="log")
    fig.update_xaxes(title_text="Strategy · memory tier")
    fig.update_layout(title="Median latency per region (bars to p90)", barmode="group")
    return fig
