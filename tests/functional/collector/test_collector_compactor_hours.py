"""The compactor's hours step (today's closed hours) and the hourly digest items, against moto in process."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from collector import compactor
from collector.compactor_hours import compact_hour, hours_to_compact
from collector.config import CompactorSettings
from datastore import digest_hours, digest_wire, reads, writes
from datastore.digesting import digest_rows

from .conftest import TABLE
from .test_collector_table import make_row

DAY = date(2026, 11, 27)
SETTLE = 6 * 3600 + 900


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def write_hours(ddb: Any, hours: range, per_hour: int = 2, probe: str = "extension-128-x86_64") -> list[dict]:
    rows = []
    for hour in hours:
        for i in range(per_hour):
            inv = f"{probe}-{hour}-{i}"
            for store in ("secretsmanager", "ssm"):
                rows.append(
                    make_row(at(hour, 10 + 20 * i), inv, store, probe_key=probe, warm_ms=[hour + i, 9.0])
                )
    for i in range(0, len(rows), 2):
        writes.write_rows(rows[i : i + 2], client=ddb, table_name=TABLE)
    return rows


def in_hour(rows: list[dict], hour: int) -> list[dict]:
    return [r for r in rows if r["ts"].hour == hour and r["ts"].date() == DAY]


def test_a_scheduled_run_digests_todays_closed_hours_as_the_rows_say(ddb: Any) -> None:
    rows = write_hours(ddb, range(0, 6)) + write_hours(ddb, range(2, 4), probe="dict-128-x86_64")
    result = compactor.run(CompactorSettings(TABLE, catch_up_days=1), client=ddb, now=at(5, 30))
    # 05:xx is the open hour: hours 04 .. 00 are digested, newest first; 05 stays rows
    assert [h["hour"] for h in result["digested_hours"]] == [f"2026-11-27T{h:02d}" for h in (4, 3, 2, 1, 0)]
    assert [h["rows"] for h in result["digested_hours"]] == [4, 8, 8, 4, 4]
    hours = digest_hours.read_hour_wires(DAY, client=ddb, table_name=TABLE)
    assert [h.hour for h in hours] == [at(h) for h in range(5)]
    for h in hours:
        expected = [digest_wire.encode(d) for d in digest_rows(in_hour(rows, h.hour.hour), "hour")]
        assert sorted(h.wires, key=lambda w: w["p"]) == expected  # the same digests the rows make
        assert all(w["h"] == 1 and w["t0"].startswith(f"{h.hour:%Y-%m-%dT%H}") for w in h.wires)


def test_an_hour_is_recomputed_until_it_settles_so_a_late_row_counts(ddb: Any) -> None:
    write_hours(ddb, range(0, 3))
    settings = CompactorSettings(TABLE, settle_seconds=SETTLE, catch_up_days=1)
    compactor.run(settings, client=ddb, now=at(3, 5))
    late = make_row(at(1, 59), "late-one", "secretsmanager", warm_ms=[1.0])
    writes.write_rows([late], client=ddb, table_name=TABLE)  # an async retry lands later
    again = compactor.run(settings, client=ddb, now=at(4, 5))
    assert [h["hour"][-2:] for h in again["digested_hours"]] == ["03", "02", "01", "00"]  # none settled yet
    one = {h.hour: h for h in digest_hours.read_hour_wires(DAY, client=ddb, table_name=TABLE)}[at(1)]
    assert one.wires[0]["inv"][0] == 3
    # digested after it settled (02:00 + 6 h 15 min): left alone; before: recomputed
    assert hours_to_compact(at(9, 5), {at(1): at(8, 20)}, SETTLE)[-2:] == [at(2), at(0)]
    assert at(1) not in hours_to_compact(at(9, 5), {at(1): at(8, 20)}, SETTLE)
    assert at(1) in hours_to_compact(at(9, 5), {at(1): at(8, 10)}, SETTLE)
    assert hours_to_compact(at(0, 30), {}, SETTLE) == []  # just after midnight: no closed hour today yet


def test_an_hour_without_rows_is_digested_as_empty_and_row_reads_never_see_hour_items(ddb: Any) -> None:
    write_hours(ddb, range(1, 2))
    compactor.run(CompactorSettings(TABLE, catch_up_days=1), client=ddb, now=at(2, 1))
    hours = digest_hours.read_hour_wires(DAY, client=ddb, table_name=TABLE)
    assert [(h.hour, len(h.wires)) for h in hours] == [(at(0), 0), (at(1), 1)]  # known empty, not missing
    frame = reads.read_rows(at(0), at(3), client=ddb, table_name=TABLE)
    assert len(frame) == 4 and set(frame["probe_key"]) == {"extension-128-x86_64"}
    assert len(list(reads.iter_day_rows(DAY, client=ddb, table_name=TABLE))) == 4


def test_hour_items_have_their_own_keys_expire_after_the_day_and_a_regroup_is_cleaned_up(ddb: Any) -> None:
    rows = write_hours(ddb, range(3, 4))
    digests = digest_rows(rows, "hour")
    digest_hours.write_hour_digests(at(3), digests, client=ddb, table_name=TABLE, computed_at=at(4), shards=2)
    compact_hour(at(3), client=ddb, table_name=TABLE, now=at(5))  # one shard is enough: the 2-group goes
    items = ddb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "digest-hour#2026-11-27"}},
    )["Items"]
    assert [i["sk"]["S"] for i in items] == ["2026-11-27T03#01#000"]
    assert "day" not in items[0]  # never in the by_day index
    end_of_day = int(at(0, day=DAY + timedelta(days=1)).timestamp())
    assert int(items[0]["expires_at"]["N"]) == end_of_day + digest_hours.HOUR_DIGEST_RETENTION_DAYS * 86400
    assert digest_hours.digested_hours(DAY, client=ddb, table_name=TABLE) == {at(3): at(5)}
    with pytest.raises(compactor.CompactorError, match="not closed yet"):
        compact_hour(at(5), client=ddb, table_name=TABLE, now=at(5, 30))


def test_days_asked_for_do_no_hours_and_a_short_run_leaves_hours_for_the_next(ddb: Any) -> None:
    write_hours(ddb, range(0, 2))
    asked = compactor.run(CompactorSettings(TABLE), client=ddb, now=at(3), days=[DAY - timedelta(days=1)])
    assert "digested_hours" not in asked
    assert digest_hours.digested_hours(DAY, client=ddb, table_name=TABLE) == {}
    short = compactor.run(
        CompactorSettings(TABLE, catch_up_days=1), client=ddb, now=at(3), remaining_s=lambda: 10.0
    )
    assert short["digested_hours"] == []
    assert short["left_for_next_run"] == ["2026-11-26", "2026-11-27T02", "2026-11-27T01", "2026-11-27T00"]


def test_lab_status_says_how_many_of_todays_hours_are_digested(ddb: Any) -> None:
    from lab.cli.commands import digested_hours_line

    assert digested_hours_line(ddb, TABLE, now=at(5, 30)).startswith("0 of today's 5 closed hours digested;")
    write_hours(ddb, range(0, 2))
    compactor.run(CompactorSettings(TABLE, catch_up_days=1), client=ddb, now=at(3, 10))
    line = digested_hours_line(ddb, TABLE, now=at(5, 30))
    assert line == (
        "3 of today's 5 closed hours digested (latest 02:00, computed 03:10 UTC); "
        "the open hour is read as rows"
    )
