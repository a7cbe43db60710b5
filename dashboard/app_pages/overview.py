"""Overview: the answer first (latency per strategy × memory tier, and the verdict in a sentence), then fleet
health as a compact strip that opens when a probe is stale or failing, the headline, the reference tables."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import breakdown, charts, evidence, health, labels, like, moved, stats, ui, verdict

v = ui.view()
st.title("Overview")
st.caption(f"{v.range_label}: {v.start:%Y-%m-%d} to {v.end:%Y-%m-%d %H:%M} UTC")
st.caption(evidence.basis_sentence(evidence.rests_on(v.frame.stores)))

# ---- The answer: which strategy, at which memory size
tiers_summary = stats.tier_summary(v.frame)
said = verdict.sentence(tiers_summary)
if said:
    st.markdown(f"#### {said}")
st.plotly_chart(charts.tier_figure(tiers_summary), width="stretch", key="overview_tiers")
st.caption(like.configuration_note(tiers_summary))
caveat = stats.cold_miss_caveat(v.frame.stores)
if caveat:
    st.caption(caveat)
prefetch = breakdown.prefetch_note(v.frame)
if prefetch:
    st.caption(prefetch)

# ---- Fleet health: one strip; the details open by themselves when a probe is stale or failing. Two windows,
# each said: stale / failing are now (the last invocation); invocations and failures are the selected range's.
retire_after = pd.Timedelta(days=v.settings.retire_after_days)
fleet = health.fleet_health(v.dims.probes, v.frame.probes, ui.now_utc(), v.interval.seconds, retire_after)
rate = health.failure_rate(v.frame.probes)
stale_after = health.STALE_AFTER_INTERVALS
c1, c2, c3, c4 = st.columns(4)
c1.metric("Reporting now", f"{fleet.reporting} of {len(fleet.probes)}", help="Probes not stale")
c2.metric("Stale now", fleet.stale, help=f"No row for {stale_after:g} schedule intervals")
c3.metric("Failing now", fleet.failing, help="The last invocation was not ok")
c4.metric(
    f"Failure rate · {v.window}",
    "—" if rate is None else f"{rate:.1%}",
    help=f"Invocations not ok, {v.window}",
)
st.caption(
    f"Stale: no row for {stale_after:g} schedule intervals; schedule {v.interval.describe()}. "
    f"Invocations and failures: {v.window}."
)
retired = health.retired_note(fleet, v.settings.retire_after_days, v.window)
if retired:
    st.caption(retired)
failing, stale = fleet.failing, fleet.stale
trouble = (
    f"{failing} failing, {stale} stale now" if failing or stale else "every probe reporting, none failing"
)
with st.expander(f"Fleet health: {trouble}", expanded=bool(failing or stale)):
    for probe in fleet.probes[fleet.probes["failing"]].itertuples():
        st.error(
            f"Probe **{probe.probe_key}** is failing: its last invocation, at "
            f"{probe.last_ts:%Y-%m-%d %H:%M:%S} UTC, was **{probe.last_status}** "
            f"({probe.last_error_types or 'no error type'}); "
            f"{probe.not_ok} of {probe.invocations} invocations not ok, {v.window}."
        )
    for probe in fleet.probes[fleet.probes["stale"]].itertuples():
        st.warning(
            f"Probe **{probe.probe_key}** is stale: no row for {probe.age_s / 60:.0f} min "
            f"(schedule {v.interval.describe()})."
        )
    table = fleet.probes.assign(
        strategy=fleet.probes["strategy"].map(labels.strategy),
        age_min=(fleet.probes["age_s"] / 60).round(1),
        failure_rate=(fleet.probes["failure_rate"] * 100).round(1),
    )
    HEALTH_COLUMNS = {
        "probe_key": "Probe",
        "strategy": "Strategy",
        "memory_mb": "Memory (MB)",
        "architecture": "Architecture",
        "last_ts": "Last row (UTC)",
        "age_min": "Age (min)",
        "last_status": "Last status",
        "last_error_types": "Last errors",
        "invocations": f"Invocations · {v.window}",
        "not_ok": f"Not ok · {v.window}",
        "failure_rate": f"Failure rate (%) · {v.window}",
        "stale": "Stale now",
    }
    st.dataframe(table[list(HEALTH_COLUMNS)].rename(columns=HEALTH_COLUMNS), hide_index=True, width="stretch")

# ---- One tier, against the previous period
st.header("What moved")
tiers = sorted(int(t) for t in v.frame.stores["memory_mb"].unique())
tier = st.selectbox("Memory tier", tiers, format_func=labels.tier, key="overview_tier")
head = moved.headline(v.dims, int(tier), v.start, v.end)
prev_start, prev_end = moved.previous_window(v.start, v.end)
st.caption(
    moved.previous_note(head, v.range_label, prev_start, prev_end, v.loaded.first_day, v.settings.load_days)
)
for row in head.itertuples():
    cols = st.columns([2, 2, 2, 2])
    cols[0].markdown(f"**{labels.strategy(row.strategy)}**")
    for col, metric, cur, prev, same, change in (
        (cols[1], "cold_miss", row.cold_p50, row.cold_p50_prev, row.cold_p50_same, row.cold_change),
        (cols[2], "warm_hit", row.warm_p50, row.warm_p50_prev, row.warm_p50_same, row.warm_change),
    ):
        delta = None
        if change is not None and prev is not None:
            delta = f"{change:+.0%}: {ui.fmt_ms(prev)} → {ui.fmt_ms(same)}, same probes"
        col.metric(
            f"{labels.metric(metric, row.strategy)} p50", ui.fmt_ms(cur), delta=delta, delta_color="inverse"
        )
    joined = f"joined: {row.added}" if row.added else ""
    left = f"stopped: {row.removed}" if row.removed else ""
    cols[3].markdown(
        f"{row.invocations} invocations, {row.not_ok} not ok  \n"
        f"store rows: ok {row.ok} · error {row.error} · failed {row.failed}"
        + "".join(f"  \n{text}" for text in (joined, left) if text)
    )

# ---- The reference run's tables, reproduced from our rows
st.header("The reference run's tables, from our data")
st.caption(
    "Same columns as the 2022 run (min, max, mean, median, p90), for every strategy and tier in range. "
    "Warm hits pool every sample (`sdk` caches nothing: its warm samples are repeated API calls on a warm "
    "connection, marked so); error and failed rows are counted, not hidden. Min, max and mean are "
    "exact; percentiles come from the daily digests' sketches, within 1 %."
)
names = {
    "strategy": "Strategy",
    "memory_mb": "Memory (MB)",
    "n": "Samples",
    "min": "Min (ms)",
    "max": "Max (ms)",
    "mean": "Mean (ms)",
    "median": "Median (ms)",
    "p90": "p90 (ms)",
    "ok": "Ok rows",
    "error": "Error rows",
    "failed": "Failed rows",
}
shown = {}
for metric, title in (("warm_hit", "Warm hits"), ("cold_miss", "Cold misses")):
    table = stats.summarize(v.frame, ["strategy", "memory_mb"], metric)
    table["strategy"] = [labels.strategy(s) + labels.repeated(s, metric) for s in table["strategy"]]
    st.subheader(title)
    shown[title] = table[list(names)].rename(columns=names)
    st.dataframe(shown[title], hide_index=True, width="stretch")
st.download_button(
    "Download these tables (CSV)",
    lambda: evidence.tables_csv(shown),  # made only when clicked
    file_name="slo-summary.csv",
    mime="text/csv",
    key="overview_csv",
    on_click="ignore",
)
command = evidence.export_command(v.settings.table_name, v.start.date(), v.end.date(), ui.now_utc().date())
if command:
    st.caption(
        "For every row and daily digest of the closed days in range, as Parquet and CSV with each column's "
        f"unit (readable by pandas or DuckDB): `{command}`"
    )
