"""dashboard.verdict and the Overview's figure: the answer, from the data in range."""

from __future__ import annotations

import pandas as pd

from dashboard import charts, stats, verdict

from .frames import digests_of, frame, row


def _summary(
    warm: dict[tuple[str, int], float], cold: dict[tuple[str, int], float] | None = None
) -> pd.DataFrame:
    records = [
        {"strategy": s, "memory_mb": m, "metric": "warm_hit", "median": v, "n": 100}
        for (s, m), v in warm.items()
    ]
    records += [
        {"strategy": s, "memory_mb": m, "metric": "cold_miss", "median": v, "n": 1}
        for (s, m), v in (cold or {}).items()
    ]
    return pd.DataFrame.from_records(records)


def test_the_sentence_compares_the_extension_with_the_fastest_and_follows_it_up_the_tiers() -> None:
    summary = _summary(
        {("extension", 128): 40.0, ("dict", 128): 0.0004, ("sdk", 128): 9.0, ("extension", 1769): 1.7},
        {("extension", 128): 110.0, ("sdk", 128): 60.0},
    )
    assert verdict.sentence(summary) == (
        "At 128 MB an extension hit costs 40 ms, 100,000× a dict; at 1,769 MB 1.7 ms. "
        "A cold miss at 128 MB: 110 ms against 60 ms for a direct SDK call."
    )


def test_without_the_extension_the_slowest_strategy_is_the_subject() -> None:
    summary = _summary({("sdk", 512): 12.5, ("powertools", 512): 0.0123})
    assert verdict.sentence(summary) == "At 512 MB an SDK call costs 12.5 ms, 1,000× Powertools."
    assert verdict.sentence(_summary({("dict", 128): 0.00045})) == "At 128 MB a dict costs 0.45 µs."
    assert verdict.sentence(_summary({})) is None


def test_the_figure_shows_both_p50s_per_strategy_and_tier_on_log_axes() -> None:
    df = frame(
        [
            row("2026-11-27T05:00", warm_ms=[19.8, 39.9, 40.1], cold_miss_ms=110.0),
            row("2026-11-27T05:00", memory_mb=1769, warm_ms=[1.5, 1.7, 2.0], cold_miss_ms=30.0),
            row("2026-11-27T05:00", strategy="dict", warm_ms=[0.0004, 0.0005], cold_miss_ms=55.0),
        ]
    )
    summary = stats.tier_summary(digests_of(df))
    fig = charts.tier_figure(summary)
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert (
        fig.layout.yaxis.title.text == "Warm-hit latency (ms)"
        and fig.layout.yaxis2.title.text == "Cold-miss latency (ms)"
    )
    ext = [t for t in fig.data if t.name == "Extension (localhost:2773)"]
    assert [list(t.x) for t in ext] == [[128, 1769], [128, 1769]]  # warm hit, then cold miss
    assert list(fig.layout.xaxis.tickvals) == [128, 1769]
    assert verdict.sentence(summary).startswith("At 128 MB an extension hit costs 40 ms")  # type: ignore[union-attr]


def test_cloud_extensions_is_set_against_the_extension_hit_for_hit_at_both_ends() -> None:
    summary = _summary(
        {
            ("extension", 128): 40.0,
            ("cloud_extensions", 128): 44.0,
            ("cloud_extensions_prefetch", 128): 400.0,  # a variant: never the one compared
            ("dict", 128): 0.0004,
            ("extension", 1769): 1.7,
            ("cloud_extensions", 1769): 2.1,
        }
    )
    assert verdict.sentence(summary) == (
        "At 128 MB an extension hit costs 40 ms, 100,000× a dict; at 1,769 MB 1.7 ms. "
        "A Cloud Extensions hit: 44 ms at 128 MB, 1.1× the extension's; 2.1 ms at 1,769 MB, 1.2×."
    )


def test_without_the_extension_beside_it_cloud_extensions_gets_no_comparison() -> None:
    summary = _summary({("cloud_extensions", 128): 44.0, ("dict", 128): 0.0004})
    assert verdict.sentence(summary) == "At 128 MB a Cloud Extensions hit costs 44 ms, 110,000× a dict."


def test_a_prefetch_probe_is_its_own_strategy_in_the_figure_and_the_verdict() -> None:
    df = frame(
        [
            row("2026-11-27T05:00", warm_ms=[40.0, 40.1], cold_miss_ms=110.0),
            row("2026-11-27T05:00", strategy="cloud_extensions", warm_ms=[44.0, 44.0], cold_miss_ms=130.0),
            row(
                "2026-11-27T05:00",
                strategy="cloud_extensions",
                probe_key="cloud_extensions-128-x86_64-prefetch",
                warm_ms=[90.0, 90.2],
                cold_miss_ms=None,
                first_hit_ms=45.0,
            ),
        ]
    )
    summary = stats.tier_summary(digests_of(df))
    warm = summary[summary["metric"] == "warm_hit"].set_index("strategy")["median"]
    assert warm["cloud_extensions"] < 50 and warm["cloud_extensions_prefetch"] > 80  # never pooled
    names = {t.name for t in charts.tier_figure(summary).data}
    assert {"Cloud Extensions (localhost:5333)", "Cloud Extensions, prefetch"} <= names
    assert "A Cloud Extensions hit: 44 ms at 128 MB, 1.1× the extension's." in str(verdict.sentence(summary))


def test_a_ratio_near_one_keeps_its_decimal_so_it_never_reads_as_equal() -> None:
    summary = _summary({("extension", 128): 20.8, ("cloud_extensions", 128): 20.0 * 1.04 * 1.04})
    assert "1.0× the extension's" in str(verdict.sentence(summary))
    summary = _summary({("extension", 128): 2.0, ("cloud_extensions", 128): 19.95, ("dict", 128): 0.0004})
    said = str(verdict.sentence(summary))
    assert "10× the extension's" in said and "10.×" not in said
