"""Distributions: the warm-hit distribution per strategy × tier, where the 20 ms CFS steps show."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, labels, stats, ui

v = ui.view()
st.title("Distributions")
c1, c2 = st.columns([2, 1])
kind = c1.radio(
    "Show",
    ["ecdf", "histogram"],
    horizontal=True,
    key="dist_kind",
    format_func={"ecdf": "Cumulative (ECDF)", "histogram": "Histogram"}.get,
)
log_x = c2.toggle("Log latency axis (ECDF)", value=True, key="dist_log")
series = stats.distributions(v.frame, "warm_hit")
if not series:
    st.info("No warm hits in the selected rows.")
else:
    fig = charts.distribution_figure(series, kind=str(kind), log_x=log_x)
    st.plotly_chart(fig, width="stretch", key="dist_chart")
st.caption(
    "Every warm-hit sample in range, pooled per strategy and memory tier from the daily digests' sketches "
    "(bins 2 % wide: 0.4 ms at 20 ms); `sdk`'s are repeated API calls, not cache hits, and marked so. "
    "Lambda (and the lab) "
    "enforce the CPU quota per 20 ms CFS period: at low memory a hit that runs out of quota waits for the "
    "next period, so hits cluster at 20, 40, 60 ms (dotted lines): steps in the ECDF, spikes in the "
    "histogram."
)
if labels.has_aws_rows(v.frame.probes["environment"]):
    st.caption(
        "AWS rows: the 20 ms steps show in their latencies alone. The CFS throttling counts (throttled and "
        "total CFS periods, on the Runs page) are lab only: on AWS the function cannot read its CPU quota, "
        "so they are empty there (not measured), never 0."
    )
