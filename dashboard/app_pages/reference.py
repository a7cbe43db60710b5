"""Reference: our measurements beside the 2022 reference run, its source and date shown; ours from the probes
in the 2022 configuration when there are any (python3.9, patch_all tracing), and how fast the lab host was."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import compare, compare_charts, data, labels, stats, ui
from dashboard.config import SEED_PATH

v = ui.view()
ref = data.reference_run()
env = ref["environment"]
st.title("Reference")
st.markdown(
    f"**The 2022 reference run** — measured {env['measured_at']} in {env['region']} on {env['runtime']}, "
    f"store {labels.store(env['store'])}, extension layer `{env['extension_layer']}`; HTTP client "
    f"{env['http_client']}; tracing {env['tracing']}."
)
st.caption(f"About this run: {ref['about']} (data: `docs/reference/{SEED_PATH.name}`)")

chosen = compare.reference_rows(v.frame.stores_where(v.frame.stores["store"] == env["store"]))
ours = chosen.frames
if chosen.replay:
    keys = sorted(ours.stores["probe_key"].unique())
    st.success(
        f"**Ours: the probes in the 2022 configuration** ({compare.REPLAY_RUNTIME}, tracing "
        f"{labels.tracing(compare.REPLAY_TRACING)}; {len(keys)} probe{'s' if len(keys) != 1 else ''}: "
        f"{', '.join(keys)}), as `make up-2022` deploys them in the lab. Other probes in view are left out "
        "here; the Runtimes & tracing page sets them side by side."
    )
else:
    st.info(
        "**Ours: every probe in view** (whatever its runtime and tracing): no probe in the 2022 "
        f"configuration ({compare.REPLAY_RUNTIME} with {labels.tracing(compare.REPLAY_TRACING)} tracing) "
        "measured in the selected range. `make up-2022` runs the lab with them as its fleet, and this page "
        "then compares those (`make replay` measures them once and prints the comparison)."
    )

st.subheader("How fast this host is")
used = v.frame.probes[v.frame.probes["probe_key"].isin(ours.stores["probe_key"].unique())]
host = compare.host_speed(used)
for line in compare.host_lines(host):
    st.markdown(line)
st.caption(
    "The lab times a fixed CPU-bound reference workload when it starts (lower is faster), and records it and "
    "the CPU model with every row. It is context, not a correction: no figure here or on any page is scaled "
    "by it. A hit's CPU cost decides how many 20 ms CFS periods it spans at 128 MB, so a faster host can "
    "land a step lower."
)

# Warm hits: every sample. Cold misses: a fresh environment's first fetch, as 2022 and `lab replay` take it.
cold = compare.reference_cold_misses(ours)
summaries = {
    "warm_hit": stats.group_summary(ours, ["strategy", "memory_mb"], "warm_hit", (50.0, 90.0))
    .rename(columns={"p50": "median"})
    .set_index(["strategy", "memory_mb"]),
    "cold_miss": cold.table.set_index(["strategy", "memory_mb"]),
}


def _ours(metric: str, strategy: str, memory_mb: int) -> dict:
    table = summaries[metric]
    if (strategy, memory_mb) not in table.index:
        return {"n": 0, "min": None, "median": None, "mean": None, "p90": None, "max": None}
    row = table.loc[(strategy, memory_mb)]
    return {
        "n": int(row["n"]),
        "min": row["min"],
        "median": row["median"],
        "mean": row["mean"],
        "p90": row["p90"],
        "max": row["max"],
    }


records = []
for entry in ref["warm_hit_ms"]:
    base = {"strategy": entry["strategy"], "memory_mb": entry["memory_mb"], "metric": "warm_hit"}
    records.append(
        {
            **base,
            "source": "2022 reference",
            "n": entry["n"],
            "min": entry["min"],
            "median": entry["median"],
            "mean": entry["mean"],
            "p90": entry["p90"],
            "max": entry["max"],
        }
    )
    records.append({**base, "source": "ours", **_ours("warm_hit", entry["strategy"], entry["memory_mb"])})
for entry in ref["cold_miss_ms"]:
    base = {"strategy": entry["strategy"], "memory_mb": entry["memory_mb"], "metric": "cold_miss"}
    records.append(
        {
            **base,
            "source": "2022 reference",
            "n": 1,
            "min": entry["ms"],
            "median": entry["ms"],
            "mean": entry["ms"],
            "p90": None,
            "max": entry["ms"],
        }
    )
    records.append({**base, "source": "ours", **_ours("cold_miss", entry["strategy"], entry["memory_mb"])})
comparison = pd.DataFrame.from_records(records)
missing = comparison[(comparison["source"] == "ours") & (comparison["n"] == 0)]
if len(missing):
    pairs = ", ".join(
        sorted({labels.series(s, m) for s, m in zip(missing["strategy"], missing["memory_mb"], strict=True)})
    )
    st.info(f"No rows of ours (store {labels.store(env['store'])}, selected range) for: {pairs}.")
st.plotly_chart(
    compare_charts.reference_figure(comparison.dropna(subset=["median"])), width="stretch", key="ref_chart"
)
for metric, title in (("warm_hit", "Warm hits"), ("cold_miss", "Cold misses")):
    part = comparison[comparison["metric"] == metric].copy()
    part["strategy"] = part["strategy"].map(labels.strategy)
    st.subheader(title)
    st.dataframe(
        part.drop(columns=["metric"]).rename(
            columns={
                "strategy": "Strategy",
                "memory_mb": "Memory (MB)",
                "source": "Run",
                "n": "Samples",
                "min": "Min (ms)",
                "median": "Median (ms)",
                "mean": "Mean (ms)",
                "p90": "p90 (ms)",
                "max": "Max (ms)",
            }
        ),
        hide_index=True,
        width="stretch",
    )
left_out = compare.reference_left_out_lines(cold)
if left_out:
    st.caption("Left out of our cold misses: " + "; ".join(left_out) + ".")
st.caption(
    "The reference cold misses are single invocations timed with X-Ray subsegments: the first fetch in a "
    f"fresh execution environment; its warm hits are {ref['warm_hit_method']}. Our cold misses are the "
    "same: the first fetch of each cold start in the selected range (the median when there are several, "
    "as `lab replay` prints it); our warm hits pool every invocation"
    + (" of the probes in the 2022 configuration." if chosen.replay else ".")
)
