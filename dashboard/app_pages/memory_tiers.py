"""Memory tiers: latency against memory, and the estimated cost per million fetches at a given call rate."""

from __future__ import annotations

import streamlit as st

from dashboard import breakdown, charts, cost_model, data, labels, stats, ui
from dashboard.config import PRICES_PATH

v = ui.view()
st.title("Memory tiers")
tiers = v.frame.stores["memory_mb"].nunique()
if tiers < 2:
    st.info("Only one memory tier in the selected rows: add tiers to the fleet (or clear the tier filter).")

left, right = st.columns(2)
for col, metric in ((left, "cold_miss"), (right, "warm_hit")):
    summary = stats.summarize(v.frame, ["strategy", "memory_mb"], metric)
    col.plotly_chart(charts.memory_figure(summary, metric), width="stretch", key=f"memory_{metric}")
st.caption("Both axes are logarithmic: memory sizes and latencies each span orders of magnitude.")
caveat = stats.cold_miss_caveat(v.frame.stores)
if caveat:
    st.caption(caveat)
prefetch = breakdown.prefetch_note(v.frame)
if prefetch:
    st.caption(prefetch)

st.header("What each choice costs")
c1, c2, c3, c4 = st.columns(4)
rate = c1.number_input(
    "Your call rate: fetches per second, per execution environment",
    min_value=0.001,
    max_value=100_000.0,
    value=1.0,
    step=0.5,
    format="%g",
    key="cost_rate",
)
ttl = c2.number_input(
    "Cache TTL of the caching strategies (s)",
    min_value=1,
    max_value=86_400,
    value=v.settings.cache_ttl_fleet_seconds,
    step=30,
    key="cost_ttl",
)
boundary = c3.number_input(
    "Idle gap after which an API call costs a first call (s)",
    min_value=0.0,
    max_value=86_400.0,
    value=cost_model.DEFAULT_IDLE_BOUNDARY_S,
    step=5.0,
    format="%g",
    key="cost_idle_boundary",
    help="Not documented for Secrets Manager or SSM: an assumption (docs/reference/api-call-latency.md).",
)
changes = c4.number_input(
    "Secret changes per day (caching library, Cloud Extensions)",
    min_value=0.0,
    max_value=1_000_000.0,
    value=0.0,
    step=1.0,
    format="%g",
    key="cost_changes",
)
prices = cost_model.PriceTable.from_json(data.price_table())
costs = cost_model.cost_table(v.frame, prices, float(rate), float(ttl), float(boundary), float(changes))
if costs.empty:
    st.info("No measured fetches in the selected rows to estimate a cost from.")
else:
    best = cost_model.best_choices(costs)

    def name(choice: dict) -> str:
        return (
            f"{labels.strategy(choice['strategy'])} at {labels.tier(choice['memory_mb'])} "
            f"({choice['architecture']}, {labels.store(choice['store'])})"
        )

    cheap, fast = best["cheapest"], best["fastest"]
    st.success(
        f"At {rate:g} fetches/s: **cheapest** is {name(cheap)}, ${cheap['total_usd']:.4g} per million "
        "fetches; "
        f"**fastest** is {name(fast)}, {ui.fmt_ms(fast['expected_ms'])} per fetch on average."
    )
    st.plotly_chart(
        charts.cost_figure(costs, float(rate), PRICES_PATH.name), width="stretch", key="cost_chart"
    )
    shown = costs.assign(
        strategy=costs["strategy"].map(labels.strategy),
        miss_measured_by=costs["miss_measured_by"].map(labels.strategy),
        store=costs["store"].map(labels.store),
        miss_fraction=(costs["miss_fraction"] * 100),
        first_call_share=(costs["first_call_share"] * 100),
    )
    st.dataframe(
        shown.rename(
            columns={
                "strategy": "Strategy",
                "memory_mb": "Memory (MB)",
                "architecture": "Architecture",
                "store": "Store",
                "expected_ms": "Expected fetch (ms)",
                "miss_fraction": "Fetches that call AWS (%)",
                "call_gap_s": "Gap between API calls (s)",
                "first_call_share": "Calls after an idle gap (%)",
                "hot_call_measured": "Hot call measured (sdk probe here)",
                "miss_measured_by": "Call priced at the cold miss of",
                "api_calls_per_fetch": "API calls per fetch",
                "lambda_usd": "Lambda GB-s (USD/M)",
                "api_usd": "API calls (USD/M)",
                "total_usd": "Total (USD per million fetches)",
                "start_calls": "API calls per environment start",
                "start_usd": "Per environment start (USD)",
                "n_invocations": "Invocations measured",
            }
        ),
        hide_index=True,
        width="stretch",
    )
    unmeasured = int((~costs["hot_call_measured"]).sum())
    if unmeasured:
        st.caption(
            f"{unmeasured} of {len(costs)} rows have no `sdk` probe at their tier × architecture × store: no"
            " hot-call figure there, so their API calls are all priced as measured, after an idle gap."
        )
st.caption(
    f"**An estimate**, from the list prices in `docs/reference/{PRICES_PATH.name}` (us-east-1, USD; "
    "AWS changes prices). **One latency model for every strategy**: fetches come evenly spaced at your call "
    "rate in one execution environment; `sdk` calls AWS on every fetch, a cache on its first fetch past the "
    "TTL, the caching library at its refresh, drawn between half the TTL and the TTL (one DescribeSecret, "
    f"plus GetSecretValue when the secret changed: {changes:g} changes a day assumed; the probe's two calls "
    "per miss come from the fresh cache it builds). An API call after an idle gap longer than the boundary "
    f"({boundary:g} s: an assumption, see `docs/reference/api-call-latency.md`) costs a first call "
    "(the strategy's measured cold miss); one inside it costs the hot-connection call "
    "(the cold miss less what a first call costs `sdk` over its back-to-back calls at the same tier × "
    "architecture × store). Per fetch: the expected fetch time × memory × the GB-second price, plus the API "
    "calls (Secrets Manager $0.05 per 10,000; SSM standard parameters free). The extension's calls happen "
    "outside the function and are not counted by the probe, so one per cache miss is assumed. Cloud "
    "Extensions revalidates a secret after the TTL with one DescribeSecret (GetSecretValue only when it "
    "changed) and reads a parameter again with one call; its prefetch variant's first fetch is a hit, so "
    "its calls are priced at the cold miss Cloud Extensions measured without prefetch, and the "
    "BatchGetSecretValue it makes at each execution environment start is shown per start, apart from "
    "the cost per fetch (one environment in a steady state has no starts). Lambda's "
    "per-request charge and free tier are left out: they do not depend on the strategy."
)
