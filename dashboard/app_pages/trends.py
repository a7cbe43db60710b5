"""Trends: cold-miss and warm-hit latency over time per strategy and tier, with spread and change markers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import breakdown, charts, labels, shifts, stats, ui

v = ui.view()
st.title("Trends")
c1, c2, c3 = st.columns([2, 2, 1])
metric = c1.radio(
    "Latency", list(stats.TREND_METRICS), format_func=labels.METRIC.get, horizontal=True, key="trend_metric"
)
q = c2.select_slider(
    "Percentile", options=[50, 75, 90, 95, 99], value=50, key="trend_q", format_func="p{}".format
)
log_y = c3.toggle("Log latency axis", value=True, key="trend_log")

bucket = stats.bucket_of((v.end - v.start) / pd.Timedelta(days=1))
frames = stats.one_store_each(v.frame) if metric == "init" else v.frame  # one INIT per cold start
series = stats.latency_over_time(frames, metric, float(q), bucket)
not_ok = stats.not_ok_over_time(v.frame, bucket)
changes = stats.change_points(v.frame.probes)
# Level shifts are looked for in each probe's daily series of closed days (today is still filling up).
found = shifts.find(frames, metric, float(q), until=v.end.floor("1D")) if bucket == "day" else shifts.empty()
if series.empty and metric == "init":
    st.info(
        "No INIT measured in this range: INIT is recorded on cold starts by probes built since issue 17 "
        "(`init_ms`); older rows and digests have none."
    )
elif series.empty:
    st.info(f"No {labels.METRIC[metric].lower()} measurements in this range (only failed rows).")
fig = charts.trend_figure(series, metric, float(q), not_ok=not_ok, changes=changes, log_y=log_y, shifts=found)
st.plotly_chart(fig, width="stretch", key="trend_chart")
span = "1 hour" if bucket == "hour" else "1 day"
st.caption(
    f"Each point is the p{q} of every {labels.METRIC[metric].lower()} sample in a {span} bucket (from the "
    "daily digests' sketches, within 1 %); the band spans p10 to p90. Bars below count rows whose status "
    "was error or failed. Triangles and dotted lines mark where a runtime, Python, SDK, library, build, "
    "extension layer, CPU emulation mode or lab host CPU first appeared (not the host's reference time, "
    "which every lab start measures anew), and where a probe joined or stopped reporting: a line pools "
    "whatever probes of its strategy × tier ran in each bucket, so it can move when a probe joins (an arm64 "
    "or python3.9 probe beside an x86_64 one) without any probe's own latency moving. Pick one architecture, "
    "runtime and tracing mode in the sidebar to follow like with like."
)
if metric == "init":
    st.caption(
        "INIT: the INIT phase of each cold start (docs/contract.md, `init_ms`), counted once per cold start "
        "(every store's row of a cold start carries the same INIT)."
    )
caveat = stats.cold_miss_caveat(v.frame.stores) if metric == "cold_miss" else None
if caveat:
    st.caption(caveat)
prefetch = breakdown.prefetch_note(v.frame) if metric == "cold_miss" else None
if prefetch:
    st.caption(prefetch)
st.subheader("Level shifts")
if bucket != "day":
    st.caption("Level shifts are looked for in the daily series of closed days: choose 7 days or more.")
elif found.empty:
    st.caption(
        f"No level shift in the daily p{q} of any probe in range (each probe's own series, so a probe "
        "joining or leaving is a change, not a shift; PELT on log latency, penalty 3 σ² ln n, shifts under "
        "10 % ignored; the dashboard README says why)."
    )
else:
    for sentence in shifts.explain(found, stats.probe_changes(v.dims.probes), float(q)):
        st.markdown(f"- {sentence}")
    st.caption(
        "Stars mark the first day of each new level, found in each probe's own daily series (named after "
        '"in"), so a probe joining or leaving is never a shift. Changes listed are those recorded by the '
        "same strategy × tier's probes that day or the day before (runtime, Python, boto3/botocore, the "
        "strategy's library, the probe build, the extension layer, the CPU emulation mode, the lab host CPU, "
        "a probe joining or stopping)."
    )
if len(changes):
    st.subheader("Changes")
    shown = changes.assign(
        field=changes["field"].map(charts.CHANGE_NAMES),
        before=changes["before"].replace(stats.NO_PROBE, "—"),
        after=changes["after"].replace(stats.NO_PROBE, "— (stopped reporting)"),
    )
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
