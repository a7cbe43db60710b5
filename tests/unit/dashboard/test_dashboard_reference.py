"""The Reference page's "cold miss · ours" is what the 2022 run measured, and what `lab replay` shows
(issue 21, finding 7): the first fetch in a fresh execution environment. Warm environments' cold misses are
another label; older digests cannot be split and are left out, counted, with older rows whose cold miss may
have been a hit.
"""

from __future__ import annotations

from typing import Any

import pytest

from dashboard import compare
from lab.replay import report
from tests.unit.dashboard.frames import digests_of, frame, row

COLD_STARTS = [100.0, 300.0, 200.0]  # three fresh environments' first fetches: median 200
WARM_MISSES = [5.0, 6.0]  # misses after the TTL in warm environments: not what 2022 measured


def _rows() -> list[dict[str, Any]]:
    rows = []
    for i, ms in enumerate(COLD_STARTS):
        rows.append(
            row(
                f"2026-11-27T0{i}:00:00",
                "sdk",
                128,
                cold_miss_ms=ms,
                warm_ms=[1.0],
                cold_start=True,
                invocation_id=f"cold-{i}",
                miss_guarantee="no_cache",
            )
        )
    for i, ms in enumerate(WARM_MISSES):
        rows.append(
            row(
                f"2026-11-27T0{i}:30:00",
                "sdk",
                128,
                cold_miss_ms=ms,
                warm_ms=[1.0],
                invocation_id=f"warm-{i}",
            )
        )
    # an older extension row of a warm environment: its "cold miss" may have been a hit
    rows.append(
        row(
            "2026-11-27T05:00:00",
            "extension",
            128,
            cold_miss_ms=1.26,
            warm_ms=[1.0],
            miss_guarantee=None,
            invocation_id="old",
        )
    )
    return rows


def test_ours_is_the_cold_starts_first_fetch_as_in_the_replay() -> None:
    rows = _rows()
    ours = compare.reference_cold_misses(digests_of(frame(rows)))
    page = ours.table.set_index(["strategy", "memory_mb"]).loc[("sdk", 128)]
    assert page["n"] == len(COLD_STARTS)
    assert page["median"] == pytest.approx(200.0, rel=0.01)  # the sketch's 1 %
    assert (page["min"], page["max"]) == (100.0, 300.0)
    replay = report.measure(rows, "lab", strategies=("sdk",), memory_sizes=(128,))
    assert replay.cold_miss[("sdk", 128)] == pytest.approx(200.0)
    assert page["median"] == pytest.approx(replay.cold_miss[("sdk", 128)], rel=0.01)


def test_what_is_left_out_is_counted_with_its_reason() -> None:
    ours = compare.reference_cold_misses(digests_of(frame(_rows())))
    assert ours.warm_environment == len(WARM_MISSES)
    assert ours.unknown == 1
    assert ours.unsplit == 0
    lines = compare.reference_left_out_lines(ours)
    assert any("2 cold misses of warm environments" in line for line in lines)
    assert any("1 cold miss" in line and "may have been a hit" in line for line in lines)


def test_an_older_digest_is_unsplit_and_left_out() -> None:
    frames = digests_of(frame(_rows()))
    frames.stores["cold_unknown"] = (
        frames.stores["cold_unknown"].astype("Int64").mask(frames.stores["strategy"] == "sdk")
    )  # as a digest written before the split reads
    ours = compare.reference_cold_misses(frames)
    assert ("sdk", 128) not in set(zip(ours.table["strategy"], ours.table["memory_mb"], strict=True))
    assert ours.unsplit == len(COLD_STARTS) + len(WARM_MISSES)
    assert any("written before" in line for line in compare.reference_left_out_lines(ours))
