"""Comparisons say what differs (issue 21, finding 8): the runtime view's library versions, `sdk`'s repeated
calls, "What moved" on Today, and counts of invocations apart from store rows."""

from __future__ import annotations

import pandas as pd

from dashboard import charts, compare, compare_charts, labels, moved, stats

from .frames import digests_of, frame, row

# What the fleet's dependency sets install: python3.9 gets the newest releases that still install there.
LIBRARIES = {
    "python3.9": {"boto3_version": "1.42.25", "library_version": "requests==2.32.5"},
    "python3.11": {"boto3_version": "1.44.8", "library_version": "requests==2.34.2"},
}


def _runtimes(libraries: dict[str, dict[str, str]]) -> pd.DataFrame:
    return frame(
        [
            row(f"2026-11-27T0{h}:00", warm_ms=[ms] * 20, cold_miss_ms=ms * 5, runtime=runtime, **versions)
            for h in range(3)
            for runtime, ms in (("python3.9", 30.0), ("python3.11", 20.0))
            for versions in [libraries[runtime]]
        ]
    )


def test_the_runtime_view_shows_each_bars_libraries_and_claims_nothing_held_equal_that_is_not() -> None:
    from dashboard import libraries

    frames = digests_of(_runtimes(LIBRARIES))
    table = libraries.annotate(compare.compare(frames, "runtime"), frames)
    warm = table[table["metric"] == "warm_hit"].set_index("value")
    assert warm.loc["python3.9", "libraries"] == "boto3 1.42.25 · requests 2.32.5"
    assert warm.loc["python3.11", "libraries"] == "boto3 1.44.8 · requests 2.34.2"
    assert not warm["libraries_equal"].any()
    fig = compare_charts.comparison_figure(table, "runtime")
    assert "everything else held equal" not in fig.layout.title.text
    assert "library versions differ" in fig.layout.title.text
    assert any("boto3 1.42.25" in str(t.customdata.tolist()) for t in fig.data)
    shown = libraries.readable(table, "runtime")
    assert list(shown["Libraries"].iloc[:2]) == [
        "boto3 1.42.25 · requests 2.32.5",
        "boto3 1.44.8 · requests 2.34.2",
    ]
    # the same libraries on both runtimes: then, and only then, the rest is held equal
    same = {runtime: LIBRARIES["python3.11"] for runtime in LIBRARIES}
    frames = digests_of(_runtimes(same))
    table = libraries.annotate(compare.compare(frames, "runtime"), frames)
    assert table["libraries_equal"].all()
    assert (
        "everything else held equal" in compare_charts.comparison_figure(table, "runtime").layout.title.text
    )


def test_sdk_samples_are_repeated_calls_not_cache_hits() -> None:
    df = frame(
        [
            row("2026-11-27T05:00", strategy="sdk", warm_ms=[9.0, 9.5], cold_miss_ms=60.0),
            row("2026-11-27T05:00", strategy="dict", warm_ms=[0.0004], cold_miss_ms=55.0),
        ]
    )
    digests = digests_of(df)
    series = stats.latency_over_time(digests, "warm_hit", 50, "hour")
    trend = {t.name for t in charts.trend_figure(series, "warm_hit", 50).data}
    assert "SDK call (boto3) · 128 MB (repeated calls)" in trend and "dict cache · 128 MB" in trend
    cold = {t.name for t in charts.trend_figure(stats.latency_over_time(digests, "cold_miss", 50, "hour"),
                                                "cold_miss", 50).data}  # fmt: skip
    assert "SDK call (boto3) · 128 MB" in cold
    tiers = charts.tier_figure(stats.tier_summary(digests))
    sdk_warm = next(t for t in tiers.data if t.legendgroup == "sdk")
    assert "repeated call" in sdk_warm.hovertemplate
    dist = {t.name for t in charts.distribution_figure(stats.distributions(digests)).data}
    assert any(name.startswith("SDK call (boto3) · 128 MB (repeated calls)") for name in dist)
    memory = charts.memory_figure(stats.summarize(digests, ["strategy", "memory_mb"], "warm_hit"), "warm_hit")
    assert {t.name for t in memory.data} == {"SDK call (boto3) (repeated calls)", "dict cache"}
    assert labels.metric("warm_hit", "sdk") == "Repeated call"
    assert (
        labels.metric("warm_hit", "dict") == "Warm hit" and labels.metric("cold_miss", "sdk") == "Cold miss"
    )


def test_what_moved_today_compares_with_yesterdays_whole_day() -> None:
    yesterday = [
        row(f"2026-11-26T{h:02d}:00", warm_ms=[10.0] * 5, cold_miss_ms=100.0) for h in range(0, 24, 4)
    ]
    today = [row(f"2026-11-27T0{h}:00", warm_ms=[12.0] * 5, cold_miss_ms=90.0) for h in range(5)]
    closed, recent = digests_of(frame(yesterday), "day"), digests_of(frame(today), "hour")
    from dashboard.digests import concat

    start, end = pd.Timestamp("2026-11-27", tz="UTC"), pd.Timestamp("2026-11-27T05:30", tz="UTC")
    head = moved.headline(concat([closed, recent]), 128, start, end).set_index("strategy")
    ext = head.loc["extension"]
    assert ext["warm_p50_prev"] == 10.0 and ext["warm_p50"] == 12.0
    assert abs(ext["warm_change"] - 0.2) < 0.01


def test_counts_say_invocations_apart_from_store_rows() -> None:
    df = frame(
        [  # one invocation that read both stores, one that failed
            row("2026-11-27T05:00", invocation_id="a", store="secretsmanager", warm_ms=[1.0]),
            row("2026-11-27T05:00", invocation_id="a", store="ssm", warm_ms=[1.0]),
            row("2026-11-27T05:20", invocation_id="b", status="failed", store="none", cold_miss_ms=None),
        ]
    )
    start, end = pd.Timestamp("2026-11-27T05:00", tz="UTC"), pd.Timestamp("2026-11-27T06:00", tz="UTC")
    ext = moved.headline(digests_of(df), 128, start, end).set_index("strategy").loc["extension"]
    assert (ext["invocations"], ext["not_ok"]) == (2, 1)
    assert (ext["ok"], ext["error"], ext["failed"]) == (2, 0, 1)  # store rows


def test_what_moved_says_what_it_compares_with_or_why_it_cannot() -> None:
    start, end = pd.Timestamp("2026-11-27", tz="UTC"), pd.Timestamp("2026-11-27T05:30", tz="UTC")
    prev_start, prev_end = moved.previous_window(start, end)
    assert (prev_start, prev_end) == (pd.Timestamp("2026-11-26", tz="UTC"), start)  # yesterday, whole
    compared = pd.DataFrame({"cold_p50_prev": [100.0], "warm_p50_prev": [10.0]})
    note = moved.previous_note(compared, "Today (UTC)", prev_start, prev_end, "2026-08-30", 90)
    assert "today so far against yesterday, the whole day (2026-11-26)" in note
    assert "yesterday's same hours are not available" in note
    week = moved.previous_window(pd.Timestamp("2026-11-21", tz="UTC"), end)
    assert week == (pd.Timestamp("2026-11-14", tz="UTC"), pd.Timestamp("2026-11-21", tz="UTC"))
    nothing = pd.DataFrame({"cold_p50_prev": [None], "warm_p50_prev": [None]})
    ninety = moved.previous_window(pd.Timestamp("2026-08-30", tz="UTC"), end)  # the whole load window
    note = moved.previous_note(nothing, "Last 90 days", *ninety, "2026-08-30", 90)
    assert "Nothing to compare with" in note and "before the 90 days loaded" in note
