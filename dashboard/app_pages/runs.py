"""Runs: the rows themselves, for a window you choose (read only for it), a page at a time, as CSV."""

from __future__ import annotations

import streamlit as st

from dashboard import breakdown, data, labels, ui
from datastore.vocabulary import STATUSES

PAGE_SIZE = 500
WINDOWS = {"Last hour": 1, "Last 6 hours": 6, "Last 24 hours": 24, "Last 3 days": 72, "Last 7 days": 168}
DEFAULT_WINDOW = "Last 24 hours"
FIRST = [
    "ts",
    "status",
    "probe_key",
    "strategy",
    "memory_mb",
    "store",
    "cold_miss_ms",
    "sign_cold_ms",
    "warm_p50_ms",
    "sign_warm_p50_ms",
    "warm_p90_ms",
    "warm_n",
    "error_types",
    "error_phase",
]

SIGN_NAMES = {
    "rows": "Rows",
    "sign_cold_share": "Signing share of the cold miss",
    "sign_warm_share": "Signing share of the warm p50",
}

v = ui.view()
st.title("Runs")
c1, c2, c3 = st.columns([1, 2, 2])
window = c1.selectbox("Rows of", list(WINDOWS), index=list(WINDOWS).index(DEFAULT_WINDOW), key="runs_window")
try:
    loaded = data.load_rows(v.settings, WINDOWS[str(window)])
except data.DataLoadError as err:
    ui.show_load_error(err)
    st.stop()
rows = loaded[ui.dimension_mask(loaded, v.picked)]
statuses = c2.multiselect(
    "Status",
    list(STATUSES),
    default=[],
    placeholder="All",
    key="runs_status",
    format_func=lambda s: labels.STATUS.get(s, s),
)
probes = c3.multiselect(
    "Probe", sorted(rows["probe_key"].unique()), default=[], placeholder="All", key="runs_probe"
)
if statuses:
    rows = rows[rows["status"].isin(statuses)]
if probes:
    rows = rows[rows["probe_key"].isin(probes)]
rows = rows.sort_values("ts", ascending=False)
counts = rows["status"].value_counts()
pages = max(1, -(-len(rows) // PAGE_SIZE))
page = int(st.number_input(f"Page (of {pages})", 1, pages, 1, key="runs_page")) if pages > 1 else 1
st.caption(
    f"{len(rows):,} rows ({str(window).lower()}, read for this page only): ok {counts.get('ok', 0)}, "
    f"error {counts.get('error', 0)}, failed {counts.get('failed', 0)}; newest first, {PAGE_SIZE} a page. "
    "Warm samples are in the CSV, summarised here."
)
shown = rows.drop(columns=["warm_ms"]).iloc[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
shown = shown[[c for c in FIRST if c in shown] + [c for c in shown.columns if c not in FIRST]]
cfs_names = labels.cfs_columns(rows["environment"])
st.dataframe(
    ui.human_columns(shown, cfs_names), hide_index=True, width="stretch", height=560, key="runs_table"
)
if (note := labels.cfs_note(rows["environment"])) is not None:
    st.caption(note)

signing = breakdown.signing_table(rows)
if not signing.empty:
    st.subheader("Signing inside the fetch")
    st.dataframe(ui.human_columns(signing, SIGN_NAMES), hide_index=True, width="stretch", key="runs_signing")
    st.caption(
        "Cloud Extensions is called with requests the function signs with SigV4 in its own process: "
        "per strategy, tier and store, over the rows of this window that timed it, the median whole "
        "fetch (signing included, as the function pays it and comparable with the extension's), the "
        "median signing inside it, and the signing's share of each row's fetch (median)."
    )

st.download_button(
    "Download these rows (CSV)",
    lambda: ui.rows_csv(rows),  # made only when clicked
    file_name="slo-rows.csv",
    mime="text/csv",
    key="runs_csv",
    on_click="ignore",
)
