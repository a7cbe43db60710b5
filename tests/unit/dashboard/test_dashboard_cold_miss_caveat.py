"""The pages that show cold misses say what those figures leave out or cannot tell (issue 21: old rows whose
first fetch may have been a cache hit)."""

from __future__ import annotations

import pandas as pd

from dashboard import stats


def _stores(unknown: list[object], cold_n: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"cold_unknown": pd.array(unknown, dtype="Int64"), "cold_miss_n": cold_n})


def test_nothing_is_said_when_every_cold_miss_is_a_certain_miss() -> None:
    assert stats.cold_miss_caveat(_stores([0, 0], [3, 4])) is None
    assert stats.cold_miss_caveat(pd.DataFrame()) is None


def test_possible_hits_left_out_are_counted() -> None:
    said = stats.cold_miss_caveat(_stores([2, 0, 1], [3, 4, 5]))
    assert said is not None and said.startswith("3 cold misses are left out")
    assert "before hits" not in said


def test_days_digested_before_the_split_are_said_to_be_shown_as_stored() -> None:
    said = stats.cold_miss_caveat(_stores([None, 1, None], [6, 4, 1]))
    assert said is not None
    assert "1 cold misses are left out" in said
    assert "7 cold misses come from days digested before" in said and "some may have been hits" in said
