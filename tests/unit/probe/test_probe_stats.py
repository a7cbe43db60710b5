"""Summary statistics of warm series."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.probe.stats import ns_to_ms, percentile, summarize


def test_summary_matches_the_contract_sample() -> None:
    # The first store of tests/events/probe_record_v1.json.
    summary = summarize([19.8, 39.9, 40.1, 20.2, 39.7])
    assert summary == {
        "n": 5,
        "min": 19.8,
        "p50": 39.7,
        "p90": 40.02,
        "p99": 40.092,
        "max": 40.1,
        "mean": 31.94,
    }


def test_empty_series_has_no_summary() -> None:
    assert summarize([]) is None
    with pytest.raises(ValueError):
        percentile([], 50)


def test_single_sample() -> None:
    assert summarize([0.41]) == {
        "n": 1,
        "min": 0.41,
        "p50": 0.41,
        "p90": 0.41,
        "p99": 0.41,
        "max": 0.41,
        "mean": 0.41,
    }


def test_percentile_bounds_checked() -> None:
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_ns_to_ms_keeps_nanoseconds() -> None:
    assert ns_to_ms(410) == 0.00041
    assert ns_to_ms(35_700_000) == 35.7


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200))
def test_summary_agrees_with_numpy_and_is_ordered(values: list[float]) -> None:
    summary = summarize(values, digits=12)
    assert summary is not None
    for key, q in (("p50", 50), ("p90", 90), ("p99", 99)):
        assert summary[key] == pytest.approx(float(np.percentile(values, q)), rel=1e-9, abs=1e-9)
    assert summary["min"] <= summary["p50"] <= summary["p90"] <= summary["p99"] <= summary["max"]
    assert summary["min"] - 1e-9 <= summary["mean"] <= summary["max"] + 1e-9
    assert summary["n"] == len(values)
