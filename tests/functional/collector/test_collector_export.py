"""`python -m collector.export` against an in-process DynamoDB (moto): the files, what they hold, bad input.

The files are read back with pandas (pyarrow) and DuckDB only: no code from this project reads them."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import boto3
import duckdb
import numpy as np
import pandas as pd
import pytest

from collector import compactor
from collector.export import cli, files
from datastore import clients, reads, schema, writes
from datastore.schema import TableError

from .conftest import TABLE
from .test_collector_compactor import DAY1, DAY2, DAY3, at, write_day
from .test_collector_table import make_row

TODAY = DAY3 + timedelta(days=2)


def export(out: Path, first: date, last: date, *extra: str, today: date = TODAY) -> int:
    clients.reset_clients()
    argv = ["--table", TABLE, "--from", str(first), "--to", str(last), "--out", str(out), *extra]
    try:
        return cli.run(argv, today=today)
    except cli.ExportError as exc:  # as main() reports it
        print(f"export: {exc}")
        return exc.status


@pytest.fixture()
def two_days(ddb: Any) -> list[dict[str, Any]]:
    """DAY1 digested by the compactor; DAY2 rows only (not digested yet); DAY3 nothing."""
    rows = write_day(ddb, DAY1, invocations=6)
    compactor.compact_day(DAY1, client=ddb, table_name=TABLE, retention_days=30, now=at(DAY3, 12))
    late = [make_row(at(DAY2, 3), "d2-a", "ssm", probe_key="dict-256-arm64", strategy="dict", memory_mb=256,
                     architecture="arm64", warm_ms=[1.0, 2.0, 3.0], status="error", error_types="Boom",
                     throttled_periods=None, total_periods=None, prefetch=None)]  # fmt: skip
    writes.write_rows(late, client=ddb, table_name=TABLE)
    return rows + late


def test_an_export_holds_rows_and_digests_per_day_readable_by_pandas(
    two_days: list[dict[str, Any]], ddb: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "open-data"
    assert export(out, DAY1, DAY3) == 0
    err = capsys.readouterr().err
    assert "[1/3] 2026-11-25: 12 rows, 1 probes → 2 digest records (stored)" in err
    assert "[2/3] 2026-11-26: 1 rows, 1 probes → 1 digest records (computed from rows)" in err
    assert "[3/3] 2026-11-27: no rows, no digest" in err
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == [
        "README.md", "digests-csv/2026-11-25.csv", "digests-csv/2026-11-26.csv", "digests/2026-11-25.parquet",
        "digests/2026-11-26.parquet", "rows/2026-11-25.parquet", "rows/2026-11-26.parquet", "schema.json",
    ]  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["open-data"]  # no temporary folder left beside it

    got = pd.read_parquet(out / "rows" / "2026-11-25.parquet")
    want = reads.read_rows(DAY1, DAY2, client=ddb, table_name=TABLE)
    assert "value_sha256" not in got.columns
    assert list(got.columns) == [c for c in schema.COLUMNS if c != "value_sha256"]
    assert got["ts"].dt.tz is not None and list(got["ts"]) == list(want["ts"])
    assert [list(v) for v in got["warm_ms"]] == [list(v) for v in want["warm_ms"]]
    assert got["invocation_id"].tolist() == want["invocation_id"].tolist()
    assert got["throttled_periods"].tolist() == want["throttled_periods"].astype(int).tolist()

    digests = pd.read_parquet(out / "digests")  # a folder of days reads as one table
    assert len(digests) == 3 and set(digests["day"].astype(str)) == {"2026-11-25", "2026-11-26"}
    day1 = digests[digests["day"].astype(str) == "2026-11-25"].set_index("store")
    warm = [v for r in two_days[:12] if r["store"] == "ssm" for v in r["warm_ms"]]
    assert day1.loc["ssm", "warm_hit_n"] == len(warm) and day1.loc["ssm", "rows_ok"] == 6
    assert day1.loc["ssm", "warm_hit_p90_ms"] == pytest.approx(np.percentile(warm, 90), rel=0.01)
    assert day1.loc["ssm", "warm_hit_max_ms"] == max(warm)
    assert day1.loc["ssm", "invocations"] == 6 and day1.loc["secretsmanager", "invocations"] == 6
    day2 = digests[digests["day"].astype(str) == "2026-11-26"].iloc[0]
    assert (day2["probe_key"], day2["rows_error"], day2["error_types"]) == ("dict-256-arm64", 1, "Boom:1")
    assert pd.isna(day2["throttled_periods"])  # not measured stays null, never 0
    assert day2["warm_hit_p50_ms"] == pytest.approx(2.0, rel=0.01)

    with open(out / "digests-csv" / "2026-11-25.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [r["store"] for r in table] == ["secretsmanager", "ssm"]
    assert float(table[1]["warm_hit_p90_ms"]) == day1.loc["ssm", "warm_hit_p90_ms"]
    assert table[0]["cold_unknown"] == "0" and table[0]["first_hit_min_ms"] == ""  # null is an empty cell

    described = json.loads((out / "schema.json").read_text())["tables"]
    for table_name, frame in (("rows", got), ("digests", digests)):
        columns = described[table_name]["columns"]
        assert [c["name"] for c in columns] == list(frame.columns)
        assert all(c["unit"] and c["meaning"] for c in columns)
    readme = (out / "README.md").read_text()
    assert "1% relative accuracy" in readme and "DDSketch" in readme and "2 day(s) with data" in readme


def test_duckdb_reads_the_files_with_no_code_of_this_project(two_days: Any, tmp_path: Path) -> None:
    out = tmp_path / "open-data"
    assert export(out, DAY1, DAY2) == 0
    con = duckdb.connect()
    rows, samples = con.execute(f"SELECT count(*), sum(len(warm_ms)) FROM '{out}/rows/*.parquet'").fetchone()
    assert (rows, samples) == (13, sum(len(r["warm_ms"]) for r in two_days))
    per_store = con.execute(
        f"SELECT store, sum(rows) FROM '{out}/digests/*.parquet' GROUP BY store ORDER BY store"
    ).fetchall()
    assert per_store == [("secretsmanager", 6), ("ssm", 7)]
    assert con.execute(f"SELECT count(*) FROM read_csv_auto('{out}/digests-csv/*.csv')").fetchone() == (3,)
    types = {
        r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM '{out}/rows/2026-11-25.parquet'").fetchall()
    }
    assert types["ts"] == "TIMESTAMP WITH TIME ZONE" and types["warm_ms"] == "DOUBLE[]"


def test_digests_only_reads_rows_just_for_days_without_a_stored_digest(two_days: Any, tmp_path: Path) -> None:
    out = tmp_path / "digests-only"
    assert export(out, DAY1, DAY2, "--no-rows") == 0
    assert not (out / "rows").exists()
    assert sorted(p.name for p in (out / "digests").iterdir()) == ["2026-11-25.parquet", "2026-11-26.parquet"]


def test_a_range_with_no_data_says_so_and_writes_nothing(
    ddb: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "empty"
    assert export(out, DAY1, DAY2) == cli.NO_DATA
    assert (
        "no rows and no digests in slo-observations-test from 2026-11-25 to 2026-11-26"
        in capsys.readouterr().err
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        (DAY2, DAY1, "--to 2026-11-25 is before --from 2026-11-26"),
        (DAY1, TODAY + timedelta(days=3), "--to 2026-12-02 is in the future (UTC)"),
        (DAY1, TODAY, "--to 2026-11-29 is not closed yet (UTC): the last closed day is 2026-11-28"),
    ],
)
def test_a_bad_range_is_one_line_and_status_2(
    ddb: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], first: date, last: date, message: str
) -> None:
    assert export(tmp_path / "x", first, last) == 2
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and message in printed[0]
    assert list(tmp_path.iterdir()) == []


def test_a_missing_table_is_one_line_and_status_2(
    mocked: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("dynamodb", region_name="us-east-1")  # no table made
    assert export(tmp_path / "x", DAY1, DAY1) == 2
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed == [f"export: table '{TABLE}' does not exist in us-east-1"]
    assert list(tmp_path.iterdir()) == []


def test_an_out_folder_that_holds_files_is_refused(two_days: Any, tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "keep.txt").write_text("mine")
    assert export(tmp_path / "old", DAY1, DAY1) == 2
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["keep.txt"]
    (tmp_path / "empty").mkdir()
    assert export(tmp_path / "empty", DAY1, DAY1) == 0  # an empty folder is filled
    assert (tmp_path / "empty" / "README.md").exists()


def test_a_failure_half_way_leaves_nothing_that_looks_complete(
    two_days: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = reads.iter_day_rows
    seen: list[date] = []

    def failing(day: date, **kw: Any) -> Any:
        seen.append(day)
        if day == DAY2:
            yield next(iter(real(day, **kw)))
            raise TableError("the endpoint went away")
        yield from real(day, **kw)

    monkeypatch.setattr(files, "iter_day_rows", failing)
    with pytest.raises(TableError):
        export(tmp_path / "open-data", DAY1, DAY3)
    assert seen == [DAY1, DAY2]
    assert list(tmp_path.iterdir()) == []  # neither --out nor the folder it was built in
    clients.reset_clients()
    assert (
        cli.main(["--table", TABLE, "--from", str(DAY1), "--to", str(DAY1), "--out", str(tmp_path / "o")])
        == 0
    )


def test_help_names_every_variable_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in ("AWS_ENDPOINT_URL", "AWS_REGION, else AWS_DEFAULT_REGION", "AWS_PROFILE",
                 "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE",
                 "AWS_SHARED_CREDENTIALS_FILE",
                 "AWS_CA_BUNDLE"):  # fmt: skip
        assert name in text


def test_the_region_is_aws_region_before_aws_default_region(
    mocked: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = boto3.client("dynamodb", region_name="eu-west-1")
    schema.create_table(client, TABLE)
    write_day(client, DAY1)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert export(tmp_path / "eu", DAY1, DAY1) == 0
    assert (tmp_path / "eu" / "rows" / "2026-11-25.parquet").exists()
