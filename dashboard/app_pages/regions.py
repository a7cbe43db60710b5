"""Regions: the same strategy at the same tier, region against region, where the table holds more than one
(several regions writing to one home table: terraform/README.md, "Several regions")."""

from __future__ import annotations

import streamlit as st

from dashboard import data, labels, regions, ui

v = ui.view()
st.title("Regions")
reference = data.reference_run()
reference_region = reference.get("environment", {}).get("region")
found = regions.places(v.frame.stores)
if not regions.comparable(v.frame.stores):
    pairs = zip(found["environment"], found["region"], strict=True)
    names = ", ".join(f"{region} ({environment})" for environment, region in pairs) or "none"
    st.info(
        f"One region per environment in the selected rows ({names}): nothing to compare. "
        '`make deploy-regions REGIONS="us-east-1 ap-northeast-1"` deploys the fleet to several regions, all '
        "writing to the first one's table."
    )
    st.stop()

st.caption(
    "Each region's own probes read their own region's secret and parameter; only the region differs between "
    "the bars of one group (same strategy, tier, architecture, runtime, tracing and environment). "
    f"{reference_region} is marked as the 2022 reference run's region; its one run is set beside it in grey."
)
for metric in ("warm_hit", "cold_miss"):
    st.header(labels.metric(metric))
    table = regions.comparison(v.frame, metric, reference_region)
    if table.empty:
        st.info(f"No {labels.metric(metric).lower()} measured in two regions of one configuration.")
        continue
    ref = regions.reference_rows(reference, metric, table)
    st.plotly_chart(regions.figure(table, ref, metric), width="stretch", key=f"regions_{metric}")
    note = regions.lab_note(table["environment"])
    if note:
        st.warning(note)
    shown = table.assign(
        strategy=table["strategy"].map(labels.strategy), memory_mb=table["memory_mb"].map(labels.tier)
    )
    st.dataframe(
        ui.human_columns(shown[["strategy", "memory_mb", "place", "n", "median", "p90", "vs_fastest"]]),
        hide_index=True,
        width="stretch",
    )
