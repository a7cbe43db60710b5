"""dashboard.stats: percentiles, trimmed means, summaries, change points, cost."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dashboard import cost_model, moved, stats
from dashboard.config import PRICES_PATH

from .frames import digests_of, frame, row


@pytest.fixture(scope="module")
def prices() -> cost_model.PriceTable:
    return cost_model.PriceTable.from_json(json.loads(PRICES_PATH.read_text()))


def test_percentile_interpolates_like_numpy_and_ignores_missing() -> None:
    assert stats.percentile([1, 2, 3, 4], 50) == 2.5
    assert stats.percentile([1, None, float("nan"), 3], 50) == 2.0
    assert stats.percentile([], 90) is None
    with pytest.raises(stats.StatsError):
        stats.percentile([1], 101)


def test_trimmed_mean_drops_outliers_at_both_ends() -> None:
    values = [1.0] * 9 + [1000.0]
    assert stats.trimmed_mean(values, 0.1) == pytest.approx(1.0)
    assert stats.trimmed_mean(values, 0.0) == pytest.approx(100.9)
    assert stats.trimmed_mean([], 0.1) is None
    with pytest.raises(stats.StatsError):
        stats.trimmed_mean([1.0], 0.5)


def test_describe_matches_the_reference_runs_columns() -> None:
    d = stats.describe(range(1, 101))
    assert d["n"] == 100 and d["min"] == 1 and d["max"] == 100
    assert d["median"] == pytest.approx(50.5) and d["p90"] == pytest.approx(90.1)
    assert stats.describe([])["median"] is None


def test_summarize_pools_warm_samples_and_counts_failures() -> None:
    df = frame(
        [
            row("2026-11-27T05:00", warm_ms=[1.0, 2.0]),
            row("2026-11-27T05:05", warm_ms=[3.0, 4.0], status="error"),
            row("2026-11-27T05:10", cold_miss_ms=None, status="failed", store="none"),
            row("2026-11-27T05:00", strategy="dict", warm_ms=[0.001]),
        ]
    )
    digests = digests_of(df)
    warm = stats.summarize(digests, ["strategy", "memory_mb"], "warm_hit").set_index("strategy")
    assert warm.loc["extension", "n"] == 4
    assert warm.loc["extension", "median"] == pytest.approx(2.5, rel=0.01)  # from the sketch: within 1 %
    assert (warm.loc["extension", "min"], warm.loc["extension", "max"]) == (1.0, 4.0)  # exact
    assert warm.loc["extension", "mean"] == 2.5  # exact: sum / n
    assert (warm.loc["extension", "ok"], warm.loc["extension", "error"], warm.loc["extension", "failed"]) == (
        1,
        1,
        1,
    )
    cold = stats.summarize(digests, ["strategy"], "cold_miss").set_index("strategy")
    assert cold.loc["extension", "n"] == 2  # the failed row has no cold miss but is still counted as failed
    assert cold.loc["extension", "failed"] == 1
    with pytest.raises(stats.StatsError):
        stats.summarize(digests, ["strategy"], "p50")


def test_latency_over_time_pools_per_bucket_with_band() -> None:
    df = frame(
        [
            row("2026-11-27T05:01", warm_ms=[1.0, 2.0, 3.0]),
            row("2026-11-27T05:03", warm_ms=[4.0, 5.0]),
            row("2026-11-27T06:20", warm_ms=[10.0]),
        ]
    )
    out = stats.latency_over_time(digests_of(df), "warm_hit", 50, "hour")
    assert list(out["n"]) == [5, 1]
    assert out.iloc[0]["value"] == pytest.approx(3.0, rel=0.01)
    assert out.iloc[0]["low"] == pytest.approx(np.percentile([1, 2, 3, 4, 5], 10), rel=0.01)
    assert out.iloc[0]["high"] == pytest.approx(np.percentile([1, 2, 3, 4, 5], 90), rel=0.01)
    daily = stats.latency_over_time(digests_of(df), "cold_miss", 90, "day")  # q equal to the band's edge
    assert len(daily) == 1 and daily.iloc[0]["n"] == 3
    assert stats.latency_over_time(digests_of(df.iloc[0:0]), "warm_hit", 50, "hour").empty


def test_trend_points_are_hours_for_today_and_days_beyond() -> None:
    assert stats.bucket_of(1) == "hour"
    assert stats.bucket_of(7) == stats.bucket_of(90) == "day"


def test_headline_compares_with_the_previous_period() -> None:
    df = frame(
        [
            row("2026-11-27T04:30", cold_miss_ms=100.0, warm_ms=[10.0]),
            row("2026-11-27T05:30", cold_miss_ms=50.0, warm_ms=[5.0]),
            row("2026-11-27T05:30", memory_mb=1769, cold_miss_ms=1.0, warm_ms=[1.0]),
        ]
    )
    start, end = pd.Timestamp("2026-11-27T05:00", tz="UTC"), pd.Timestamp("2026-11-27T06:00", tz="UTC")
    h = moved.headline(digests_of(df), 128, start, end).set_index("strategy")
    assert h.loc["extension", "cold_p50"] == 50.0 and h.loc["extension", "cold_p50_prev"] == 100.0  # clamped
    assert h.loc["extension", "warm_p50"] == 5.0 and h.loc["extension", "warm_p50_prev"] == 10.0


def test_change_points_name_when_a_value_first_appeared() -> None:
    df = frame(
        [
            row("2026-11-27T05:00", memory_mb=128),
            row("2026-11-27T06:05", memory_mb=128, extension_layer="layer:2", python_version="3.11.8"),
            row("2026-11-27T05:00", memory_mb=1769),
            row("2026-11-27T06:06", memory_mb=1769, extension_layer="layer:2", cpu_emulation="none"),
        ]
    )
    ch = stats.change_points(digests_of(df).probes)
    layer = ch[ch["field"] == "extension_layer"].iloc[0]
    assert layer["after"] == "layer:2" and layer["probes"] == 2
    assert layer["ts"] == pd.Timestamp("2026-11-27T06:05", tz="UTC")  # the earliest probe's first sight
    emu = ch[ch["field"] == "cpu_emulation"].iloc[0]
    assert (emu["before"], emu["after"]) == ("cgroup-v2", "none")
    assert ch[ch["field"] == "python_version"].empty  # unknown before (old rows): no "change" from nothing
    assert stats.change_points(digests_of(frame([row("2026-11-27T05:00")])).probes).empty
    failed = frame(
        [
            row("2026-11-27T05:00"),
            row(
                "2026-11-27T06:05",
                status="failed",
                store="none",
                runtime=None,
                cpu_emulation=None,
                extension_layer=None,
            ),
            row("2026-11-27T07:10"),
        ]
    )
    assert stats.change_points(digests_of(failed).probes).empty  # a failed row says nothing of what runs


def test_a_change_inside_one_bucket_is_found_in_order_of_first_sight() -> None:
    """Both layers in one day (a change at 21:00, read just after midnight): old before new, at its time."""
    df = frame(
        [
            row("2026-11-27T22:00", extension_layer="layer:2"),
            row("2026-11-27T19:00", extension_layer="layer:1"),
            row("2026-11-27T21:00", extension_layer="layer:2"),
            row("2026-11-28T00:05", extension_layer="layer:2"),
        ]
    )
    ch = stats.change_points(digests_of(df, bucket="day").probes)
    assert ch[["field", "before", "after"]].values.tolist() == [["extension_layer", "layer:1", "layer:2"]]
    assert ch["ts"].iloc[0] == pd.Timestamp("2026-11-27T21:00", tz="UTC")


def test_two_values_that_go_on_together_are_one_change_not_one_a_day() -> None:
    df = frame(
        [
            row(f"2026-11-{d}T{h}:00", python_version=v)
            for d in (26, 27, 28)
            for h, v in (("01", "a"), ("02", "b"))
        ]
    )
    ch = stats.change_points(digests_of(df, bucket="day").probes)
    assert ch[["before", "after"]].values.tolist() == [["a", "b"]]


def test_lambda_and_api_cost_follow_the_price_table(prices: cost_model.PriceTable) -> None:
    # 1 s at 1024 MB is one GB-second.
    one_gb_s = cost_model.lambda_usd_per_million(1000, 1024, "x86_64", prices)
    assert one_gb_s == pytest.approx(1e6 * 0.0000166667)
    assert cost_model.lambda_usd_per_million(1000, 1024, "arm64", prices) < cost_model.lambda_usd_per_million(
        1000, 1024, "x86_64", prices
    )
    assert cost_model.api_usd_per_million(1.0, "secretsmanager", prices) == pytest.approx(5.0)
    assert cost_model.api_usd_per_million(1.0, "ssm", prices) == 0.0
    with pytest.raises(cost_model.CostModelError):
        cost_model.api_usd_per_million(1.0, "none", prices)
    with pytest.raises(cost_model.CostModelError):
        cost_model.lambda_usd_per_million(1, 128, "sparc", prices)


def test_miss_fraction_depends_on_call_rate_and_ttl() -> None:
    assert cost_model.miss_fraction("sdk", 10, 60) == 1.0
    # the fetch exactly one TTL after the miss is still served: a miss every 601 fetches
    assert cost_model.miss_fraction("dict", 10, 60) == pytest.approx(1 / 601)
    assert cost_model.miss_fraction("extension", 0.001, 60) == 1.0
    with pytest.raises(cost_model.CostModelError):
        cost_model.miss_fraction("dict", 0, 60)


def test_cost_table_names_cheapest_and_fastest(prices: cost_model.PriceTable) -> None:
    df = frame(
        [
            row("2026-11-27T05:00", strategy="sdk", cold_miss_ms=60.0, warm_ms=[30.0] * 9),
            row("2026-11-27T05:00", strategy="dict", cold_miss_ms=60.0, warm_ms=[0.001] * 9),
            row("2026-11-27T05:00", strategy="extension", cold_miss_ms=120.0, warm_ms=[40.0] * 9),
            row("2026-11-27T05:00", strategy="dict", store="none", status="failed", cold_miss_ms=None),
        ]
    )
    costs = cost_model.cost_table(digests_of(df), prices, fetches_per_second=10, cache_ttl_seconds=60)
    costs = costs.set_index("strategy")
    assert set(costs.index) == {"sdk", "dict", "extension"}
    assert costs.loc["sdk", "api_calls_per_fetch"] == pytest.approx(1.0)
    assert costs.loc["sdk", "api_usd"] == pytest.approx(5.0)
    assert costs.loc["dict", "api_calls_per_fetch"] == pytest.approx(1 / 601)
    assert costs.loc["extension", "api_calls_per_fetch"] == pytest.approx(1 / 601)  # assumed one per miss
    expected = 1 / 601 * 60.0 + (1 - 1 / 601) * 0.001
    assert costs.loc["dict", "expected_ms"] == pytest.approx(expected)
    best = cost_model.best_choices(costs.reset_index())
    assert best["cheapest"]["strategy"] == "dict" and best["fastest"]["strategy"] == "dict"
    assert cost_model.best_choices(costs.iloc[0:0]) == {}


def test_distributions_merge_each_strategy_and_tier() -> None:
    df = frame(
        [
            row("2026-11-27T05:00", warm_ms=[19.8, 39.9, 40.1]),
            row("2026-11-28T05:00", warm_ms=[20.2]),
            row("2026-11-27T05:00", memory_mb=1769, warm_ms=[1.5]),
        ]
    )
    (ext128, ext1769) = stats.distributions(digests_of(df, "day"))
    assert (ext128.memory_mb, ext128.n, ext1769.n) == (128, 4, 1)
    assert np.all(np.diff(ext128.values) > 0) and ext128.counts.sum() == 4
