"""Trends: cold-miss and warm-hit latency over time per strategy and tier, with spread and change markers."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, labels, stats, ui

v = ui.view()
st.title("Trends")
c1, c2, c3 = st.columns([2, 2, 1])
metric = c1.radio(
    "Latency", list(stats.METRICS), format_func=labels.METRIC.get, horizontal=True, key="trend_metric"
)
q = c2.select_slider(
    "Percentile", options=[50, 75, 90, 95, 99], value=50, key="trend_q", format_func="p{}".format
)
log_y = c3.toggle("Log latency axis", value=True, key="trend_log")

bucket = stats.bucket_size(v.end - v.start)
series = stats.latency_over_time(v.frame, metric, float(q), bucket)
bad = v.frame[v.frame["status"] != "ok"]
not_ok = (
    bad.assign(bucket=bad["ts"].dt.floor(bucket))
    .groupby(["bucket", "status"])
    .size()
    .rename("count")
    .reset_index()
)
changes = stats.change_points(v.frame)
if series.empty:
    st.info(f"No {labels.METRIC[metric].lower()} measurements in this range (only failed rows).")
fig = charts.trend_figure(series, metric, float(q), not_ok=not_ok, changes=changes, log_y=log_y)
st.plotly_chart(fig, width="stretch", key="trend_chart")
span = stats.describe_span(bucket)
st.caption(
    f"Each point is the p{q} of every {labels.METRIC[metric].lower()} sample in a {span} bucket; the band "
    "spans p10 to p90. Bars below count rows whose status was error or failed. Triangles and dotted lines "
    "mark where an extension layer, runtime or CPU emulation mode changed."
)
if len(changes):
    st.subheader("Changes")
    shown = changes.assign(field=changes["field"].map(charts.CHANGE_NAMES))
    st.dataframe(
        shown.rename(
            columns={
                "ts": "First seen (UTC)",
                "field": "What",
                "before": "Before",
                "after": "After",
                "probes": "Probes",
            }
        ),
        hide_index=True,
        width="stretch",
    )
