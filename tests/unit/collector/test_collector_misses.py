"""Issue 21, findings 1 and 7 through the data layer: how a miss was guaranteed, in the record, the rows and
the digests; cold misses split by cold start; old rows whose cold miss may have been a hit flagged, not
pooled.

Records, rows and digests from before (no `miss_guarantee`, no split) stay valid and read as what they were.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collector.contract import InvalidRecordError, parse_probe_record
from collector.rows import rows_for
from datastore import codec, misses
from datastore.digest import ProbeDigest, merge_digests
from datastore.digesting import digest_rows
from tests.conftest import load_event

DAY = datetime(2026, 11, 27, tzinfo=UTC)


def record(**store: Any) -> dict[str, Any]:
    """The sample record with its first store's fields replaced (None removes one)."""
    sample = load_event("probe_record_v1.json")
    for name, value in store.items():
        if value is None:
            sample["stores"][0].pop(name, None)
        else:
            sample["stores"][0][name] = value
    return sample


HIT = {"miss_guarantee": "none", "cold_miss_ms": None, "first_hit_ms": 0.9, "cache_age_ms": 10_000.0}


# ---------------------------------------------------------------------------------------------- the record
def test_a_record_says_how_its_miss_was_guaranteed_and_a_first_hit_is_not_a_miss() -> None:
    parsed = parse_probe_record(record())
    assert parsed.stores[0].miss_guarantee == "fresh_environment"
    sample = record(**HIT)
    sample["stores"][0]["cold_miss_ms"] = None
    hit = parse_probe_record(sample).stores[0]
    assert (hit.miss_guarantee, hit.cold_miss_ms, hit.first_hit_ms, hit.cache_age_ms) == (
        "none",
        None,
        0.9,
        10_000.0,
    )


def test_an_older_record_without_them_stays_valid() -> None:
    parsed = parse_probe_record(record(miss_guarantee=None, first_hit_ms=None, cache_age_ms=None))
    assert parsed.stores[0].miss_guarantee is None and parsed.stores[0].first_hit_ms is None


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"miss_guarantee": "maybe"}, "miss_guarantee: expected one of"),
        ({"miss_guarantee": "none"}, "cold_miss_ms: must be null when miss_guarantee is none"),
        ({"first_hit_ms": 1.0}, "first_hit_ms: only when miss_guarantee is none"),
        ({"cache_age_ms": 5.0}, "cache_age_ms: only when miss_guarantee is none"),
    ],
)
def test_a_miss_that_is_not_guaranteed_is_refused(change: dict[str, Any], rule: str) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        parse_probe_record(record(**change))
    assert caught.value.reason == f"record.stores[0].{rule}" or rule in caught.value.reason


# ------------------------------------------------------------------------------------------------- the rows
def test_rows_carry_the_guarantee_and_the_first_hit_and_round_trip() -> None:
    sample = record(**HIT)
    sample["stores"][0]["cold_miss_ms"] = None
    row = rows_for(parse_probe_record(sample))[0]
    assert (row["miss_guarantee"], row["cold_miss_ms"], row["first_hit_ms"], row["cache_age_ms"]) == (
        "none",
        None,
        0.9,
        10_000.0,
    )
    back = codec.from_item(codec.to_item(row))
    assert (back["miss_guarantee"], back["first_hit_ms"], back["cache_age_ms"]) == ("none", 0.9, 10_000.0)
    old = rows_for(parse_probe_record(record(miss_guarantee=None)))[0]
    assert old["miss_guarantee"] is None


# ------------------------------------------------------------------------------- old rows: trusted, unknown
def _row(strategy: str, cold_start: bool, guarantee: str | None, cold_miss_ms: float | None = 30.0) -> dict:
    return {
        "strategy": strategy,
        "cold_start": cold_start,
        "miss_guarantee": guarantee,
        "cold_miss_ms": cold_miss_ms,
    }


@pytest.mark.parametrize(
    ("row", "trust"),
    [
        (_row("extension", False, None), "unknown"),  # before the guarantee: may have been a hit
        (_row("extension", True, None), "trusted"),  # a fresh environment: the extension's cache was empty
        (_row("dict", False, None), "trusted"),  # the probe always emptied its own caches
        (_row("caching_lib", False, None), "trusted"),
        (_row("powertools", False, None), "trusted"),
        (_row("sdk", False, None), "trusted"),  # no cache at all
        (_row("extension", False, "ttl_elapsed"), "trusted"),
        (_row("extension", False, "none", None), None),  # a first hit: no cold miss to judge
        (_row("extension", False, None, None), None),
    ],
)
def test_a_row_s_cold_miss_is_trusted_or_unknown(row: dict, trust: str | None) -> None:
    assert misses.cold_miss_trust(row) == trust


def test_an_old_row_s_guarantee_is_inferred_where_its_strategy_tells() -> None:
    assert misses.miss_guarantee_of(_row("extension", True, None)) == "fresh_environment"
    assert misses.miss_guarantee_of(_row("dict", False, None)) == "forced"
    assert misses.miss_guarantee_of(_row("sdk", True, None)) == "no_cache"
    assert misses.miss_guarantee_of(_row("extension", False, None)) is None
    assert misses.miss_guarantee_of(_row("extension", False, "ttl_elapsed")) == "ttl_elapsed"


# ---------------------------------------------------------------------------------------------- the digests
def _rows() -> list[dict[str, Any]]:
    """One extension probe, secretsmanager: a cold start, a miss after the TTL, a first hit, an old row."""
    base = {
        "probe_key": "extension-128-x86_64",
        "strategy": "extension",
        "memory_mb": 128,
        "architecture": "x86_64",
        "store": "secretsmanager",
        "status": "ok",
        "warm_ms": [1.0, 1.1],
    }
    return [
        {**base, "ts": DAY, "invocation_id": "a", "cold_start": True, "miss_guarantee": "fresh_environment",
         "cold_miss_ms": 500.0},
        {**base, "ts": DAY + timedelta(minutes=5), "invocation_id": "b", "cold_start": False,
         "miss_guarantee": "ttl_elapsed", "cold_miss_ms": 100.0},
        {**base, "ts": DAY + timedelta(minutes=6), "invocation_id": "c", "cold_start": False,
         "miss_guarantee": "none", "cold_miss_ms": None, "first_hit_ms": 1.2, "cache_age_ms": 60_000.0},
        {**base, "ts": DAY + timedelta(minutes=7), "invocation_id": "d", "cold_start": False,
         "cold_miss_ms": 1.3},  # an old row: its cold miss may have been a hit
    ]  # fmt: skip


def test_a_digest_splits_cold_misses_by_cold_start_and_leaves_out_the_unknown() -> None:
    [digest] = digest_rows(_rows())
    store = digest.stores["secretsmanager"]
    assert store.metrics["cold_miss"].n == 2  # the fresh environment's and the one after the TTL
    assert (store.metrics["cold_miss"].min, store.metrics["cold_miss"].max) == (100.0, 500.0)
    assert store.metrics["cold_miss_cold_start"].n == 1
    assert store.metrics["cold_miss_cold_start"].min == 500.0
    assert store.metrics["first_hit"].n == 1
    assert store.cold_unknown == 1  # the old row's, left out and counted
    back = ProbeDigest.from_wire(digest.to_wire())
    assert back.stores["secretsmanager"].cold_unknown == 1
    assert back.stores["secretsmanager"].metrics["cold_miss_cold_start"].n == 1


def test_an_older_digest_reads_as_unsplit_and_a_merge_with_it_stays_unsplit() -> None:
    [digest] = digest_rows(_rows())
    wire = copy.deepcopy(digest.to_wire())
    for store in wire["stores"].values():
        store.pop("cu", None)
        for metric in ("cold_miss_cold_start", "first_hit"):
            store["m"].pop(metric, None)
    old = ProbeDigest.from_wire(wire)
    assert old.stores["secretsmanager"].cold_unknown is None  # unsplit: not "no unknown cold miss"
    [merged] = merge_digests([digest, old])
    assert merged.stores["secretsmanager"].cold_unknown is None
