"""Runtimes & tracing: what tracing costs (five modes, INIT included), and what a runtime upgrade changes,
each with the rest of the probe held equal (strategy, memory, architecture, store, and the other of the two);
each bar says which boto3 and strategy library its probes ran, and where those differ the page says so."""

from __future__ import annotations

import streamlit as st

from dashboard import compare, compare_charts, labels, libraries, tracing_cost, ui

v = ui.view()
st.title("Runtimes & tracing")
st.caption(
    f"{v.range_label}: {v.start:%Y-%m-%d} to {v.end:%Y-%m-%d %H:%M} UTC. Each bar pools every sample of "
    "probes equal in strategy, memory, architecture and store (and runtime, when comparing tracing; tracing, "
    "when comparing runtimes); percentiles from the daily digests' sketches, within 1 %."
)

# ---- What tracing costs
st.header("What tracing costs")
tracing_modes = compare.modes(v.frame, "tracing")
kept, left = tracing_cost.trusted(v.frame)
cost = tracing_cost.table(kept)
tracing = libraries.annotate(cost, kept, "tracing") if len(cost) else cost
sentence = tracing_cost.headline(cost)
if sentence:
    st.markdown(sentence)
elif len(cost):
    st.markdown(
        f"**At {tracing_cost.HEADLINE_MB} MB, the move from the X-Ray SDK to OpenTelemetry is not measured "
        "yet**: no probe group there measured an X-Ray SDK mode (subsegments, patch_all) and an "
        "OpenTelemetry mode (otel, adot) side by side."
    )
if tracing.empty:
    said = ", ".join(labels.tracing(m) for m in tracing_modes) or "none"
    st.info(
        f"**Nothing to compare yet**: the probes in view measured {said} "
        f"({len(tracing_modes)} tracing mode{'s' if len(tracing_modes) != 1 else ''}"
        f"{', never two on the same probe otherwise equal' if len(tracing_modes) > 1 else ''}). "
        "To see what tracing costs, add the other modes to the fleet catalogue's `tracing` list in "
        'Terraform: `tracing = ["off", "subsegments", "patch_all", "otel", "adot"]` in '
        "`terraform/envs/local` "
        "(the `fleet.tracing` of the `observatory` module on AWS). Each mode is a probe of its own (key "
        "suffix `-off`, `-patch_all`, `-otel`, `-adot`). Or clear the sidebar's Tracing filter."
    )
else:
    figure = compare_charts.comparison_figure(tracing, "tracing")
    st.plotly_chart(figure, width="stretch", key="tracing_chart")
    st.dataframe(tracing_cost.readable(tracing), hide_index=True, width="stretch")
left_line = tracing_cost.left_out_line(left)
if left_line:
    st.caption(left_line)
st.caption(
    f"**{labels.tracing('off')}**: the function's tracing is PassThrough and no tracing library is imported. "
    f"**{labels.tracing('subsegments')}**: the X-Ray SDK, one subsegment per cold miss and per warm series. "
    f"**{labels.tracing('patch_all')}**: the X-Ray SDK's `patch_all()` at INIT, so every `requests` and "
    f"botocore call is traced, as in the 2022 run. **{labels.tracing('otel')}**: the OpenTelemetry SDK set "
    "up by the probe at INIT (botocore and HTTP-client instrumentations, the probe's own spans, an OTLP "
    f"exporter). **{labels.tracing('adot')}**: AWS's distribution as its Lambda layer sets it up "
    "(`AWS_LAMBDA_EXEC_WRAPPER`, auto-instrumentation). INIT is the INIT phase of cold starts (docs/"
    "contract.md, `init_ms`). Differences and ratios are to tracing off in the same group (strategy, memory, "
    "architecture, store, runtime and environment) where it was measured, else to the least tracing measured."
)

# ---- Runtime upgrade
st.header("Runtime upgrade")
runtimes = compare.modes(v.frame, "runtime")
upgrade = libraries.annotate(compare.compare(v.frame, "runtime", tracing_cost.METRICS), v.frame, "runtime")
versions = compare.python_versions(v.frame.probes)
if upgrade.empty:
    said = ", ".join(runtimes) or "no runtime recorded"
    st.info(
        f"**Nothing to compare yet**: the probes in view ran on {said}"
        f"{' (never two on the same probe otherwise equal)' if len(runtimes) > 1 else ''}. To see what an "
        "upgrade changes, add runtimes to the fleet catalogue's `runtimes` list in Terraform, e.g. "
        '`runtimes = ["python3.9", "python3.11", "python3.13"]` in `terraform/envs/local` (the lab runs '
        "python3.9 to python3.13 with the interpreter found on the machine or through pyenv; on AWS only "
        "the runtimes Lambda still lets you create). Or clear the sidebar's Runtime filter."
    )
else:
    figure = compare_charts.comparison_figure(upgrade, "runtime")
    st.plotly_chart(figure, width="stretch", key="runtime_chart")
    st.dataframe(libraries.readable(upgrade, "runtime"), hide_index=True, width="stretch")
    if libraries.held_equal(upgrade) is False:
        st.warning(
            "**Not the interpreter alone**: in some groups the runtimes ran different library versions "
            "(each runtime's dependency set installs the newest releases that install for it; see the "
            "Libraries column), so a difference there is the runtime and its libraries together. The fleet "
            "cannot hold them equal today: the build installs `functions/probe/requirements/"
            "current-python3.9.txt` for python3.9 (the newest releases that still install there) and "
            "`current.txt` for the others."
        )
if versions:
    st.markdown(
        "**Python versions seen:** "
        + "; ".join(
            f"{runtime}: {', '.join(found)}"
            for runtime, found in sorted(versions.items(), key=lambda item: labels.runtime_order(item[0]))
        )
    )
st.caption(
    "Differences and ratios are to the oldest runtime of each group: what upgrading from it changes, with "
    "its libraries where they differ (the Libraries column: boto3 and the strategy's library its probes' "
    "rows recorded). A "
    "warm hit's CPU cost decides how many 20 ms CFS periods it spans at low memory, so an interpreter "
    "that does the same work with less CPU can move a hit down a whole period."
)
