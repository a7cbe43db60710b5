"""Issue 18 through the data layer: a cloud_extensions record's prefetch variant and signing times in the
record, the rows and the digests; the collector refuses what the contract rules out; older records, rows and
digests (no `prefetch`, no `sign_*`) still load.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from collector.contract import InvalidRecordError, parse_destination, parse_probe_record, probe_key_fits
from collector.rows import rows_for
from datastore import codec, digest_wire, reads
from datastore.digest import merge_digests
from datastore.digesting import digest_rows
from tests.conftest import load_event

SUMMARY = {"n": 2, "min": 0.05, "p50": 0.055, "p90": 0.059, "p99": 0.06, "max": 0.06, "mean": 0.055}


def cx_record(prefetch: bool | None = False, **store: Any) -> dict[str, Any]:
    """The sample record as a cloud_extensions one, its first store's fields replaced (None removes one)."""
    sample = load_event("probe_record_v1.json")
    identity = sample["identity"]
    identity["strategy"] = "cloud_extensions"
    identity["probe_key"] = "cloud_extensions-128-x86_64" + ("-prefetch" if prefetch else "")
    identity["extension_layer"] = "arn:aws:lambda:us-east-1:123456789012:layer:slo-cloud-extensions-x86_64:3"
    if prefetch is not None:
        identity["prefetch"] = prefetch
    first = sample["stores"][0]
    first["sign_cold_ms"] = 0.08
    first["warm_ms"] = [0.41, 0.39]
    first["warm_summary"] = {
        "n": 2,
        "min": 0.39,
        "p50": 0.4,
        "p90": 0.408,
        "p99": 0.4098,
        "max": 0.41,
        "mean": 0.4,
    }
    first["sign_warm_summary"] = dict(SUMMARY)
    for name, value in store.items():
        if value is None:
            first.pop(name, None)
        else:
            first[name] = value
    return sample


def test_a_cloud_extensions_record_carries_prefetch_and_the_signing_into_its_rows() -> None:
    parsed = parse_probe_record(cx_record(prefetch=True))
    assert parsed.identity.prefetch is True
    assert parsed.stores[0].sign_cold_ms == 0.08 and parsed.stores[0].sign_warm_summary is not None
    row = rows_for(parsed)[0]
    assert (row["prefetch"], row["sign_cold_ms"], row["sign_warm_p50_ms"]) == (True, 0.08, 0.055)
    back = codec.from_item(codec.to_item(row))
    assert (back["prefetch"], back["sign_cold_ms"], back["sign_warm_p50_ms"]) == (True, 0.08, 0.055)
    frame = reads.rows_to_frame([back])
    assert str(frame["prefetch"].dtype) == "boolean" and bool(frame["prefetch"].iloc[0]) is True


def test_a_record_of_another_strategy_has_no_prefetch_and_older_rows_read_as_not_saying() -> None:
    parsed = parse_probe_record(load_event("probe_record_v1.json"))
    assert parsed.identity.prefetch is None
    row = rows_for(parsed)[0]
    assert row["prefetch"] is None and row["sign_cold_ms"] is None and row["sign_warm_p50_ms"] is None
    item = codec.to_item(row)
    old = codec.from_item(item)  # an item written before the columns existed reads the same
    frame = reads.rows_to_frame([old])
    assert frame["prefetch"].isna().all() and frame["sign_cold_ms"].isna().all()


def test_a_cloud_extensions_record_from_before_prefetch_reads_as_prefetch_off() -> None:
    assert parse_probe_record(cx_record(prefetch=None)).identity.prefetch is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r["identity"].update(prefetch=True), "record.identity.probe_key"),  # key lacks -prefetch
        (lambda r: r["identity"].update(prefetch="yes"), "record.identity.prefetch"),
        (lambda r: r["stores"][0].update(cold_miss_ms=None, sign_cold_ms=0.08), "sign_cold_ms"),
        (lambda r: r["stores"][0].update(sign_cold_ms=99.0), "sign_cold_ms"),  # longer than the fetch
        (lambda r: r["stores"][0]["sign_warm_summary"].update(n=3), "sign_warm_summary.n"),
    ],
)
def test_the_collector_refuses_what_the_contract_rules_out(change: Any, field: str) -> None:
    sample = cx_record()
    change(sample)
    with pytest.raises(InvalidRecordError, match=field.replace(".", r"\.")):
        parse_probe_record(sample)


def test_other_strategies_carry_neither_prefetch_nor_signing() -> None:
    sample = load_event("probe_record_v1.json")
    with_prefetch = copy.deepcopy(sample)
    with_prefetch["identity"]["prefetch"] = False
    with pytest.raises(InvalidRecordError, match=r"record\.identity\.prefetch: .*only for cloud_extensions"):
        parse_probe_record(with_prefetch)
    signed = copy.deepcopy(sample)
    signed["stores"][0]["sign_cold_ms"] = 0.01
    with pytest.raises(InvalidRecordError, match="sign_"):
        parse_probe_record(signed)


def test_the_key_rule_names_prefetch_last() -> None:
    assert probe_key_fits(
        "cloud_extensions-128-arm64-py39-off-prefetch",
        "cloud_extensions",
        128,
        "arm64",
        "python3.9",
        "off",
        True,
    )
    assert not probe_key_fits(
        "cloud_extensions-128-arm64-prefetch-off", "cloud_extensions", 128, "arm64", None, "off", True
    )
    assert not probe_key_fits(
        "cloud_extensions-128-arm64-prefetch", "cloud_extensions", 128, "arm64", None, "subsegments"
    )


def test_a_failed_prefetch_probe_keeps_its_variant() -> None:
    event = load_event("destination_retries_exhausted_handled.json")
    event["requestPayload"].update(
        probe_key="cloud_extensions-128-x86_64-off-prefetch", strategy="cloud_extensions", tracing="off"
    )
    failure = parse_destination(event).outcome
    row = rows_for(failure)[0]  # type: ignore[arg-type]
    assert row["prefetch"] is True and row["tracing"] == "off"
    event["requestPayload"].update(probe_key="cloud_extensions-128-x86_64-off", prefetch=False)
    assert rows_for(parse_destination(event).outcome)[0]["prefetch"] is False  # type: ignore[arg-type]


def test_digests_carry_prefetch_and_older_digests_read_without_it() -> None:
    rows = [
        dict(row, ts=datetime(2026, 11, 27, 5, tzinfo=UTC))
        for row in rows_for(parse_probe_record(cx_record(prefetch=True)))
    ]
    (digest,) = digest_rows(rows)
    assert digest.prefetch is True
    wire = digest_wire.encode(digest)
    assert wire["pf"] is True and digest_wire.decode(wire).prefetch is True
    older = {k: v for k, v in wire.items() if k != "pf"}
    assert digest_wire.decode(older).prefetch is None
    merged = merge_digests([digest_wire.decode(older), digest])
    assert [d.prefetch for d in merged] == [True]
    plain = digest_rows(rows_for(parse_probe_record(load_event("probe_record_v1.json"))))
    assert "pf" not in digest_wire.encode(plain[0]) and plain[0].prefetch is None
