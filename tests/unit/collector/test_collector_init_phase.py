"""Issue 17 through the collector: `init_ms` (cold starts only) and `versions.tracing` in records, rows and
digests; records, rows and digests from before them still load."""

from __future__ import annotations

from typing import Any

import pytest

from collector.checker import InvalidRecordError
from collector.contract import parse_probe_record
from collector.rows import rows_for
from datastore.digest import METRICS, SEEN_FIELDS, ProbeDigest
from datastore.digesting import digest_rows
from tests.conftest import load_event


def record(**changes: Any) -> dict[str, Any]:
    sample = load_event("probe_record_v1.json")
    sample.update(changes)
    return sample


def test_a_cold_record_carries_init_ms_into_every_row_and_the_digest() -> None:
    rows = rows_for(parse_probe_record(record()))
    assert {r["init_ms"] for r in rows} == {830.0}
    assert {r["tracing_version"] for r in rows} == {"aws-xray-sdk==2.15.0"}
    assert "init" in METRICS and "tracing_version" in SEEN_FIELDS


def test_older_records_without_them_load_as_null() -> None:
    old = record()
    old.pop("init_ms")
    old["identity"]["versions"].pop("tracing")
    rows = rows_for(parse_probe_record(old))
    assert {r["init_ms"] for r in rows} == {None} and {r["tracing_version"] for r in rows} == {None}


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"init_ms": 12.0, "execution_environment": {"cold": False, "cold_cause": None}}, r"record\.init_ms"),
        ({"init_ms": -1.0}, r"record\.init_ms"),
        ({"init_ms": "830"}, r"record\.init_ms"),
    ],
)
def test_init_ms_is_a_cold_start_s_and_a_number(changes: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidRecordError, match=path):
        parse_probe_record(record(**changes))


def test_an_off_record_names_no_tracing_library() -> None:
    off = record()
    off["identity"].update(tracing="off", probe_key="extension-128-x86_64-off")
    with pytest.raises(InvalidRecordError, match=r"record\.identity\.versions\.tracing"):
        parse_probe_record(off)
    off["identity"]["versions"]["tracing"] = None
    assert parse_probe_record(off).identity.tracing_version is None


def test_the_digest_keeps_init_per_store_and_skips_warm_rows() -> None:
    cold = rows_for(parse_probe_record(record()))
    warm_record = record(init_ms=None, execution_environment={"cold": False, "cold_cause": None})
    warm = rows_for(parse_probe_record(warm_record))
    digests: list[ProbeDigest] = digest_rows(cold + warm, "day")  # type: ignore[arg-type]
    (digest,) = digests
    for store in digest.stores.values():
        assert store.metrics["init"].n == 1 and store.metrics["init"].max == 830.0
