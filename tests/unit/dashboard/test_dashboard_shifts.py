"""dashboard.shifts: level shifts in a daily series (ruptures PELT on log latency) and what coincides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import shifts, stats

from .frames import digests_of, frame, row

DAYS = pd.date_range("2026-11-01", periods=45, freq="D", tz="UTC")


def _series(values: np.ndarray, strategy: str = "extension", memory_mb: int = 128) -> pd.DataFrame:
    return pd.DataFrame(
        {"strategy": strategy, "memory_mb": memory_mb, "bucket": DAYS[: len(values)], "value": values}
    )


@pytest.mark.parametrize("seed", range(5))
def test_a_planted_shift_is_found_on_its_day_and_a_flat_series_has_none(seed: int) -> None:
    rng = np.random.default_rng(seed)
    noise = np.exp(rng.normal(0, 0.04, len(DAYS)))  # ±4 % day to day
    flat = _series(20.0 * noise)
    assert shifts.level_shifts(flat).empty
    planted = 20.0 * noise * np.where(np.arange(len(DAYS)) >= 23, 1.38, 1.0)
    (found,) = shifts.level_shifts(_series(planted)).itertuples(index=False)
    assert found.ts == DAYS[23]
    assert found.change == pytest.approx(0.38, abs=0.06)


def test_sub_microsecond_and_millisecond_series_are_judged_alike() -> None:
    rng = np.random.default_rng(9)
    step = np.where(np.arange(30) >= 12, 1.38, 1.0) * np.exp(rng.normal(0, 0.03, 30))
    both = pd.concat([_series(0.0004 * step, "dict"), _series(40.0 * step, "extension")])
    found = shifts.level_shifts(both)
    assert list(found["ts"]) == [DAYS[12], DAYS[12]]


def test_small_moves_and_today_are_left_out() -> None:
    values = np.r_[np.full(15, 10.0), np.full(15, 10.5)]  # +5 %: within a real fleet's day-to-day spread
    assert shifts.level_shifts(_series(values)).empty
    late = np.r_[np.full(28, 10.0), [20.0, 20.0]]
    assert len(shifts.level_shifts(_series(late))) == 1
    assert shifts.level_shifts(_series(late), until=DAYS[29]).empty  # the last day is today: not judged


def test_a_shift_in_digested_history_names_the_change_that_day() -> None:
    """Rows of 20 days → daily digests → the Trends series: p50 +38 % on the day Python 3.11.8 arrived."""
    rng = np.random.default_rng(3)
    rows = []
    for day in range(20):
        after = day >= 11
        for i in range(6):
            warm = list(rng.normal(20.0, 0.6, 50) * (1.38 if after else 1.0))
            rows.append(
                row(
                    f"{DAYS[day]:%Y-%m-%d}T{i * 4:02d}:00",
                    warm_ms=warm,
                    invocation_id=f"{day}-{i}",
                    python_version="3.11.8" if after else "3.11.7",
                    boto3_version="1.44.8",
                )
            )
    digests = digests_of(frame(rows), "day")
    series = stats.latency_over_time(digests, "warm_hit", 50, "day")
    found = shifts.level_shifts(series)
    assert list(found["ts"]) == [DAYS[11]]
    (sentence,) = shifts.explain(found, stats.probe_changes(digests.probes))
    assert sentence.startswith("Extension (localhost:2773) · 128 MB: p50 +38% on 2026-11-12")
    assert sentence.endswith("Python 3.11.7 → 3.11.8 that day")
    flat = stats.latency_over_time(digests_of(frame(rows[:60]), "day"), "warm_hit", 50, "day")
    assert shifts.level_shifts(flat).empty


def test_noise_is_estimated_from_the_differences_and_floored_at_the_sketch_accuracy() -> None:
    assert shifts.noise_sigma(np.zeros(30)) == shifts.SIGMA_FLOOR
    rng = np.random.default_rng(1)
    y = rng.normal(0, 0.1, 400)
    assert shifts.noise_sigma(y) == pytest.approx(0.1, rel=0.15)
    assert shifts.noise_sigma(np.r_[y[:200], y[200:] + 2.0]) == pytest.approx(0.1, rel=0.15)  # shift-robust


def test_the_fast_search_finds_what_pelt_with_the_l2_cost_finds() -> None:
    import ruptures as rpt

    rng = np.random.default_rng(2)
    for trial in range(20):
        y = rng.normal(0, 0.05, 60)
        y[rng.integers(5, 55) :] += 0.3 * (trial % 2)
        penalty = shifts.PENALTY_FACTOR * shifts.noise_sigma(y) ** 2 * np.log(len(y))
        pelt = (
            rpt.Pelt(model="l2", min_size=shifts.MIN_DAYS, jump=1).fit(y.reshape(-1, 1)).predict(pen=penalty)
        )
        fast = rpt.KernelCPD(kernel="linear", min_size=shifts.MIN_DAYS, jump=1).fit(y.reshape(-1, 1))
        assert fast.predict(pen=penalty) == pelt
