"""datastore.digest, .digesting: the rows of a day folded into one mergeable digest per probe (and store)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from datastore import codec, digest_table
from datastore.digest import DigestError, ProbeDigest, merge_digests
from datastore.digesting import digest_rows
from datastore.sketch import RELATIVE_ACCURACY

DAY = datetime(2026, 11, 27, tzinfo=UTC)


def row(minute: int, store: str = "secretsmanager", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ts": DAY + timedelta(minutes=minute),
        "probe_key": "extension-128-x86_64",
        "invocation_id": f"inv-{minute}",
        "strategy": "extension",
        "memory_mb": 128,
        "architecture": "x86_64",
        "store": store,
        "runtime": "python3.11",
        "environment": "lab",
        "region": "us-east-1",
        "cpu_emulation": "cgroup-v2",
        "status": "ok",
        "error_types": "",
        "cold_start": False,
        "client_init_ms": 5.0,
        "ready_wait_ms": 0.0,
        "cold_miss_ms": 50.0 + minute,
        "warm_ms": [20.0, 40.0, 19.5],
        "cpu_time_ms": 10.0,
        "throttled_periods": 3,
        "total_periods": 40,
        "api_calls": None,
    }
    base.update(extra)
    return base


def test_a_day_becomes_one_digest_per_probe_with_its_stores() -> None:
    rows = [
        row(0),
        row(0, "ssm"),
        row(15, error_types="ThrottlingException", status="error", cold_start=True),
        row(15, "ssm", cold_start=True),
        row(
            30,
            "none",
            status="failed",
            error_types="RetriesExhausted,Unhandled",
            warm_ms=[],
            cold_miss_ms=None,
            cpu_time_ms=None,
            throttled_periods=None,
            total_periods=None,
            client_init_ms=None,
        ),
    ]
    (digest,) = digest_rows(rows)
    assert (digest.probe_key, digest.start, digest.hours) == ("extension-128-x86_64", DAY, 24)
    assert (digest.invocations, digest.not_ok, digest.cold_starts) == (3, 2, 1)
    # once per invocation, not once per store row
    assert (digest.cpu_time_ms, digest.cpu_measured) == (20.0, 2)
    assert (digest.throttled_periods, digest.total_periods, digest.throttle_measured) == (6, 80, 2)
    assert (digest.last_status, digest.last_error_types) == ("failed", "RetriesExhausted,Unhandled")
    assert digest.seen == {"runtime": ["python3.11"], "cpu_emulation": ["cgroup-v2"]}
    sm = digest.stores["secretsmanager"]
    assert (sm.rows, sm.statuses) == (2, {"ok": 1, "error": 1, "failed": 0})
    assert sm.error_types == {"ThrottlingException": 1}
    warm = sm.metrics["warm_hit"]
    assert (warm.n, warm.min, warm.max, warm.sum) == (6, 19.5, 40.0, 159.0)
    assert sm.api_calls is None  # extension: calls not counted
    # Older extension rows (no miss_guarantee): the cold start's miss is one; the warm one may have been a hit
    assert (sm.metrics["cold_miss"].n, sm.metrics["cold_miss_cold_start"].n, sm.cold_unknown) == (1, 1, 1)
    assert digest.stores["none"].metrics["warm_hit"].n == 0


def test_throttling_never_measured_stays_null() -> None:
    (digest,) = digest_rows([row(0, throttled_periods=None, total_periods=None, cpu_time_ms=None)])
    assert digest.throttled_periods is None and digest.total_periods is None and digest.cpu_time_ms is None
    wire = json.loads(json.dumps(digest.to_wire()))
    assert ProbeDigest.from_wire(wire).throttled_periods is None


def test_api_calls_are_summed_with_the_fetches_they_cover() -> None:
    rows = [
        row(0, api_calls=4, strategy="sdk", probe_key="sdk-128-x86_64"),
        row(5, api_calls=None, strategy="sdk", probe_key="sdk-128-x86_64"),
    ]
    store = digest_rows(rows)[0].stores["secretsmanager"]
    assert (store.api_calls, store.api_rows, store.api_fetches) == (4, 1, 4)


def test_hour_buckets_split_the_day() -> None:
    digests = digest_rows([row(0), row(59), row(60), row(61)], "hour")
    assert [(d.start.hour, d.hours, d.invocations) for d in digests] == [(0, 1, 2), (1, 1, 2)]


def test_merging_days_equals_digesting_them_together() -> None:
    rng = random.Random(3)
    rows = [
        row(
            m + 1440 * (m % 3),
            warm_ms=[rng.lognormvariate(3, 1) for _ in range(50)],
            cold_miss_ms=rng.lognormvariate(4, 0.5),
        )
        for m in range(0, 300, 5)
    ]
    per_day = digest_rows(rows, "day")
    assert len(per_day) == 3
    (merged,) = merge_digests(per_day)
    assert merged.start == DAY and merged.hours == 72 and merged.invocations == len(rows)
    warm = merged.stores["secretsmanager"].metrics["warm_hit"]
    samples = [v for r in rows for v in r["warm_ms"]]
    assert warm.n == len(samples) and warm.min == min(samples) and warm.max == max(samples)
    for q in (0.1, 0.5, 0.9, 0.99):
        exact = float(np.percentile(samples, q * 100))
        assert abs(warm.quantile(q) - exact) <= RELATIVE_ACCURACY * exact  # type: ignore[operator]


def test_the_wire_form_round_trips() -> None:
    (digest,) = digest_rows([row(0), row(5, "ssm", status="error", error_types="X")])
    again = ProbeDigest.from_wire(json.loads(json.dumps(digest.to_wire())))
    assert again.to_wire() == digest.to_wire()
    with pytest.raises(DigestError):
        ProbeDigest.from_wire({**digest.to_wire(), "f": 99})
    with pytest.raises(DigestError):
        digest_rows([{"ts": DAY, "probe_key": "x"}])


def _heavy_day(probes: int) -> list[ProbeDigest]:
    """A day of a fleet whose every sketch is as full as a day can make it: 500 warm-hit bins (a heavy tail
    over four decades), 250 for the metrics measured once per invocation (288 a day); random counts."""
    rng = random.Random(9)
    digests = []
    for p in range(probes):
        key = f"sdk-{128 + p}-x86_64"
        (digest,) = digest_rows(
            [
                row(0, probe_key=key, strategy="sdk", memory_mb=128 + p, api_calls=101),
                row(0, "ssm", probe_key=key, strategy="sdk", memory_mb=128 + p, api_calls=101),
            ]
        )
        for store in digest.stores.values():
            for name, metric in store.metrics.items():
                bins = 500 if name == "warm_hit" else 250
                first = rng.randint(-400, 300)
                metric.sketch.counts = {first + i: rng.randint(1, 300) for i in range(bins)}
        digests.append(digest)
    return digests


def test_a_200_probe_day_fits_a_few_small_items() -> None:
    digests = _heavy_day(200)
    items = digest_table.digest_items(DAY.date(), digests, computed_at=DAY + timedelta(days=1))
    sizes = [codec.item_size(item) for item in items]
    assert len(items) == digest_table.shards_for(digests) == 8  # ~730 KB compressed, cut near 100 KB
    assert max(sizes) < 200 * 1024  # measured ~116 KB: well inside DynamoDB's 400 KB item limit
    assert sum(int(item["meta"]["S"].split("|")[1]) for item in items) == 200
    # small fleets: one or two items
    assert [digest_table.shards_for(digests[:40]), digest_table.shards_for([])] == [2, 1]
    assert all("day" not in item for item in items)  # never in the by_day index of rows
    again = [d for item in items for d in digest_table.unpack_digests(bytes(item["d"]["B"]))]
    assert sorted(d.probe_key for d in again) == sorted(d.probe_key for d in digests)
