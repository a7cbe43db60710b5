"""Runs: the rows behind every chart, filterable, with a CSV download."""

from __future__ import annotations

import streamlit as st

from collector.vocabulary import STATUSES
from dashboard import labels, ui

MAX_SHOWN = 5000
FIRST = [
    "ts",
    "status",
    "probe_key",
    "strategy",
    "memory_mb",
    "store",
    "cold_miss_ms",
    "warm_p50_ms",
    "warm_p90_ms",
    "warm_n",
    "error_types",
    "error_phase",
]

v = ui.view()
st.title("Runs")
c1, c2 = st.columns(2)
statuses = c1.multiselect(
    "Status",
    list(STATUSES),
    default=[],
    placeholder="All",
    key="runs_status",
    format_func=lambda s: labels.STATUS.get(s, s),
)
probes = c2.multiselect(
    "Probe", sorted(v.frame["probe_key"].unique()), default=[], placeholder="All", key="runs_probe"
)
rows = v.frame
if statuses:
    rows = rows[rows["status"].isin(statuses)]
if probes:
    rows = rows[rows["probe_key"].isin(probes)]
rows = rows.sort_values("ts", ascending=False)
counts = rows["status"].value_counts()
st.caption(
    f"{len(rows):,} rows ({v.range_label.lower()}): ok {counts.get('ok', 0)}, "
    f"error {counts.get('error', 0)}, failed {counts.get('failed', 0)}. "
    "Warm samples are in the CSV, summarised here."
)
shown = rows.drop(columns=["warm_ms"]).head(MAX_SHOWN)
shown = shown[[c for c in FIRST if c in shown] + [c for c in shown.columns if c not in FIRST]]
cfs_names = labels.cfs_columns(rows["environment"])
st.dataframe(
    ui.human_columns(shown, cfs_names), hide_index=True, width="stretch", height=560, key="runs_table"
)
if (note := labels.cfs_note(rows["environment"])) is not None:
    st.caption(note)
if len(rows) > MAX_SHOWN:
    st.caption(f"Showing the newest {MAX_SHOWN:,}; the CSV has all {len(rows):,}.")

st.download_button(
    "Download these rows (CSV)",
    lambda: ui.rows_csv(rows),  # made only when clicked
    file_name="slo-rows.csv",
    mime="text/csv",
    key="runs_csv",
    on_click="ignore",
)
