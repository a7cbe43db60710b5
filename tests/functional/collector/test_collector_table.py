"""The table (datastore) against an in-process DynamoDB: table definition, idempotent writes, typed reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from datastore import clients, codec, reads, schema, writes

from .conftest import TABLE

T0 = datetime(2026, 11, 27, 5, 0, 0, 123456, tzinfo=UTC)


def make_row(
    ts: datetime = T0, invocation_id: str = "inv-1", store_name: str = "secretsmanager", **overrides: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ts": ts,
        "probe_key": "extension-128-x86_64",
        "invocation_id": invocation_id,
        "strategy": "extension",
        "store": store_name,
        "memory_mb": 128,
        "architecture": "x86_64",
        "runtime": "python3.11",
        "region": "us-east-1",
        "environment": "lab",
        "cpu_emulation": "cgroup-v1",
        "extension_layer": None,
        "status": "ok",
        "error_types": "",
        "error_phase": "",
        "cold_start": True,
        "cold_cause": "first_start",
        "client_init_ms": 12.75,
        "ready_wait_ms": 4.5,
        "cold_miss_ms": 61.3,
        "warm_n": 3,
        "warm_min_ms": 0.39,
        "warm_p50_ms": 0.41,
        "warm_p90_ms": 0.43,
        "warm_p99_ms": 0.6,
        "warm_max_ms": 0.7,
        "warm_mean_ms": 0.5,
        "warm_ms": [0.41, 0.39, 0.7],
        "cpu_time_ms": 48.2,
        "throttled_periods": 31,
        "total_periods": 40,
        "api_calls": 1,
        "value_sha256": "ab" * 32,
    }
    row.update(overrides)
    return row


def test_table_definition_matches_the_contract(ddb: Any) -> None:
    described = ddb.describe_table(TableName=TABLE)["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in described["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    (gsi,) = described["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "by_day"
    assert {k["AttributeName"]: k["KeyType"] for k in gsi["KeySchema"]} == {"day": "HASH", "sk": "RANGE"}
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    schema.create_table(ddb, TABLE)  # idempotent: a second call leaves the table alone


def test_round_trip_keeps_every_column_and_type(ddb: Any) -> None:
    rows = [make_row(), make_row(store_name="ssm", api_calls=None, extension_layer="arn:aws:lambda:x:1")]
    assert writes.write_rows(rows, client=ddb, table_name=TABLE) == 2
    frame = reads.read_rows(T0 - timedelta(hours=1), T0 + timedelta(hours=1), client=ddb, table_name=TABLE)
    assert list(frame.columns) == list(schema.COLUMNS)
    assert {c: str(t) for c, t in frame.dtypes.items()} == schema.DTYPES
    assert frame["store"].tolist() == ["secretsmanager", "ssm"]
    first = frame.iloc[0]
    assert first["ts"] == pd.Timestamp(T0)
    assert first["warm_ms"] == [0.41, 0.39, 0.7]
    assert first["memory_mb"] == 128 and first["api_calls"] == 1 and first["throttled_periods"] == 31
    assert bool(first["cold_start"]) is True
    assert pd.isna(frame.iloc[0]["extension_layer"])
    assert frame.iloc[1]["extension_layer"] == "arn:aws:lambda:x:1"
    assert pd.isna(frame.iloc[1]["api_calls"])
    item = ddb.get_item(
        TableName=TABLE,
        Key={"pk": {"S": "extension-128-x86_64"}, "sk": {"S": "2026-11-27T05:00:00.123456Z#inv-1#ssm"}},
    )["Item"]
    assert item["day"] == {"S": "2026-11-27"}
    assert int(item["expires_at"]["N"]) == int(T0.timestamp()) + 90 * 86400
    assert "B" in item["warm_ms"]


def test_cfs_counters_not_measured_round_trip_as_null(ddb: Any) -> None:
    aws = {"environment": "aws", "cpu_emulation": "aws", "throttled_periods": None, "total_periods": None}
    rows = [make_row(**aws), make_row(store_name="ssm", throttled_periods=0, total_periods=7)]
    assert writes.write_rows(rows, client=ddb, table_name=TABLE) == 2
    frame = reads.read_rows(T0 - timedelta(hours=1), T0 + timedelta(hours=1), client=ddb, table_name=TABLE)
    not_measured, measured = frame.iloc[0], frame.iloc[1]
    assert pd.isna(not_measured["throttled_periods"]) and pd.isna(not_measured["total_periods"])
    assert (measured["throttled_periods"], measured["total_periods"]) == (0, 7)  # a measured 0 stays 0
    assert str(frame["throttled_periods"].dtype) == str(frame["total_periods"].dtype) == "Int64"


def test_redelivery_writes_nothing_and_a_partial_record_is_completed(ddb: Any) -> None:
    rows = [make_row(), make_row(store_name="ssm")]
    assert writes.write_rows(rows, client=ddb, table_name=TABLE) == 2
    assert writes.write_rows(rows, client=ddb, table_name=TABLE) == 0
    assert writes.write_rows(rows[:1], client=ddb, table_name=TABLE) == 0
    ddb.delete_item(
        TableName=TABLE,
        Key={"pk": {"S": "extension-128-x86_64"}, "sk": {"S": codec.sort_key(T0, "inv-1", "ssm")}},
    )
    assert writes.write_rows(rows, client=ddb, table_name=TABLE) == 1
    assert ddb.scan(TableName=TABLE)["Count"] == 2


def test_empty_result_is_a_typed_empty_frame(ddb: Any) -> None:
    frame = reads.read_rows(T0, T0 + timedelta(days=1), client=ddb, table_name=TABLE)
    assert frame.empty and list(frame.columns) == list(schema.COLUMNS)
    assert {c: str(t) for c, t in frame.dtypes.items()} == schema.DTYPES
    assert reads.read_rows(T0, T0, client=ddb, table_name=TABLE).empty


def test_time_range_is_start_inclusive_end_exclusive_across_days(ddb: Any) -> None:
    times = [T0 - timedelta(days=2), T0 - timedelta(days=1), T0, T0 + timedelta(seconds=1)]
    for i, ts in enumerate(times):
        writes.write_rows([make_row(ts=ts, invocation_id=f"inv-{i}")], client=ddb, table_name=TABLE)
    frame = reads.read_rows(times[1], times[3], client=ddb, table_name=TABLE)
    assert frame["invocation_id"].tolist() == ["inv-1", "inv-2"]
    frame = reads.read_rows(times[0], times[3] + timedelta(microseconds=1), client=ddb, table_name=TABLE)
    assert frame["invocation_id"].tolist() == ["inv-0", "inv-1", "inv-2", "inv-3"]


def test_filters_and_one_probes_history(ddb: Any) -> None:
    rows = [
        make_row(invocation_id="a"),
        make_row(
            invocation_id="b",
            probe_key="sdk-1769-arm64",
            strategy="sdk",
            memory_mb=1769,
            architecture="arm64",
            environment="aws",
            region="eu-west-1",
        ),
        make_row(invocation_id="c", store_name="ssm"),
    ]
    for row in rows:
        writes.write_rows([row], client=ddb, table_name=TABLE)
    window = (T0 - timedelta(days=1), T0 + timedelta(days=1))

    def ids(**filters: Any) -> list[str]:
        return sorted(reads.read_rows(*window, client=ddb, table_name=TABLE, **filters)["invocation_id"])

    assert ids() == ["a", "b", "c"]
    assert ids(environment="aws") == ["b"]
    assert ids(strategy=["sdk", "dict"]) == ["b"]
    assert ids(store="ssm") == ["c"]
    assert ids(memory_mb=128) == ["a", "c"]
    assert ids(memory_mb=[1769, 256]) == ["b"]
    assert ids(architecture="arm64", region="eu-west-1") == ["b"]
    assert ids(region=[]) == []
    assert ids(probe_key="extension-128-x86_64") == ["a", "c"]
    assert ids(probe_key="extension-128-x86_64", store="ssm") == ["c"]


def test_reads_every_page(ddb: Any) -> None:
    big = [0.5] * 10_000  # ~80 KB packed: a handful of items fill a 1 MB page
    for i in range(40):
        writes.write_rows(
            [make_row(ts=T0 + timedelta(seconds=i), invocation_id=f"p{i:02d}", warm_ms=big)],
            client=ddb,
            table_name=TABLE,
        )
    frame = reads.read_rows(T0, T0 + timedelta(hours=1), client=ddb, table_name=TABLE)
    assert len(frame) == 40 and frame["warm_ms"].map(len).eq(10_000).all()
    assert (
        len(
            reads.read_rows(
                T0, T0 + timedelta(hours=1), probe_key="extension-128-x86_64", client=ddb, table_name=TABLE
            )
        )
        == 40
    )


def test_table_name_comes_from_the_environment(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_TABLE_NAME", TABLE)
    writes.write_rows([make_row()], client=ddb)
    assert len(reads.read_rows(T0, T0 + timedelta(seconds=1), client=ddb)) == 1
    monkeypatch.delenv("OBSERVATORY_TABLE_NAME")
    with pytest.raises(clients.ConfigError, match="OBSERVATORY_TABLE_NAME"):
        reads.read_rows(T0, T0 + timedelta(seconds=1), client=ddb)


def test_bad_rows_are_refused_before_any_write(ddb: Any) -> None:
    with pytest.raises(schema.RowError, match="invocation_id"):
        writes.write_rows([make_row(), make_row(invocation_id="")], client=ddb, table_name=TABLE)
    with pytest.raises(schema.RowError, match="finite"):
        writes.write_rows([make_row(cold_miss_ms=float("inf"))], client=ddb, table_name=TABLE)
    assert ddb.scan(TableName=TABLE)["Count"] == 0


def test_unknown_fields_never_reach_the_table(ddb: Any) -> None:
    row = make_row(secret_value="hunter2", fixture_value="hunter2")
    writes.write_rows([row], client=ddb, table_name=TABLE)
    assert "hunter2" not in repr(ddb.scan(TableName=TABLE)["Items"])


def test_oversized_or_colliding_rows_are_refused_before_any_write(ddb: Any) -> None:
    import random

    rng = random.Random(1)
    huge = [rng.random() for _ in range(60_000)]  # ~480 KB packed: over DynamoDB's 400 KB item limit
    with pytest.raises(schema.RowError, match="exceeds"):
        writes.write_rows(
            [make_row(), make_row(store_name="ssm", warm_ms=huge)], client=ddb, table_name=TABLE
        )
    with pytest.raises(schema.RowError, match="same key"):
        writes.write_rows([make_row(), make_row()], client=ddb, table_name=TABLE)
    assert ddb.scan(TableName=TABLE)["Count"] == 0


# ---- rows past expires_at (DynamoDB's TTL deletes them lazily, within days): never shown, never counted ----


def test_a_row_past_its_expires_at_is_not_read_though_dynamodb_still_holds_it(ddb: Any) -> None:
    writes.write_rows([make_row()], client=ddb, table_name=TABLE, retention_days=1)  # expires T0 + 1 day
    writes.write_rows([make_row(invocation_id="inv-2")], client=ddb, table_name=TABLE, retention_days=30)
    assert ddb.scan(TableName=TABLE)["Count"] == 2  # the expired item is still there (TTL is lazy)
    lo, hi = T0 - timedelta(hours=1), T0 + timedelta(hours=1)
    before = reads.read_rows(lo, hi, client=ddb, table_name=TABLE, now=T0 + timedelta(hours=23))
    assert before["invocation_id"].tolist() == ["inv-1", "inv-2"]
    after = reads.read_rows(lo, hi, client=ddb, table_name=TABLE, now=T0 + timedelta(days=2))
    assert after["invocation_id"].tolist() == ["inv-2"]
    one_probe = reads.read_rows(
        lo, hi, probe_key="extension-128-x86_64", client=ddb, table_name=TABLE, now=T0 + timedelta(days=2)
    )
    assert one_probe["invocation_id"].tolist() == ["inv-2"]
    # with a filter too: the expiry clause and the dimension filter hold together
    filtered = reads.read_rows(
        lo, hi, strategy="extension", client=ddb, table_name=TABLE, now=T0 + timedelta(days=2)
    )
    assert filtered["invocation_id"].tolist() == ["inv-2"]
    day_rows = list(reads.iter_day_rows(T0.date(), client=ddb, table_name=TABLE, now=T0 + timedelta(days=2)))
    assert [row["invocation_id"] for row in day_rows] == ["inv-2"]


def test_a_row_expiring_exactly_now_is_expired_and_one_without_expires_at_is_kept(ddb: Any) -> None:
    writes.write_rows([make_row()], client=ddb, table_name=TABLE, retention_days=1)
    item = codec.to_item(make_row(invocation_id="inv-old"))
    del item[schema.TTL_ATTRIBUTE]  # an item some older writer left without the attribute
    ddb.put_item(TableName=TABLE, Item=item)
    expiry = T0.replace(microsecond=0) + timedelta(days=1)
    lo, hi = T0 - timedelta(hours=1), T0 + timedelta(hours=1)
    frame = reads.read_rows(lo, hi, client=ddb, table_name=TABLE, now=expiry)
    assert frame["invocation_id"].tolist() == ["inv-old"]


def test_by_default_expiry_is_judged_by_the_clock(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads, "utc_now", lambda: T0 + timedelta(days=3))  # the tests' conftest pins it too
    writes.write_rows([make_row()], client=ddb, table_name=TABLE, retention_days=1)
    writes.write_rows([make_row(invocation_id="inv-2")], client=ddb, table_name=TABLE)
    frame = reads.read_rows(T0 - timedelta(hours=1), T0 + timedelta(hours=1), client=ddb, table_name=TABLE)
    assert frame["invocation_id"].tolist() == ["inv-2"]
    day_rows = reads.iter_day_rows(T0.date(), client=ddb, table_name=TABLE)
    assert [row["invocation_id"] for row in day_rows] == ["inv-2"]
