"""Pure Plotly figure builders: long-form DataFrames in, figures out. Never calls Streamlit.

Every axis carries its unit; legends use the names a user reads (see `labels`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import labels, like, sketches, stats

PALETTE = {
    "extension": "#d62728",
    "sdk": "#1f77b4",
    "dict": "#2ca02c",
    "caching_lib": "#9467bd",
    "powertools": "#ff7f0e",
    "cloud_extensions": "#17becf",
}
VARIANT_PALETTE = {"cloud_extensions_prefetch": "#8c564b"}  # variants shown as strategies (`variants`)
TIER_DASH = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
STATUS_COLOR = {"error": "#ff7f0e", "failed": "#d62728"}
CFS_PERIOD_MS = 20.0
CHANGE_NAMES = {
    "runtime": "runtime",
    "python_version": "Python",
    "boto3_version": "boto3",
    "botocore_version": "botocore",
    "library_version": "strategy library",
    "build_digest": "probe build",
    "tracing_version": "tracing library",
    "extension_layer": "extension layer",
    "cpu_emulation": "CPU emulation",
    "host_cpu": "lab host CPU",
    "probe": "probe",
}
METRIC_AXIS = {
    "cold_miss": "Cold-miss latency (ms)",
    "warm_hit": "Warm-hit latency (ms)",
    "init": "INIT (ms)",
}


def color(strategy: str) -> str:
    """The strategy's colour, the same on every chart."""
    return PALETTE.get(strategy) or VARIANT_PALETTE.get(strategy, "#7f7f7f")


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _dash_for_tiers(tiers: Sequence[int]) -> dict[int, str]:
    return {t: TIER_DASH[i % len(TIER_DASH)] for i, t in enumerate(sorted(set(tiers)))}


def _memory_ticks(fig: go.Figure, tiers: Sequence[int]) -> None:
    """Tick marks at the memory tiers measured (a log axis otherwise labels 2, 3, ... between them)."""
    values = sorted({int(t) for t in tiers})
    if values:
        fig.update_xaxes(tickvals=values, ticktext=[str(v) for v in values])


def empty_figure(message: str) -> go.Figure:
    """A blank figure that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def plotly_times(times: pd.Series) -> list[str]:
    """Timestamps as the text plotly writes for them (`isoformat`). The figure's JSON is the same, but plotly
    copies and checks text far faster than Timestamps: at 90 days × 40 probes the trend figure took 0.2-0.3 s
    to build and 0.15 s to write with Timestamps, 0.12-0.18 s and 0.04 s with their text."""
    return [t.isoformat() for t in times]


def trend_figure(
    series: pd.DataFrame,
    metric: str,
    q: float,
    not_ok: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
    log_y: bool = True,
    shifts: pd.DataFrame | None = None,
) -> go.Figure:
    """Latency over time: the q-th percentile per strategy and tier, a p10-p90 band, change markers.

    `series` is `stats.latency_over_time` output; `not_ok` has columns bucket, status, count (drawn as bars
    under the chart so failures stay visible); `changes` is `stats.change_points` output; `shifts` is
    `shifts.level_shifts` output, drawn as stars on the first day of each new level.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.8, 0.2], vertical_spacing=0.06)
    # Built from plain dicts without plotly's per-property validation: 40 probes × 90 days are 80 traces,
    # and validating each costs more than everything the page computes (the traces are checked by tests).
    fig._validate = False
    dashes = _dash_for_tiers(series["memory_mb"].astype(int).tolist()) if len(series) else {}
    lines: list[dict] = []
    for (strategy, memory_mb), group in series.groupby(["strategy", "memory_mb"], sort=True):
        group = group.sort_values("bucket")
        name = labels.series(strategy, memory_mb, metric)
        base = color(str(strategy))
        buckets = plotly_times(group["bucket"])
        lines.append(
            {
                "type": "scatter",
                "x": buckets + buckets[::-1],
                "y": list(group["high"]) + list(group["low"])[::-1],
                "fill": "toself",
                "fillcolor": _rgba(base, 0.12),
                "line": {"width": 0},
                "hoverinfo": "skip",
                "name": f"{name} p10-p90",
                "legendgroup": name,
                "showlegend": False,
            }
        )
        lines.append(
            {
                "type": "scatter",
                "x": buckets,
                "y": list(group["value"]),
                "mode": "lines+markers",
                "name": name,
                "legendgroup": name,
                "line": {"color": base, "dash": dashes.get(int(memory_mb), "solid")},
                "marker": {"size": 4},
                "customdata": group[["low", "high", "n"]].to_numpy().tolist(),
                "hovertemplate": (
                    f"{name}<br>%{{x|%Y-%m-%d %H:%M}} UTC<br>p{q:g}: %{{y:.4g}} ms<br>"
                    "p10-p90: %{customdata[0]:.4g}-%{customdata[1]:.4g} ms<br>samples: %{customdata[2]}"
                    "<extra></extra>"
                ),
            }
        )
    if lines:
        fig.add_traces(lines, rows=[1] * len(lines), cols=[1] * len(lines))
    if not_ok is not None and len(not_ok):
        for status, group in not_ok.groupby("status", sort=True):
            fig.add_trace(
                go.Bar(
                    x=group["bucket"],
                    y=group["count"],
                    name=f"{labels.STATUS.get(str(status), status)} rows",
                    marker_color=STATUS_COLOR.get(str(status), "#7f7f7f"),
                ),
                row=2,
                col=1,
            )
    if changes is not None:
        for event in changes.itertuples(index=False):
            text = like.describe_event(event.field, event.before, event.after) or (
                f"{CHANGE_NAMES.get(event.field, event.field)}: {event.before} → {event.after}"
            )
            fig.add_vline(x=event.ts, line_dash="dot", line_color="#555", row="all", col=1)
            fig.add_trace(
                go.Scatter(
                    x=[event.ts],
                    y=[1],
                    yaxis="y3",
                    mode="markers",
                    marker={"symbol": "triangle-down", "size": 11, "color": "#555"},
                    name="change",
                    showlegend=False,
                    hovertext=f"{text} ({event.probes} probe(s))",
                    hoverinfo="text+x",
                )
            )
        if len(changes):
            fig.update_layout(yaxis3={"overlaying": "y", "range": [0, 1.02], "visible": False})
    if shifts is not None and len(shifts):
        for shift in shifts.itertuples(index=False):
            name = labels.series(shift.strategy, shift.memory_mb)
            fig.add_trace(
                go.Scatter(
                    x=[shift.ts],
                    y=[shift.after],
                    mode="markers",
                    marker={
                        "symbol": "star",
                        "size": 15,
                        "color": color(str(shift.strategy)),
                        "line": {"width": 1, "color": "#222"},
                    },
                    name="level shift",
                    legendgroup="level shift",
                    showlegend=False,
                    hovertext=(
                        f"{name}: level shift {shift.change:+.0%} ({shift.before:.4g} → {shift.after:.4g} ms)"
                        + (f" in {shift.probes}" if getattr(shift, "probes", "") else "")
                    ),
                    hoverinfo="text+x",
                ),
                row=1,
                col=1,
            )
    title = f"{labels.METRIC.get(metric, metric)} latency over time: p{q:g} with p10-p90 band"
    fig.update_layout(
        title=title, hovermode="closest", legend_title_text="Strategy · tier", barmode="stack", height=560
    )
    fig.update_yaxes(
        title_text=METRIC_AXIS.get(metric, "Latency (ms)"), type="log" if log_y else "linear", row=1
    )
    fig.update_yaxes(title_text="Not-ok rows (count)", row=2)
    fig.update_xaxes(title_text="Time (UTC)", row=2)
    return fig


def memory_figure(summary: pd.DataFrame, metric: str, log_x: bool = True, log_y: bool = True) -> go.Figure:
    """Latency against memory per strategy: the median, with a bar up to p90 and down to the minimum.

    `summary` is `stats.summarize(frame, ["strategy", "memory_mb"], metric)`.
    """
    fig = go.Figure()
    data = summary.dropna(subset=["median"]) if len(summary) else summary
    for strategy, group in data.groupby("strategy", sort=True):
        group = group.sort_values("memory_mb")
        name = labels.strategy(strategy) + labels.repeated(strategy, metric)
        fig.add_trace(
            go.Scatter(
                x=group["memory_mb"],
                y=group["median"],
                mode="lines+markers",
                name=name,
                line={"color": color(str(strategy))},
                error_y={
                    "type": "data",
                    "array": (group["p90"] - group["median"]).tolist(),
                    "arrayminus": (group["median"] - group["min"]).tolist(),
                    "thickness": 1,
                },
                customdata=group[["p90", "n", "failed", "error"]].to_numpy(),
                hovertemplate=(
                    f"{name}<br>%{{x}} MB<br>median %{{y:.4g}} ms, "
                    "p90 %{customdata[0]:.4g} ms<br>samples %{customdata[1]}, failed rows %{customdata[2]}, "
                    "error rows %{customdata[3]}<extra></extra>"
                ),
            )
        )
    name = labels.METRIC.get(metric, metric)
    fig.update_layout(
        title=f"{name} latency against memory (median; bars: min to p90)", legend_title_text="Strategy"
    )
    fig.update_xaxes(title_text="Memory (MB)", type="log" if log_x else "linear")
    fig.update_yaxes(title_text=METRIC_AXIS.get(metric, "Latency (ms)"), type="log" if log_y else "linear")
    _memory_ticks(fig, data["memory_mb"].tolist() if len(data) else [])
    return fig


def cost_figure(costs: pd.DataFrame, fetches_per_second: float, price_source: str) -> go.Figure:
    """Estimated cost per million fetches against memory, per strategy, store and architecture.

    `costs` is `cost_model.cost_table` output.
    """
    fig = go.Figure()
    dash = {"x86_64": "solid", "arm64": "dash"}
    symbol = {"secretsmanager": "circle", "ssm": "square"}
    for (strategy, store, arch), group in costs.groupby(["strategy", "store", "architecture"], sort=True):
        group = group.sort_values("memory_mb")
        name = f"{labels.strategy(strategy)} · {labels.store(store)} · {arch}"
        fig.add_trace(
            go.Scatter(
                x=group["memory_mb"],
                y=group["total_usd"],
                mode="lines+markers",
                name=name,
                line={"color": color(str(strategy)), "dash": dash.get(str(arch), "dot")},
                marker={"symbol": symbol.get(str(store), "diamond")},
                customdata=group[["lambda_usd", "api_usd", "expected_ms"]].to_numpy(),
                hovertemplate=(
                    f"{name}<br>%{{x}} MB: $%{{y:.4g}} per million fetches<br>"
                    "Lambda GB-s $%{customdata[0]:.4g} + API calls $%{customdata[1]:.4g}<br>"
                    "expected fetch %{customdata[2]:.4g} ms<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        title=(
            f"Estimated cost per million fetches at {fetches_per_second:g} fetches/s (prices: {price_source})"
        ),
        legend_title_text="Strategy · store · architecture",
    )
    fig.update_xaxes(title_text="Memory (MB)", type="log")
    fig.update_yaxes(title_text="Cost per million fetches (USD, estimate)", type="log")
    _memory_ticks(fig, costs["memory_mb"].tolist() if len(costs) else [])
    return fig


def _cfs_guides(fig: go.Figure, x_max: float, log_x: bool) -> None:
    """Dotted lines at multiples of the 20 ms CFS period, where throttled hits cluster.

    Plotly places shapes in data units on every axis type, but annotations on a log axis in log10 units,
    so the line and its label are added apart.
    """
    k = 1
    while k * CFS_PERIOD_MS <= x_max * 1.05 and k <= 10:
        at = k * CFS_PERIOD_MS
        fig.add_vline(x=at, line_dash="dot", line_color="#888")
        if k <= (2 if log_x else 4):  # labels crowd beyond 40 ms on a log axis
            fig.add_annotation(
                x=math.log10(at) if log_x else at,
                y=1.0,
                yref="paper",
                yanchor="bottom",
                text=f"{at:g} ms",
                showarrow=False,
                font={"size": 10, "color": "#666"},
            )
        k += 1


def distribution_figure(
    series: Sequence[stats.Distribution], kind: str = "ecdf", log_x: bool = True
) -> go.Figure:
    """Warm-hit distribution per strategy × tier (ECDF or histogram), with the 20 ms CFS period marked.

    `series` holds each strategy × tier's merged sketch (`stats.distributions`): bins 2 % wide, so the CFS
    steps at 20 and 40 ms stay sharp (a bin there is 0.4 ms).
    """
    if kind not in ("ecdf", "histogram"):
        raise ValueError(f"kind must be 'ecdf' or 'histogram', got {kind!r}")
    fig = go.Figure()
    dashes = _dash_for_tiers([d.memory_mb for d in series])
    x_max = max((float(d.values.max()) for d in series if len(d.values)), default=0.0)
    width = max(x_max / 120, 0.25) if x_max >= CFS_PERIOD_MS * 0.75 else max(x_max / 120, 1e-9)
    edges = np.arange(0.0, x_max + 2 * width, width)
    for d in series:
        name = labels.series(d.strategy, d.memory_mb, "warm_hit")
        if kind == "ecdf":
            xs, share = sketches.ecdf(d.values, d.counts)
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=share * 100,
                    mode="lines",
                    line_shape="hv",
                    name=f"{name} (n={d.n})",
                    line={"color": color(d.strategy), "dash": dashes.get(d.memory_mb, "solid")},
                    hovertemplate=f"{name}<br>%{{y:.1f}} % of hits ≤ %{{x:.4g}} ms<extra></extra>",
                )
            )
        else:
            share = sketches.histogram(d.values, d.counts, edges)
            fig.add_trace(
                go.Bar(
                    x=(edges[:-1] + edges[1:]) / 2,
                    y=share * 100,
                    width=width,
                    name=f"{name} (n={d.n})",
                    marker_color=color(d.strategy),
                    opacity=0.6,
                    hovertemplate=f"{name}<br>%{{y:.1f}} % of hits in %{{x:.3g}} ± {width / 2:.3g} ms"
                    "<extra></extra>",
                )
            )
    log_axis = log_x and kind == "ecdf"
    if x_max >= CFS_PERIOD_MS * 0.75:
        _cfs_guides(fig, x_max, log_axis)
    fig.update_layout(
        title="Warm-hit latency distribution (dotted: the 20 ms CFS period; `sdk`: repeated calls, no cache)",
        legend_title_text="Strategy · tier",
        barmode="overlay",
    )
    fig.update_xaxes(title_text="Warm-hit latency (ms)", type="log" if log_axis else "linear")
    y_title = "Share of warm hits at or below (%)" if kind == "ecdf" else "Share of warm hits (%)"
    fig.update_yaxes(title_text=y_title)
    return fig


def tier_figure(summary: pd.DataFrame) -> go.Figure:
    """The answer at a glance: warm-hit and cold-miss p50 per strategy at every memory tier, log scale.

    `summary` columns: strategy, memory_mb, metric (cold_miss | warm_hit), median, n.
    """
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("Warm hit p50", "Cold miss p50"), horizontal_spacing=0.08
    )
    tiers = sorted(int(t) for t in summary["memory_mb"].unique()) if len(summary) else []
    for col, metric in enumerate(("warm_hit", "cold_miss"), start=1):
        part = summary[(summary["metric"] == metric) & summary["median"].notna()] if len(summary) else summary
        for strategy, group in part.groupby("strategy", sort=True):
            group = group.sort_values("memory_mb")
            fig.add_trace(
                go.Scatter(
                    x=group["memory_mb"],
                    y=group["median"],
                    mode="lines+markers",
                    name=labels.strategy(strategy),
                    legendgroup=str(strategy),
                    showlegend=col == 1,
                    line={"color": color(str(strategy))},
                    marker={"size": 9},
                    customdata=group[["n"]].to_numpy(),
                    hovertemplate=(
                        f"{labels.strategy(strategy)}<br>%{{x}} MB: "
                        f"{labels.metric(metric, strategy).lower()} p50 %{{y:.4g}} ms"
                        "<br>samples %{customdata[0]:,}<extra></extra>"
                    ),
                ),
                row=1,
                col=col,
            )
        fig.update_yaxes(title_text=METRIC_AXIS[metric], type="log", row=1, col=col)
        fig.update_xaxes(title_text="Memory (MB)", type="log", row=1, col=col)
    if tiers:
        fig.update_xaxes(tickvals=tiers, ticktext=[str(t) for t in tiers])
    fig.update_layout(
        title="Median latency per strategy and memory tier (both axes logarithmic)",
        legend_title_text="Strategy",
        height=420,
    )
    return fig
