"""Digest items in the table (datastore.digest_table): eight shards a day, plain puts, typed reads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from datastore import digest_table, reads, writes
from datastore.digesting import digest_rows

from .conftest import TABLE
from .test_collector_table import make_row

DAY = date(2026, 11, 25)
T = datetime(2026, 11, 25, 3, tzinfo=UTC)


def _rows(probe: str, n: int) -> list[dict[str, Any]]:
    return [make_row(T.replace(minute=i), f"{probe}-{i}", probe_key=probe) for i in range(n)]


def test_a_day_round_trips_and_a_rewrite_replaces_it(ddb: Any) -> None:
    rows = _rows("extension-128-x86_64", 3) + _rows("dict-128-x86_64", 2)
    digests = digest_rows(rows)
    written = digest_table.write_digests(DAY, digests, client=ddb, table_name=TABLE, computed_at=T)
    assert (written.probes, written.items) == (2, 1)
    (day,) = digest_table.read_digests(DAY, DAY, client=ddb, table_name=TABLE)
    assert day.day == DAY and day.computed_at == T
    assert [d.to_wire() for d in day.digests] == [
        d.to_wire() for d in sorted(digests, key=lambda d: d.probe_key)
    ]
    fewer = digest_rows(_rows("dict-128-x86_64", 2))
    digest_table.write_digests(DAY, fewer, client=ddb, table_name=TABLE, computed_at=T)
    (day,) = digest_table.read_digests(DAY, DAY, client=ddb, table_name=TABLE)
    assert [d.probe_key for d in day.digests] == ["dict-128-x86_64"]  # no stale probe left behind


def test_rows_and_digests_never_mix(ddb: Any) -> None:
    rows = _rows("extension-128-x86_64", 3)
    writes.write_rows(rows[:1], client=ddb, table_name=TABLE)
    writes.write_rows(rows[1:2], client=ddb, table_name=TABLE)
    writes.write_rows(rows[2:], client=ddb, table_name=TABLE)
    digest_table.write_digests(DAY, digest_rows(rows), client=ddb, table_name=TABLE)
    assert len(reads.read_rows(DAY, date(2026, 11, 26), client=ddb, table_name=TABLE)) == 3
    assert len(list(reads.iter_day_rows(DAY, client=ddb, table_name=TABLE))) == 3


def test_only_complete_days_count_as_digested(ddb: Any) -> None:
    digests = digest_rows(_rows("extension-128-x86_64", 1) + _rows("dict-128-x86_64", 1))
    digest_table.write_digests(DAY, digests, client=ddb, table_name=TABLE, shards=4)
    assert list(digest_table.digested_days(date(2026, 11, 24), DAY, client=ddb, table_name=TABLE)) == [DAY]
    ddb.delete_item(
        TableName=TABLE,
        Key={"pk": {"S": digest_table.digest_pk(DAY)}, "sk": {"S": digest_table.digest_sk(DAY, 4, 2)}},
    )
    assert digest_table.digested_days(DAY, DAY, client=ddb, table_name=TABLE) == {}
    assert digest_table.read_digests(DAY, DAY, client=ddb, table_name=TABLE) == []


def test_old_records_without_versions_still_load_and_new_ones_are_digested(ddb: Any) -> None:
    from collector.contract import parse_probe_record
    from collector.rows import rows_for
    from tests.conftest import load_event

    new = load_event("probe_record_v1.json")
    old = load_event("probe_record_v1.json")
    del old["identity"]["versions"]
    old["invocation_id"] = "old-record"
    for record in (old, new):
        writes.write_rows(rows_for(parse_probe_record(record)), client=ddb, table_name=TABLE)
    frame = reads.read_rows(date(2026, 11, 27), date(2026, 11, 28), client=ddb, table_name=TABLE)
    by_id = frame.set_index(["invocation_id", "store"])
    assert by_id.loc[(new["invocation_id"], "ssm"), "python_version"] == "3.11.7"
    assert by_id.loc[(new["invocation_id"], "ssm"), "library_version"] == "requests==2.34.2"
    assert by_id.loc[(new["invocation_id"], "ssm"), "build_digest"].startswith("sha256:")
    assert by_id.loc[("old-record", "ssm")].isna()["python_version"]  # null, not a made-up value
    (digest,) = digest_rows(reads.iter_day_rows(date(2026, 11, 27), client=ddb, table_name=TABLE))
    assert digest.seen["python_version"] == ["3.11.7"] and digest.seen["boto3_version"] == ["1.44.8"]


def test_a_malformed_version_is_refused() -> None:
    import pytest

    from collector.contract import InvalidRecordError, parse_probe_record
    from tests.conftest import load_event

    record = load_event("probe_record_v1.json")
    record["identity"]["versions"]["python"] = "3.11 <script>"
    with pytest.raises(InvalidRecordError, match=r"identity\.versions\.python"):
        parse_probe_record(record)


def test_a_range_of_days_across_months_is_one_query_per_month(ddb: Any) -> None:
    from datetime import timedelta

    first = date(2026, 10, 30)
    for back in range(5):  # 2026-10-30 … 2026-11-03
        day = first + timedelta(days=back)
        rows = [make_row(datetime(day.year, day.month, day.day, 3, tzinfo=UTC), f"inv-{back}")]
        digest_table.write_digests(day, digest_rows(rows), client=ddb, table_name=TABLE)
    queries: list[Any] = []
    real = ddb.query

    def counting(**kwargs: Any) -> Any:
        queries.append(kwargs)
        return real(**kwargs)

    ddb.query = counting
    days = digest_table.read_digests(date(2026, 10, 31), date(2026, 11, 2), client=ddb, table_name=TABLE)
    assert [d.day for d in days] == [date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)]
    assert sorted(q["ExpressionAttributeValues"][":pk"]["S"] for q in queries) == [
        "digest#2026-10",
        "digest#2026-11",
    ]


def test_a_day_rewritten_with_fewer_shards_leaves_no_stale_shard(ddb: Any) -> None:
    digests = digest_rows(_rows("extension-128-x86_64", 2) + _rows("dict-128-x86_64", 2))
    digest_table.write_digests(DAY, digests, client=ddb, table_name=TABLE, shards=4, computed_at=T)
    again = digest_table.write_digests(DAY, digests, client=ddb, table_name=TABLE)  # default: one item
    assert again.items == 1
    keys = [i["sk"]["S"] for i in ddb.scan(TableName=TABLE)["Items"] if i["pk"]["S"].startswith("digest#")]
    assert keys == [digest_table.digest_sk(DAY, 1, 0)]  # the 4-shard group is gone
    (day,) = digest_table.read_digests(DAY, DAY, client=ddb, table_name=TABLE)
    assert sorted(d.probe_key for d in day.digests) == ["dict-128-x86_64", "extension-128-x86_64"]
