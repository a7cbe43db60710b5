"""dashboard.digests and dashboard.sketches: digests as frames, and merged sketches of any grouping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import digests, sketches, stats
from datastore.digest import merge_digests
from datastore.digesting import digest_rows
from datastore.sketch import RELATIVE_ACCURACY

from .frames import digests_of, frame, row


def _month() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for day in range(1, 29):
        for hour in range(0, 24, 6):
            for memory in (128, 1769):
                warm = list(rng.lognormal(3 if memory == 128 else 0.5, 0.6, 50))
                rows.append(
                    row(
                        f"2026-11-{day:02d}T{hour:02d}:00",
                        memory_mb=memory,
                        warm_ms=warm,
                        cold_miss_ms=float(rng.lognormal(4, 0.3)),
                        invocation_id=f"{day}-{hour}-{memory}",
                    )
                )
    return frame(rows)


def test_vectorised_quantiles_equal_the_collectors_merged_sketch() -> None:
    df = _month()
    per_day = digest_rows(df.to_dict("records"), "day")
    frames = digests.to_frames(per_day)
    table = stats.group_summary(frames, ["memory_mb"], "warm_hit", (1.0, 50.0, 90.0, 99.0)).set_index(
        "memory_mb"
    )
    for merged in merge_digests(per_day):
        metric = merged.stores["secretsmanager"].metrics["warm_hit"]
        for q in (1.0, 50.0, 90.0, 99.0):
            assert table.loc[merged.memory_mb, f"p{q:g}"] == pytest.approx(
                metric.quantile(q / 100), rel=1e-12
            )


def test_a_month_merged_from_days_is_within_one_percent_of_numpy() -> None:
    df = _month()
    frames = digests_of(df, "day")
    table = stats.group_summary(frames, ["memory_mb"], "warm_hit", (10.0, 50.0, 95.0)).set_index("memory_mb")
    for memory, group in df.groupby("memory_mb"):
        samples = np.concatenate([np.asarray(w) for w in group["warm_ms"]])
        for q in (10.0, 50.0, 95.0):
            exact = np.percentile(samples, q)
            assert abs(table.loc[memory, f"p{q:g}"] - exact) <= RELATIVE_ACCURACY * exact
        assert table.loc[memory, "n"] == samples.size and table.loc[memory, "max"] == samples.max()


def test_trimmed_mean_from_bins_is_close_to_the_exact_one() -> None:
    df = _month()
    summary = stats.summarize(digests_of(df, "day"), ["memory_mb"], "warm_hit").set_index("memory_mb")
    for memory, group in df.groupby("memory_mb"):
        samples = np.concatenate([np.asarray(w) for w in group["warm_ms"]])
        exact = stats.trimmed_mean(samples)
        assert summary.loc[memory, "trimmed_mean"] == pytest.approx(exact, rel=RELATIVE_ACCURACY)


def test_concat_renumbers_the_store_rows_with_their_bins() -> None:
    df = _month()
    first = digests_of(df[df["ts"] < "2026-11-10"], "day")
    rest = digests_of(df[df["ts"] >= "2026-11-10"], "hour")
    filtered = first.stores_where(first.stores["memory_mb"] == 1769)  # a subset: index with gaps
    both = digests.concat([filtered, rest])
    assert list(both.stores.index) == list(range(len(both.stores)))
    whole = digests_of(df[(df["ts"] < "2026-11-10") & (df["memory_mb"] == 1769) | (df["ts"] >= "2026-11-10")])
    a = stats.summarize(both, ["memory_mb"], "warm_hit")
    b = stats.summarize(whole, ["memory_mb"], "warm_hit")
    pd.testing.assert_frame_equal(a, b)


def test_empty_digests_give_empty_results() -> None:
    empty = digests.to_frames([])
    assert empty.empty and stats.summarize(empty, ["strategy"], "warm_hit").empty
    assert stats.latency_over_time(empty, "warm_hit", 50, "day").empty
    assert stats.distributions(empty) == [] and stats.change_points(empty.probes).empty
    merged = sketches.merge(empty.bins["warm_hit"], np.empty(0, dtype=np.int64), 0)
    assert sketches.quantiles(merged, [0.5]).shape == (0, 1)


def test_zeros_are_a_bin_of_their_own() -> None:
    frames = digests_of(frame([row("2026-11-27T05:00", warm_ms=[0.0, 0.0, 1.0])]))
    (dist,) = stats.distributions(frames)
    assert list(dist.values[:1]) == [0.0] and list(dist.counts) == [2, 1]
    table = stats.group_summary(frames, ["strategy"], "warm_hit", (50.0,))
    assert table.loc[0, "p50"] == 0.0
