"""`python -m collector.backfill` as a user meets it: the environment it names, bad settings, long ranges."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from collector import backfill
from datastore import clients, digest_table, schema

from .conftest import TABLE
from .test_collector_compactor import DAY1, write_day

YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)


class Terminal(io.StringIO):
    """Standard input that says it is a terminal, with the user's answer already typed."""

    def isatty(self) -> bool:
        return True


@pytest.fixture()
def eu_table(mocked: None) -> Any:
    """The table in eu-west-1 only, with one day of rows: a client in any other region finds no table."""
    client = boto3.client("dynamodb", region_name="eu-west-1")
    schema.create_table(client, TABLE)
    write_day(client, DAY1)
    return client


def run(*extra: str) -> int:
    clients.reset_clients()
    return backfill.main(["--table", TABLE, "--from", str(DAY1), "--to", str(DAY1), *extra])


@pytest.fixture(autouse=True)
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input is not a terminal unless a test says so (as under CI or a pipe)."""
    monkeypatch.setattr("sys.stdin", io.StringIO())


def typed(monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    """Standard input is a terminal where the user types `answer`."""
    monkeypatch.setattr("sys.stdin", Terminal(answer))


@pytest.mark.parametrize(
    "env",
    [
        {"AWS_REGION": "eu-west-1"},  # what --help names; boto3 alone reads only AWS_DEFAULT_REGION
        {"AWS_DEFAULT_REGION": "eu-west-1"},
        {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"},  # AWS_REGION first, as the dashboard
    ],
)
def test_the_region_comes_from_aws_region_then_aws_default_region(
    eu_table: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = run()
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert set(digest_table.digested_days(DAY1, DAY1, client=eu_table, table_name=TABLE)) == {DAY1}


def test_without_a_region_variable_the_profile_region_is_used(
    eu_table: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.write_text("[profile observatory]\nregion = eu-west-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[observatory]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "observatory")
    assert run() == 0, capsys.readouterr().err


@pytest.mark.parametrize(
    "url", ["http://[bad", "not a url", "localhost:4566", "http://", "ftp://x", "http://h:99999"]
)
def test_a_malformed_endpoint_is_one_line_and_status_2(
    mocked: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    assert run() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "AWS_ENDPOINT_URL" in err and "Traceback" not in err, err


def test_no_region_anywhere_is_one_line_and_status_2(
    mocked: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert run() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "AWS_REGION" in err, err


def test_the_help_names_every_variable_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        backfill.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CA_BUNDLE"):
        assert name in text, name
    assert "--yes" in text and str(backfill.ASK_ABOVE_DAYS) in text


@pytest.fixture()
def writes(monkeypatch: pytest.MonkeyPatch) -> list[date]:
    """Days the backfill digests (no table is touched): the test sees whether it wrote, and how much."""
    done: list[date] = []

    def compact_day(day: date, **_: Any) -> Any:
        done.append(day)
        return digest_table_result(day)

    monkeypatch.setattr(backfill, "compact_day", compact_day)
    return done


def digest_table_result(day: date) -> Any:
    from collector.compactor import DayResult

    return DayResult(day.isoformat(), 0, 0, 1, 100, 100, 0.0)


def test_an_unbounded_range_is_refused_without_a_terminal_or_yes(
    mocked: None, writes: list[date], capsys: pytest.CaptureFixture[str]
) -> None:
    code = backfill.main(["--table", TABLE, "--from", "0001-01-01", "--to", str(YESTERDAY)])
    err = capsys.readouterr().err
    days = (YESTERDAY - date(1, 1, 1)).days + 1
    assert writes == [], "wrote without asking"
    assert code == 2
    assert f"{days:,} days" in err and f"{days:,} digest writes" in err and "--yes" in err, err


@pytest.mark.parametrize("answer", ["n\n", "\n", "maybe\n", ""])
def test_a_long_range_asks_on_a_terminal_and_anything_but_yes_writes_nothing(
    mocked: None,
    writes: list[date],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
) -> None:
    first = YESTERDAY - timedelta(days=backfill.ASK_ABOVE_DAYS)  # one day above the threshold
    typed(monkeypatch, answer)
    code = backfill.main(["--table", TABLE, "--from", str(first), "--to", str(YESTERDAY)])
    err = capsys.readouterr().err
    assert writes == [] and code == 1
    assert f"{backfill.ASK_ABOVE_DAYS + 1} days" in err and "nothing written" in err, err


def test_a_long_range_runs_when_confirmed_or_with_yes(
    mocked: None, writes: list[date], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = YESTERDAY - timedelta(days=backfill.ASK_ABOVE_DAYS)
    argv = ["--table", TABLE, "--from", str(first), "--to", str(YESTERDAY)]
    typed(monkeypatch, "y\n")
    assert backfill.main(argv) == 0
    assert len(writes) == backfill.ASK_ABOVE_DAYS + 1
    writes.clear()
    monkeypatch.setattr("sys.stdin", io.StringIO())
    assert backfill.main([*argv, "--yes"]) == 0
    assert len(writes) == backfill.ASK_ABOVE_DAYS + 1
    capsys.readouterr()


def test_a_range_up_to_the_threshold_never_asks(
    mocked: None, writes: list[date], capsys: pytest.CaptureFixture[str]
) -> None:
    first = YESTERDAY - timedelta(days=backfill.ASK_ABOVE_DAYS - 1)
    argv = ["--table", TABLE, "--from", str(first), "--to", str(YESTERDAY)]
    assert backfill.main(argv) == 0
    assert len(writes) == backfill.ASK_ABOVE_DAYS
    capsys.readouterr()
