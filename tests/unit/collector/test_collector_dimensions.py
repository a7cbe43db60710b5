"""Issue 13's dimensions through the collector: tracing and the lab host in the record, rows and digests.

Older records, rows and digests (without them) stay valid and read as what they were: tracing `subsegments`
(the only mode there was), no host, no runtime in a digest's identity.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collector.contract import (
    InvalidRecordError,
    parse_destination,
    parse_probe_record,
    probe_key_fits,
)
from collector.rows import rows_for
from datastore import codec, reads
from datastore.digest import SEEN_FIELDS, ProbeDigest, merge_digests
from datastore.digesting import digest_rows
from tests.conftest import load_event

DAY = datetime(2026, 11, 27, tzinfo=UTC)
HOST = {"cpu": "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", "reference_ms": 412.3}


def record(**identity: Any) -> dict[str, Any]:
    """The sample record with identity fields replaced (None removes one)."""
    sample = load_event("probe_record_v1.json")
    for name, value in identity.items():
        if value is None:
            sample["identity"].pop(name, None)
        else:
            sample["identity"][name] = value
    if sample["identity"].get("tracing") == "off":  # no tracing library is loaded
        sample["identity"]["versions"]["tracing"] = None
    return sample


# ---------------------------------------------------------------------------------------------- the record
def test_a_record_says_its_tracing_and_host() -> None:
    parsed = parse_probe_record(record(tracing="patch_all", probe_key="extension-128-x86_64-patch_all"))
    assert parsed.identity.tracing == "patch_all"
    assert (parsed.identity.host_cpu, parsed.identity.host_ref_ms) == (HOST["cpu"], 412.3)


def test_an_older_record_without_them_stays_valid() -> None:
    parsed = parse_probe_record(record(tracing=None, host=None))
    assert parsed.identity.tracing == "subsegments"
    assert parsed.identity.host_cpu is None and parsed.identity.host_ref_ms is None
    success = parse_destination(load_event("destination_success.json"))  # a record from before versions
    assert success.outcome.identity.tracing == "subsegments"  # type: ignore[union-attr]


def test_host_may_be_null_or_partial() -> None:
    assert parse_probe_record(record(host={"cpu": "AMD EPYC 7R13", "reference_ms": None})).identity.host_cpu
    sample = record()
    sample["identity"]["host"] = None
    assert parse_probe_record(sample).identity.host_ref_ms is None


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"tracing": "everything"}, "record.identity.tracing"),
        ({"tracing": 3}, "record.identity.tracing"),
        ({"host": "fast"}, "record.identity.host"),
        ({"host": {"cpu": "x" * 257, "reference_ms": 1.0}}, "record.identity.host.cpu"),
        ({"host": {"cpu": "c", "reference_ms": -1.0}}, "record.identity.host.reference_ms"),
        ({"host": {"cpu": "c", "reference_ms": "412"}}, "record.identity.host.reference_ms"),
        ({"tracing": "off"}, "record.identity.probe_key"),  # an `off` probe's key ends in -off
        ({"probe_key": "extension-128-x86_64-py39"}, "record.identity.probe_key"),  # runtime is python3.11
        ({"probe_key": "extension-128-x86_64-patch_all"}, "record.identity.probe_key"),
    ],
)
def test_a_broken_tracing_host_or_key_is_named(change: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        parse_probe_record(record(**change))
    assert caught.value.reason.startswith(path)


def test_probe_keys_follow_the_catalogue_scheme() -> None:
    fits = probe_key_fits
    assert fits("extension-128-x86_64", "extension", 128, "x86_64", "python3.11", "subsegments")
    assert fits("extension-128-x86_64-py39-patch_all", "extension", 128, "x86_64", "python3.9", "patch_all")
    assert fits("extension-128-x86_64-patch_all", "extension", 128, "x86_64", "python3.9", "patch_all")
    assert fits("dict-1769-x86_64-off", "dict", 1769, "x86_64", "python3.12", "off")
    assert fits("dict-1769-x86_64-py313", "dict", 1769, "x86_64", None, "subsegments")
    assert not fits("dict-1769-x86_64-py313", "dict", 1769, "x86_64", "python3.12", "subsegments")
    assert not fits("dict-1769-x86_64-off-py313", "dict", 1769, "x86_64", "python3.13", "off")
    assert not fits("dict-1769-x86_64", "dict", 1769, "x86_64", "python3.13", "off")


# ------------------------------------------------------------------------------------------------------ rows
def test_rows_carry_tracing_and_the_host() -> None:
    rows = rows_for(parse_probe_record(record(tracing="off", probe_key="extension-128-x86_64-off")))
    assert {(r["tracing"], r["host_cpu"], r["host_ref_ms"]) for r in rows} == {("off", HOST["cpu"], 412.3)}
    old = rows_for(parse_probe_record(record(tracing=None, host=None)))
    assert {(r["tracing"], r["host_cpu"], r["host_ref_ms"]) for r in old} == {("subsegments", None, None)}


def _failed(payload: dict[str, Any]) -> dict[str, Any]:
    event = load_event("destination_retries_exhausted_handled.json")
    event["requestPayload"] = {**event["requestPayload"], **payload}
    (row,) = rows_for(parse_destination(event))
    return row


def test_a_failed_invocation_takes_runtime_and_tracing_from_the_schedule_event() -> None:
    row = _failed(
        {"probe_key": "extension-128-x86_64-py39-patch_all", "runtime": "python3.9", "tracing": "patch_all"}
    )
    assert (row["runtime"], row["tracing"]) == ("python3.9", "patch_all")
    old = _failed({})  # a schedule event from before: no runtime, and the key's scheme says subsegments
    assert (old["runtime"], old["tracing"]) == (None, "subsegments")
    assert _failed({"probe_key": "extension-128-x86_64-off"})["tracing"] == "off"
    with pytest.raises(InvalidRecordError, match=r"requestPayload\.probe_key"):
        _failed({"probe_key": "extension-128-x86_64-off", "tracing": "patch_all"})
    with pytest.raises(InvalidRecordError, match=r"requestPayload\.tracing"):
        _failed({"tracing": "loud"})


def test_table_items_round_trip_the_new_columns_and_old_items_read_as_subsegments() -> None:
    (row, _) = rows_for(
        parse_probe_record(record(tracing="patch_all", probe_key="extension-128-x86_64-patch_all"))
    )
    decoded = codec.from_item(codec.to_item(row))
    assert (decoded["tracing"], decoded["host_cpu"], decoded["host_ref_ms"]) == (
        "patch_all",
        HOST["cpu"],
        412.3,
    )
    old = dict(row)
    for name in ("tracing", "host_cpu", "host_ref_ms"):
        old.pop(name)
    item = codec.to_item(old)
    assert '"tracing"' not in item["m"]["S"]
    decoded = codec.from_item(item)
    assert (decoded["tracing"], decoded["host_cpu"], decoded["host_ref_ms"]) == ("subsegments", None, None)


def test_the_frame_has_the_new_columns() -> None:
    (row, _) = rows_for(parse_probe_record(record()))
    old = {k: v for k, v in row.items() if k != "tracing"}
    frame = reads.rows_to_frame([row, old])
    assert {"tracing", "host_cpu", "host_ref_ms"} <= set(frame.columns)
    assert list(frame["tracing"]) == ["subsegments", "subsegments"]
    assert frame["host_ref_ms"].dtype == "float64" and list(frame["host_ref_ms"]) == [412.3, 412.3]


# --------------------------------------------------------------------------------------------------- digests
def _row(minute: int, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ts": DAY + timedelta(minutes=minute),
        "probe_key": "extension-128-x86_64-py39-patch_all",
        "invocation_id": f"inv-{minute}",
        "strategy": "extension",
        "memory_mb": 128,
        "architecture": "x86_64",
        "store": "secretsmanager",
        "runtime": "python3.9",
        "tracing": "patch_all",
        "status": "ok",
        "warm_ms": [20.0],
        "host_cpu": "AMD EPYC 7R13 Processor",
        "host_ref_ms": 412.25,
    }
    base.update(extra)
    return base


def test_a_digest_says_runtime_and_tracing_and_sees_the_host() -> None:
    (digest,) = digest_rows([_row(0), _row(5, host_ref_ms=398.04)])
    assert (digest.runtime, digest.tracing) == ("python3.9", "patch_all")
    assert {"host_cpu", "host_ref_ms"} <= set(SEEN_FIELDS)
    assert digest.seen["host_cpu"] == ["AMD EPYC 7R13 Processor"]
    assert digest.seen["host_ref_ms"] == ["398.0", "412.2"]  # one decimal
    assert digest.first_seen["host_ref_ms"]["398.0"].startswith("2026-11-27T00:05")
    wire = json.loads(json.dumps(digest.to_wire()))
    assert (wire["rt"], wire["tr"]) == ("python3.9", "patch_all")
    assert ProbeDigest.from_wire(wire).to_wire() == digest.to_wire()


def test_the_identity_is_the_latest_invocation_s() -> None:
    rows = [_row(10, runtime="python3.12"), _row(0, runtime="python3.11"), _row(20, runtime=None)]
    (digest,) = digest_rows(rows)
    assert digest.runtime == "python3.12"
    days = [
        digest_rows([_row(0, runtime="python3.11")])[0],
        digest_rows([_row(24 * 60, runtime="python3.13")])[0],
    ]
    (merged,) = merge_digests(days)
    assert merged.runtime == "python3.13" and merged.tracing == "patch_all"
    (merged,) = merge_digests(reversed(days))
    assert merged.runtime == "python3.13"


def test_an_older_digest_and_older_rows_read_as_before() -> None:
    (digest,) = digest_rows([_row(0, tracing=None, runtime=None, host_cpu=None, host_ref_ms=None)])
    assert (digest.runtime, digest.tracing) == (None, "subsegments")
    assert "host_cpu" not in digest.seen and "host_ref_ms" not in digest.seen
    wire = copy.deepcopy(digest_rows([_row(0)])[0].to_wire())
    del wire["rt"], wire["tr"]
    old = ProbeDigest.from_wire(wire)
    assert (old.runtime, old.tracing) == (None, "subsegments")
