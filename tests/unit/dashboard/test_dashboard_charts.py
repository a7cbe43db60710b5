"""dashboard.charts: the figures' traces, axis titles with units, log axes and markers."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import charts, compare_charts, cost_model, sketches, stats
from dashboard.config import PRICES_PATH

from .frames import digests_of, frame, row


def _rows() -> pd.DataFrame:
    return frame(
        [
            row("2026-11-27T05:00", warm_ms=[19.8, 39.9, 40.1], cold_miss_ms=60.0),
            row("2026-11-27T05:05", warm_ms=[20.2, 39.7], cold_miss_ms=70.0, extension_layer="layer:2"),
            row("2026-11-27T05:10", status="failed", store="none", cold_miss_ms=None),
            row("2026-11-27T05:00", memory_mb=1769, warm_ms=[1.5, 1.6, 2.0], cold_miss_ms=20.0),
            row("2026-11-27T05:00", strategy="dict", warm_ms=[0.0004, 0.0005], cold_miss_ms=55.0),
            row("2026-11-27T05:00", strategy="sdk", warm_ms=[30.0, 31.0], cold_miss_ms=58.0),
        ]
    )


def test_trend_figure_has_line_band_failures_and_change_markers() -> None:
    df = _rows().assign(ts=lambda f: f["ts"] + pd.to_timedelta(f.index.map(lambda i: 3600 * (i == 1)), "s"))
    series = stats.latency_over_time(digests_of(df), "warm_hit", 50, "hour")
    not_ok = pd.DataFrame(
        {"bucket": [pd.Timestamp("2026-11-27T05:10", tz="UTC")], "status": ["failed"], "count": [1]}
    )
    fig = charts.trend_figure(
        series, "warm_hit", 50, not_ok=not_ok, changes=stats.change_points(digests_of(df).probes)
    )
    names = [t.name for t in fig.data]
    assert "Extension (localhost:2773) · 128 MB" in names
    assert "Extension (localhost:2773) · 128 MB p10-p90" in names  # the band
    band = next(t for t in fig.data if t.name.endswith("p10-p90"))
    assert band.fill == "toself"
    bars = [t for t in fig.data if isinstance(t, go.Bar)]
    assert bars and bars[0].name.startswith("failed") and list(bars[0].y) == [1]
    assert any(t.name == "change" and "extension layer" in t.hovertext for t in fig.data)
    assert any(s.line.dash == "dot" for s in fig.layout.shapes)  # the vertical change line
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.title.text == "Warm-hit latency (ms)"
    assert fig.layout.xaxis2.title.text == "Time (UTC)"
    assert fig.layout.yaxis2.title.text == "Not-ok rows (count)"
    linear = charts.trend_figure(series, "cold_miss", 90, log_y=False)
    assert linear.layout.yaxis.type == "linear" and linear.layout.yaxis.title.text == "Cold-miss latency (ms)"


def test_trend_lines_carry_their_times_as_the_text_plotly_writes_for_timestamps() -> None:
    import plotly.io as pio

    df = _rows().assign(ts=lambda f: f["ts"] + pd.to_timedelta(f.index.map(lambda i: 3600 * (i == 1)), "s"))
    series = stats.latency_over_time(digests_of(df), "warm_hit", 50, "hour")
    fig = charts.trend_figure(series, "warm_hit", 50)
    line = next(t for t in fig.data if t.name == "Extension (localhost:2773) · 128 MB")
    buckets = series[(series["strategy"] == "extension") & (series["memory_mb"] == 128)]["bucket"]
    as_timestamps = json.loads(pio.json.to_json_plotly(sorted(buckets)))  # the JSON with Timestamps
    assert list(line.x) == as_timestamps == ["2026-11-27T05:00:00+00:00", "2026-11-27T06:00:00+00:00"]
    band = next(t for t in fig.data if t.name == "Extension (localhost:2773) · 128 MB p10-p90")
    assert list(band.x) == as_timestamps + as_timestamps[::-1]


def test_memory_figure_uses_log_axes_with_units() -> None:
    summary = stats.summarize(digests_of(_rows()), ["strategy", "memory_mb"], "warm_hit")
    fig = charts.memory_figure(summary, "warm_hit")
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.title.text == "Memory (MB)"
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.title.text == "Warm-hit latency (ms)"
    ext = next(t for t in fig.data if t.name == "Extension (localhost:2773)")
    assert list(ext.x) == [128, 1769]
    assert list(ext.y) == pytest.approx([39.7, 1.6], rel=0.01)  # medians from the sketches
    assert list(fig.layout.xaxis.tickvals) == [128, 1769]  # ticks at the measured tiers
    p90, median = summary.set_index(["strategy", "memory_mb"]).loc[("extension", 128), ["p90", "median"]]
    assert p90 == pytest.approx(40.02, rel=0.01) and ext.error_y.array[0] == pytest.approx(p90 - median)
    assert ext.error_y.arrayminus[0] == pytest.approx(median - 19.8)  # down to the exact minimum


def test_cost_figure_plots_total_per_million() -> None:
    prices = cost_model.PriceTable.from_json(json.loads(PRICES_PATH.read_text()))
    costs = cost_model.cost_table(digests_of(_rows()), prices, 5, 60)
    fig = charts.cost_figure(costs, 5, "prices-us-east-1.json")
    assert fig.layout.yaxis.title.text == "Cost per million fetches (USD, estimate)"
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert "prices-us-east-1.json" in fig.layout.title.text
    sdk = next(t for t in fig.data if t.name.startswith("SDK call"))
    assert sdk.y[0] == costs.set_index("strategy").loc["sdk", "total_usd"]


def test_distribution_figure_marks_the_cfs_period() -> None:
    series = stats.distributions(digests_of(_rows()))
    fig = charts.distribution_figure(series, kind="ecdf")
    ext128 = next(t for t in fig.data if t.name.startswith("Extension (localhost:2773) · 128 MB"))
    assert "n=5" in ext128.name and ext128.line.shape == "hv" and ext128.y[-1] == 100.0
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.title.text == "Warm-hit latency (ms)"
    # plotly places shapes in data units on a log axis, but annotations in log10 units
    assert {s.x0 for s in fig.layout.shapes} >= {20.0, 40.0}
    labels = {a.text: a.x for a in fig.layout.annotations}
    assert labels["20 ms"] == pytest.approx(math.log10(20))
    assert labels["40 ms"] == pytest.approx(math.log10(40))
    hist = charts.distribution_figure(series, kind="histogram")
    assert all(isinstance(t, go.Bar) for t in hist.data)  # binned here: raw samples never go to the browser
    assert all(sum(t.y) == pytest.approx(100.0) for t in hist.data)
    ext = next(t for t in hist.data if t.name.startswith("Extension (localhost:2773) · 128 MB"))
    peaks = {round(x) for x, y in zip(ext.x, ext.y, strict=True) if y > 0}
    assert peaks and all(abs(p - 20) <= 1 or abs(p - 40) <= 1 for p in peaks)  # the CFS steps
    assert hist.layout.xaxis.type == "linear" and hist.layout.yaxis.title.text == "Share of warm hits (%)"
    assert {s.x0 for s in hist.layout.shapes} >= {20.0, 40.0}
    assert {a.text: a.x for a in hist.layout.annotations}["20 ms"] == 20.0
    fast = charts.distribution_figure([d for d in series if d.memory_mb == 1769])
    assert not fast.layout.shapes  # no CFS guides when nothing is near 20 ms


def test_distributions_from_sketches_keep_the_20_ms_cfs_steps_at_128_mb() -> None:
    """A month of 128 MB extension hits as Lambda's CFS quota shapes them: just under 20, 40 and 60 ms."""
    rng = np.random.default_rng(4)
    hits = [
        list(np.choose(rng.integers(0, 3, 100), [20.0, 40.0, 60.0]) - rng.random(100) * 0.6)
        for _ in range(300)
    ]
    rows = [
        row(f"2026-11-{1 + i // 10:02d}T{i % 10:02d}:00", warm_ms=w, invocation_id=f"i{i}")
        for i, w in enumerate(hits)
    ]
    (dist,) = stats.distributions(digests_of(frame(rows), "day"))
    xs, share = sketches.ecdf(dist.values, dist.counts)
    exact = np.sort(np.concatenate(hits))
    for step in (20.0, 40.0, 60.0):
        # the ECDF climbs inside the 0.6 ms below each step and is flat between the steps, as the samples'
        inside = (xs > (step - 0.6) * 0.99) & (xs < step * 1.01)
        between = (xs > step * 1.01) & (xs < (step + 20 - 0.6) * 0.99)
        assert inside.sum() >= 1 and not between.any(), step
        assert share[xs <= step * 1.01].max() == pytest.approx((exact <= step).mean(), abs=1e-12)
    fig = charts.distribution_figure([dist], kind="histogram")
    bars = fig.data[0]
    peaks = sorted({round(x) for x, y in zip(bars.x, bars.y, strict=True) if y > 0})
    assert all(any(abs(p - s) <= 1 for s in (20, 40, 60)) for p in peaks)  # mass only at the steps


def test_reference_figure_pairs_ours_with_2022() -> None:
    comparison = pd.DataFrame(
        [
            {
                "strategy": "extension",
                "memory_mb": 128,
                "metric": "warm_hit",
                "source": "2022 reference",
                "median": 39.9,
                "p90": 40.4,
            },
            {
                "strategy": "extension",
                "memory_mb": 128,
                "metric": "warm_hit",
                "source": "ours",
                "median": 38.0,
                "p90": 41.0,
            },
            {
                "strategy": "sdk",
                "memory_mb": 128,
                "metric": "cold_miss",
                "source": "2022 reference",
                "median": 358.0,
                "p90": None,
            },
        ]
    )
    fig = compare_charts.reference_figure(comparison)
    assert {t.name for t in fig.data} == {"2022 reference", "ours"}
    assert fig.layout.yaxis.title.text == "Cold-miss latency (ms)" and fig.layout.yaxis2.type == "log"


def test_empty_figure_says_why() -> None:
    fig = charts.empty_figure("no warm hits in range")
    assert fig.layout.annotations[0].text == "no warm hits in range"
