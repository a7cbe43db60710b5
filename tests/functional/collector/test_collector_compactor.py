"""The compactor, the digest items and the backfill command against an in-process DynamoDB (moto)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from collector import backfill, compactor
from collector.config import CompactorSettings
from datastore import digest_table, reads, writes
from datastore.digesting import digest_rows

from .conftest import TABLE
from .test_collector_table import make_row

DAY1, DAY2, DAY3 = date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)
SETTLE = 6 * 3600 + 900


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def write_day(ddb: Any, day: date, invocations: int = 4, probe: str = "extension-128-x86_64") -> list[dict]:
    rows = []
    for i in range(invocations):
        for store in ("secretsmanager", "ssm"):
            rows.append(
                make_row(
                    at(day, 1 + i), f"{probe}-{day}-{i}", store, probe_key=probe, warm_ms=[20.0 + i, 40.0]
                )
            )
    for i in range(0, len(rows), 2):
        writes.write_rows(rows[i : i + 2], client=ddb, table_name=TABLE)
    return rows


def settings(**extra: Any) -> CompactorSettings:
    return CompactorSettings(TABLE, **extra)


def test_a_run_digests_every_closed_day_and_reads_back_what_the_rows_say(ddb: Any) -> None:
    rows = write_day(ddb, DAY1) + write_day(ddb, DAY2, probe="dict-128-x86_64")
    now = at(DAY3, 12)  # DAY1 and DAY2 have settled
    result = compactor.run(settings(catch_up_days=3), client=ddb, now=now)
    assert [d["day"] for d in result["digested"]] == ["2026-11-26", "2026-11-25", "2026-11-24"]
    assert [d["rows"] for d in result["digested"]] == [8, 8, 0]
    days = digest_table.read_digests(DAY1 - timedelta(days=1), DAY2, client=ddb, table_name=TABLE)
    assert [d.day for d in days] == [DAY1 - timedelta(days=1), DAY1, DAY2]
    assert days[0].digests == []  # a day without rows is digested as empty: known, not missing
    expected = digest_rows(rows[:8])[0].to_wire()
    assert days[1].digests[0].to_wire() == expected
    # nothing left to do once every day has settled and been digested after it settled
    assert (
        compactor.run(settings(catch_up_days=3), client=ddb, now=now + timedelta(hours=1))["digested"] == []
    )


def test_rows_reads_never_see_digest_items(ddb: Any) -> None:
    write_day(ddb, DAY1)
    compactor.run(settings(catch_up_days=1), client=ddb, now=at(DAY2, 12))
    frame = reads.read_rows(at(DAY1), at(DAY2), client=ddb, table_name=TABLE)
    assert len(frame) == 8 and set(frame["probe_key"]) == {"extension-128-x86_64"}


def test_yesterday_is_recomputed_until_it_settles_so_a_late_row_counts(ddb: Any) -> None:
    write_day(ddb, DAY1)
    early = at(DAY2, 1)
    compactor.run(settings(catch_up_days=1), client=ddb, now=early)
    late = make_row(at(DAY1, 23, 59), "late-one", "secretsmanager", warm_ms=[1.0])
    writes.write_rows([late], client=ddb, table_name=TABLE)  # an async retry lands hours later
    second = compactor.run(settings(catch_up_days=1), client=ddb, now=at(DAY2, 5))
    assert [d["rows"] for d in second["digested"]] == [9]
    (day,) = digest_table.read_digests(DAY1, DAY1, client=ddb, table_name=TABLE)
    assert day.digests[0].invocations == 5
    # digested before it settled (05:00 < 06:15): recomputed once more after, then left alone
    assert compactor.days_to_compact(at(DAY2, 7), {DAY1: day.computed_at}, 1, SETTLE) == [DAY1]
    assert compactor.days_to_compact(at(DAY2, 7), {DAY1: at(DAY2, 6, 30)}, 1, SETTLE) == []


def test_a_missed_day_is_caught_up_and_a_half_written_day_is_not_trusted(ddb: Any) -> None:
    write_day(ddb, DAY1)
    write_day(ddb, DAY2)
    compactor.run(settings(catch_up_days=2), client=ddb, now=at(DAY3, 12))
    ddb.delete_item(
        TableName=TABLE,
        Key={"pk": {"S": digest_table.digest_pk(DAY1)}, "sk": {"S": digest_table.digest_sk(DAY1, 1, 0)}},
    )
    assert set(digest_table.digested_days(DAY1, DAY2, client=ddb, table_name=TABLE)) == {DAY2}
    assert [d.day for d in digest_table.read_digests(DAY1, DAY2, client=ddb, table_name=TABLE)] == [DAY2]
    again = compactor.run(settings(catch_up_days=2), client=ddb, now=at(DAY3, 13))
    assert [d["day"] for d in again["digested"]] == ["2026-11-25"]


def test_recomputing_a_day_replaces_it(ddb: Any) -> None:
    write_day(ddb, DAY1)
    for _ in range(2):
        compactor.compact_day(DAY1, client=ddb, table_name=TABLE, retention_days=10, now=at(DAY2, 12))
    items = ddb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p AND begins_with(sk, :d)",
        ExpressionAttributeValues={":p": {"S": digest_table.digest_pk(DAY1)}, ":d": {"S": str(DAY1)}},
    )["Items"]
    assert digest_table.digest_pk(DAY1) == "digest#2026-11" and items[0]["sk"]["S"] == "2026-11-25#01#000"
    assert len(items) == 1  # one small probe: one item
    assert all(int(i["expires_at"]["N"]) == int(at(DAY2).timestamp()) + 10 * 86400 for i in items)
    with pytest.raises(compactor.CompactorError):
        compactor.compact_day(DAY2, client=ddb, table_name=TABLE, retention_days=10, now=at(DAY2, 12))


def test_the_handler_reads_its_settings_and_takes_days(ddb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    write_day(ddb, DAY1)
    monkeypatch.setenv("OBSERVATORY_TABLE_NAME", TABLE)
    result = compactor.handler({"days": ["2026-11-25"]}, None)
    assert [d["day"] for d in result["digested"]] == ["2026-11-25"]

    class ShortOfTime:
        def get_remaining_time_in_millis(self) -> int:
            return 10_000

    left = compactor.handler({"days": ["2026-11-25"]}, ShortOfTime())
    assert left == {"digested": [], "left_for_next_run": ["2026-11-25"]}
    with pytest.raises(compactor.CompactorError):
        compactor.handler({"days": "yesterday"}, None)


def test_backfill_recomputes_a_range_with_progress(ddb: Any, capsys: pytest.CaptureFixture[str]) -> None:
    write_day(ddb, DAY1)
    write_day(ddb, DAY2)
    code = backfill.main(["--table", TABLE, "--from", str(DAY1), "--to", str(DAY2)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "[1/2] 2026-11-25: 8 rows, 1 probes → 1 items" in out and "[2/2] 2026-11-26" in out
    assert set(digest_table.digested_days(DAY1, DAY2, client=ddb, table_name=TABLE)) == {DAY1, DAY2}


def test_backfill_says_what_is_wrong(ddb: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        backfill.main(["--table", TABLE, "--from", str(DAY2), "--to", str(DAY1)])
    assert "is before --from" in capsys.readouterr().err
    today = datetime.now(UTC).date()
    with pytest.raises(SystemExit):
        backfill.main(["--table", TABLE, "--from", str(today), "--to", str(today)])
    assert "not closed yet" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        backfill.main(["--table", TABLE, "--from", "yesterday", "--to", str(DAY1)])
    assert "is not a day" in capsys.readouterr().err
    assert backfill.main(["--table", "no-such-table", "--from", str(DAY1), "--to", str(DAY1)]) == 1
    assert "ResourceNotFoundException" in capsys.readouterr().err


def test_compactor_settings_from_the_environment() -> None:
    got = CompactorSettings.from_env(
        {
            "OBSERVATORY_TABLE_NAME": "t",
            "OBSERVATORY_DIGEST_RETENTION_DAYS": "365",
            "OBSERVATORY_DIGEST_SETTLE_SECONDS": "4500",
            "OBSERVATORY_DIGEST_CATCH_UP_DAYS": "3",
        }
    )
    assert got == CompactorSettings("t", 365, 4500, 3)
    assert CompactorSettings.from_env({"OBSERVATORY_TABLE_NAME": "t"}).digest_retention_days == 3650
    from collector.config import ConfigError

    for bad in (
        {},
        {"OBSERVATORY_TABLE_NAME": "t", "OBSERVATORY_DIGEST_CATCH_UP_DAYS": "0"},
        {"OBSERVATORY_TABLE_NAME": "t", "OBSERVATORY_DIGEST_SETTLE_SECONDS": "soon"},
    ):
        with pytest.raises(ConfigError):
            CompactorSettings.from_env(bad)


def test_a_digest_counts_the_rows_a_read_shows_at_the_same_instant(ddb: Any) -> None:
    """Rows past expires_at are in neither a read nor a digest; expiry is judged at the compactor's `now`."""
    kept = [make_row(at(DAY1, 1), "kept", store) for store in ("secretsmanager", "ssm")]
    expired = [make_row(at(DAY1, 2), "expired", store) for store in ("secretsmanager", "ssm")]
    late = [make_row(at(DAY1, 3), "expires-later", store) for store in ("secretsmanager", "ssm")]
    writes.write_rows(kept, client=ddb, table_name=TABLE, retention_days=90)
    writes.write_rows(expired, client=ddb, table_name=TABLE, retention_days=1)  # gone at DAY2 02:00
    writes.write_rows(late, client=ddb, table_name=TABLE, retention_days=3)  # gone at DAY1 + 3 days
    now = at(DAY2, 12)
    result = compactor.compact_day(DAY1, client=ddb, table_name=TABLE, retention_days=10, now=now)
    frame = reads.read_rows(at(DAY1), at(DAY2), client=ddb, table_name=TABLE, now=now)
    assert result.rows == len(frame) == 4
    (digest,) = digest_table.read_digests(DAY1, DAY1, client=ddb, table_name=TABLE)[0].digests
    assert digest.invocations == frame["invocation_id"].nunique() == 2


def test_the_dashboard_neither_shows_nor_counts_expired_rows_of_an_undigested_day_or_today(ddb: Any) -> None:
    from dashboard import data
    from dashboard.config import Settings

    now = at(DAY2, 12)
    for day, prefix in ((DAY1, "yesterday"), (DAY2, "today")):
        for hour, retention in ((1, 90), (2, 1)):  # the second expires 24 h after it was taken
            rows = [make_row(at(day, hour), f"{prefix}-{hour}", s) for s in ("secretsmanager", "ssm")]
            writes.write_rows(rows, client=ddb, table_name=TABLE, retention_days=retention)
    settings = Settings(TABLE, None, "us-east-1", None, None, 60, 3, None, 60)
    loaded = data.query(settings, client=ddb, now=now)
    assert loaded.row_days == (DAY1 - timedelta(days=1), DAY1, DAY2)  # no digest yet: every day from rows
    # yesterday's 02:00 invocation expired at today's 02:00; today's has not expired yet
    assert loaded.rows_read == 6
    assert int(loaded.frames.probes["invocations"].sum()) == 3
