"""Pure Plotly figures that set measurements side by side: ours beside the 2022 reference run, and one
dimension (tracing modes, runtimes) compared with the rest of the probe held equal (`compare.compare`'s
tables); the title says "everything else held equal" only when each group's bars also ran the same library
versions (`libraries.annotate`), else that they differ.
Never calls Streamlit; the axes and the palette's conventions are `charts`'s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import compare, labels, libraries
from .charts import METRIC_AXIS


def reference_figure(comparison: pd.DataFrame) -> go.Figure:
    """Ours beside the 2022 reference run: median with a bar to p90, per strategy and tier.

    `comparison` columns: strategy, memory_mb, metric, source ("2022 reference" or "ours"), median, p90.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Cold miss", "Warm hit"), horizontal_spacing=0.1)
    sources = {"2022 reference": "#7f7f7f", "ours": "#1f77b4"}
    for col, metric in enumerate(("cold_miss", "warm_hit"), start=1):
        part = comparison[comparison["metric"] == metric]
        for source, hue in sources.items():
            rows = part[part["source"] == source].sort_values(["strategy", "memory_mb"])
            if rows.empty:
                continue
            p90 = rows["p90"].fillna(rows["median"])
            fig.add_trace(
                go.Bar(
                    x=[labels.series(s, m) for s, m in zip(rows["strategy"], rows["memory_mb"], strict=True)],
                    y=rows["median"],
                    name=source,
                    legendgroup=source,
                    showlegend=col == 1,
                    marker_color=hue,
                    error_y={"type": "data", "array": (p90 - rows["median"]).tolist(), "thickness": 1},
                ),
                row=1,
                col=col,
            )
        fig.update_yaxes(title_text=METRIC_AXIS[metric], type="log", row=1, col=col)
        fig.update_xaxes(title_text="Strategy · memory tier", row=1, col=col)
    fig.update_layout(
        title="Median latency (bars to p90): ours beside the 2022 reference run", barmode="group"
    )
    return fig


DIMENSION_TITLE = {"tracing": "Tracing", "runtime": "Runtime"}
TRACING_COLOR = {
    "off": "#2ca02c",
    "subsegments": "#1f77b4",
    "patch_all": "#d62728",
    "otel": "#ff7f0e",
    "adot": "#9467bd",
}
RUNTIME_COLORS = ("#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")


def _value_name(dimension: str, value: object) -> str:
    return labels.tracing(value) if dimension == "tracing" else str(value)


def group_names(table: pd.DataFrame, dimension: str) -> list[str]:
    """A name per row of a `compare.compare` table for what is held equal: strategy · tier, then the
    architecture, the store and the other dimension only where the table holds more than one."""
    other = "runtime" if dimension == "tracing" else "tracing"
    varying = [
        c for c in ("architecture", "store", "held") if len(table) and table[c].nunique(dropna=False) > 1
    ]
    names = []
    for row in table.itertuples(index=False):
        parts = [labels.series(row.strategy, row.memory_mb, row.metric)]
        for column in varying:
            value = getattr(row, column)
            if column == "store":
                parts.append(labels.store(value))
            elif column == "held":
                parts.append(_value_name(other, value) if pd.notna(value) else f"{other} not recorded")
            else:
                parts.append(str(value))
        names.append(" · ".join(parts))
    return names


def comparison_figure(table: pd.DataFrame, dimension: str) -> go.Figure:
    """Warm-hit and cold-miss p50 (bars to p90) per probe group, and INIT where the table has it, one bar per
    value of `dimension` (tracing modes or runtimes), log scale; the hover gives the ratio and difference to
    the group's baseline.

    `table` is `compare.compare(frames, dimension)` output.
    """
    title = DIMENSION_TITLE.get(dimension, dimension)
    found = set(table["metric"]) if len(table) else set()
    metrics = [m for m in compare.METRIC_ORDER if m in found or m in ("warm_hit", "cold_miss")]
    fig = make_subplots(
        rows=1,
        cols=len(metrics),
        subplot_titles=[f"{labels.METRIC.get(m, m)} p50" for m in metrics],
        horizontal_spacing=0.08 if len(metrics) == 2 else 0.06,
    )
    values = compare.order(dimension, table["value"]) if len(table) else []  # type: ignore[arg-type]
    names = pd.Series(group_names(table, dimension), index=table.index, dtype=object)
    for col, metric in enumerate(metrics, start=1):
        part = table[table["metric"] == metric] if len(table) else table
        for i, value in enumerate(values):
            rows = part[part["value"] == value]
            if rows.empty:
                continue
            hue = (
                TRACING_COLOR.get(value, "#7f7f7f")
                if dimension == "tracing"
                else RUNTIME_COLORS[min(i, len(RUNTIME_COLORS) - 1)]
            )
            name = _value_name(dimension, value)
            fig.add_trace(
                go.Bar(
                    x=names[rows.index].tolist(),
                    y=rows["p50"],
                    name=name,
                    legendgroup=str(value),
                    showlegend=col == 1,
                    marker_color=hue,
                    error_y={"type": "data", "array": (rows["p90"] - rows["p50"]).tolist(), "thickness": 1},
                    customdata=np.column_stack(
                        [
                            rows["p90"],
                            rows["p50_ratio"],
                            rows["p50_diff"],
                            rows["baseline"].map(lambda b: _value_name(dimension, b)),
                            rows["n"],
                            rows["libraries"] if "libraries" in rows else ["not known"] * len(rows),
                        ]
                    ),
                    hovertemplate=(
                        f"{name}<br>%{{x}}<br>p50 %{{y:.4g}} ms, p90 %{{customdata[0]:.4g}} ms<br>"
                        "×%{customdata[1]:.3g} (%{customdata[2]:+.3g} ms) vs %{customdata[3]}"
                        "<br>samples %{customdata[4]:,}<br>libraries: %{customdata[5]}<extra></extra>"
                    ),
                ),
                row=1,
                col=col,
            )
        fig.update_yaxes(title_text=METRIC_AXIS[metric], type="log", row=1, col=col)
        fig.update_xaxes(title_text="Strategy · memory tier", row=1, col=col)
    other = "runtime" if dimension == "tracing" else "tracing"
    equal = libraries.held_equal(table)
    if equal:
        held = "everything else held equal"
    else:
        held = f"strategy, memory, architecture, store and {other} held equal; " + (
            "library versions differ (hover a bar)" if equal is False else "library versions not compared"
        )
    fig.update_layout(
        title=f"Median latency (bars to p90) by {title.lower()}: {held}",
        legend_title_text=title,
        barmode="group",
        height=460,
    )
    return fig
