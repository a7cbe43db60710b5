"""Like with like (issue 21, finding 2): a change in which probes run is a change, never a latency shift.

The issue's example: one arm64 extension-128 probe whose own latency is flat joins an x86_64 one. Pooled by
strategy × tier, the extension's p50 moved +25 % that day and Trends said "no recorded change that day".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import shifts, stats, verdict

from .frames import digests_of, frame, row

DAYS = pd.date_range("2026-11-01", periods=20, freq="D", tz="UTC")
JOINS = 10  # the day the new probe's first row lands


def _probe_rows(rng: np.random.Generator, days: range, ms: float, **probe: object) -> list[dict]:
    rows = []
    for day in days:
        for i in range(6):
            rows.append(
                row(
                    f"{DAYS[day]:%Y-%m-%d}T{i * 4:02d}:00",
                    warm_ms=list(rng.normal(ms, ms * 0.02, 50)),
                    cold_miss_ms=ms * 5,
                    python_version="3.9.20" if probe.get("runtime") == "python3.9" else "3.11.8",
                    **probe,  # type: ignore[arg-type]
                )
            )
    return rows


def _fleet(new: dict[str, object]) -> pd.DataFrame:
    """extension-128-x86_64 (20 ms) and dict-128-x86_64 (0.4 µs) throughout; from JOINS on, a new
    extension-128 probe (30 ms, flat) described by `new`."""
    rng = np.random.default_rng(7)
    return frame(
        _probe_rows(rng, range(len(DAYS)), 20.0)
        + _probe_rows(rng, range(len(DAYS)), 0.0004, strategy="dict")
        + _probe_rows(rng, range(JOINS, len(DAYS)), 30.0, **new)
    )


NEW_PROBES = {
    "arm64": ({"architecture": "arm64"}, "extension-128-arm64"),
    "python3.9": ({"runtime": "python3.9"}, "extension-128-x86_64-py39"),
    "patch_all": ({"tracing": "patch_all"}, "extension-128-x86_64-patch_all"),
}


def test_a_flat_new_arm64_probe_is_a_change_and_not_a_shift() -> None:
    digests = digests_of(_fleet({"architecture": "arm64"}), "day")
    # the new probe is a change of its own, on the day it joined
    changes = stats.change_points(digests.probes)
    added = changes[changes["field"] == "probe"]
    assert added[["before", "after"]].values.tolist() == [["(none)", "extension-128-arm64"]]
    assert added["ts"].iloc[0] == DAYS[JOINS]
    # and no probe's own latency moved: no level shift (pooled, the extension's p50 moved +25 % that day)
    pooled = stats.latency_over_time(digests, "warm_hit", 50, "day")
    ext = pooled[pooled["strategy"] == "extension"].set_index("bucket")["value"]
    assert ext[DAYS[JOINS]] / ext[DAYS[JOINS - 1]] > 1.2  # what the chart's pooled line does
    assert shifts.find(digests, "warm_hit", 50).empty
    assert shifts.find(digests, "cold_miss", 50).empty


def test_a_probe_that_stops_is_a_change_and_a_real_shift_is_still_found_per_probe() -> None:
    rng = np.random.default_rng(11)
    rows = _probe_rows(rng, range(JOINS), 20.0, architecture="arm64")  # arm64 leaves after day 9
    rows += _probe_rows(rng, range(JOINS), 20.0) + _probe_rows(rng, range(JOINS, len(DAYS)), 27.6)
    digests = digests_of(frame(rows), "day")
    changes = stats.change_points(digests.probes)
    gone = changes[changes["field"] == "probe"]
    assert gone[["before", "after"]].values.tolist() == [["extension-128-arm64", "(none)"]]
    assert gone["ts"].iloc[0] == DAYS[JOINS]  # the first day it did not report
    (found,) = shifts.find(digests, "warm_hit", 50).itertuples(index=False)
    assert found.ts == DAYS[JOINS] and found.change == pytest.approx(0.38, abs=0.05)
    assert found.probes == "extension-128-x86_64"
    (sentence,) = shifts.explain(shifts.find(digests, "warm_hit", 50), stats.probe_changes(digests.probes))
    assert "probe extension-128-arm64 stopped reporting that day" in sentence


@pytest.mark.parametrize("kind", list(NEW_PROBES))
def test_what_moved_compares_only_probes_present_in_both_periods(kind: str) -> None:
    from dashboard import moved  # "What moved", like with like (new in issue 21)

    new, key = NEW_PROBES[kind]
    digests = digests_of(_fleet(new), "day")
    head = moved.headline(digests, 128, DAYS[JOINS], DAYS[-1] + pd.Timedelta(days=1)).set_index("strategy")
    ext = head.loc["extension"]
    assert ext["warm_change"] == pytest.approx(0.0, abs=0.02)  # the same probe, flat: no move
    assert ext["cold_change"] == pytest.approx(0.0, abs=0.02)
    assert ext["added"] == key and ext["removed"] == ""
    assert head.loc["dict", "added"] == ""


@pytest.mark.parametrize("kind", list(NEW_PROBES))
def test_the_verdict_compares_strategies_in_one_configuration(kind: str) -> None:
    new, key = NEW_PROBES[kind]
    before = stats.tier_summary(digests_of(_fleet(new).iloc[: 2 * 6 * len(DAYS)], "day"))
    after = stats.tier_summary(digests_of(_fleet(new), "day"))
    assert verdict.sentence(before) == verdict.sentence(after)
    assert verdict.sentence(after).startswith("At 128 MB an extension hit costs 19.9 ms, 50,000× a dict")  # type: ignore[union-attr]
    assert after.attrs["left_out"] == [key]
