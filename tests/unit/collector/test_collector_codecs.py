"""Pure parts of the table (datastore.codec, .reads): key formats, the warm-sample codec, number encoding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datastore import codec, reads, schema


def test_sort_key_is_fixed_width_utc_and_sorts_in_time_order() -> None:
    paris = timezone(timedelta(hours=1))
    ts = datetime(2026, 11, 27, 6, 0, 0, tzinfo=paris)
    assert codec.sort_key(ts, "r-1", "ssm") == "2026-11-27T05:00:00.000000Z#r-1#ssm"
    a = codec.sort_key(datetime(2026, 1, 1, 0, 0, 0, 999999, tzinfo=UTC), "z", "ssm")
    b = codec.sort_key(datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC), "a", "ssm")
    assert a < b


@given(st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), max_size=2000))
def test_warm_samples_round_trip_exactly(samples: list[float]) -> None:
    assert codec.unpack_warm(codec.pack_warm(samples)) == samples


def test_warm_samples_are_compact() -> None:
    samples = [20.0 + (i % 7) * 0.01 for i in range(10_000)]
    assert len(codec.pack_warm(samples)) < 8 * len(samples) // 4


def test_unknown_warm_format_is_an_error() -> None:
    with pytest.raises(schema.TableError, match="format"):
        codec.unpack_warm(b"\x09abc")


def test_numbers_stay_inside_dynamodb_range() -> None:
    assert codec.number_text(5e-324) == "0.0"
    assert codec.number_text(-0.0) == "0.0"
    assert codec.number_text(41.2) == "41.2"
    assert codec.number_text(128) == "128"
    with pytest.raises(schema.RowError):
        codec.number_text(float("nan"))
    with pytest.raises(schema.RowError):
        codec.number_text(True)


def test_days_between_covers_half_open_range() -> None:
    start = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
    assert reads.days_between(start, start + timedelta(hours=1)) == ["2026-11-27"]
    later = start + timedelta(hours=1, microseconds=1)
    assert reads.days_between(start, later) == ["2026-11-27", "2026-11-28"]
    assert reads.days_between(start, start) == []
