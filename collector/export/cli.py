"""`python -m collector.export`: a range of closed UTC days of the table as open data files in a new folder.

The export is built in a hidden folder beside --out (`.NAME.partial-…`) and renamed to --out only when every
file is written, so an interrupted export never looks complete. Bad input (a range reversed or not yet closed,
an --out that holds files, a missing table, a setting to change) is one line on stderr and exit status 2; a
range with no data says so, writes nothing and exits 1; a failure while reading is one line and status 1.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from datastore.clients import region_from_env
from datastore.digest import DigestError
from datastore.digest_table import digested_days, read_digests
from datastore.schema import TableError

from ..cli_args import AWS_ENVIRONMENT, CommandError, day, dynamodb_client, run_command
from .files import DayExport, export_day, write_description

NO_DATA = 1
ENVIRONMENT = f"{AWS_ENVIRONMENT} Nothing else."


class ExportError(CommandError):
    """The export cannot run: the message says what to change; `status` is the exit status."""


def parser() -> argparse.ArgumentParser:
    """The command line."""
    out = argparse.ArgumentParser(
        prog="python -m collector.export",
        description="Export the rows and the daily digests of [--from, --to] (closed UTC days, inclusive) as "
        "open data: rows/DAY.parquet, digests/DAY.parquet and digests-csv/DAY.csv, schema.json and a README.",
        epilog="Exit status: 0 exported; 1 the range holds no data (nothing written) or reading failed; "
        "2 bad "
        f"input (a reversed or unclosed range, --out not empty, a missing table, a setting). {ENVIRONMENT}",
    )
    out.add_argument(
        "--table", required=True, help="the measurements table (terraform output dynamodb_table_name)"
    )
    out.add_argument("--from", dest="first", type=day, required=True, help="first day, YYYY-MM-DD")
    out.add_argument(
        "--to", dest="last", type=day, required=True, help="last day, YYYY-MM-DD (before today)"
    )
    out.add_argument("--out", type=Path, required=True, help="a new (or empty) folder for the files")
    out.add_argument(
        "--no-rows",
        action="store_true",
        help="only the digests (the rows hold every warm sample: far larger)",
    )
    return out


def check_range(first: date, last: date, today: date) -> list[date]:
    """The days of [first, last]; ExportError when reversed or reaching today or later (not closed)."""
    if last < first:
        raise ExportError(f"--to {last} is before --from {first}")
    if last > today:
        raise ExportError(
            f"--to {last} is in the future (UTC): the last closed day is {today - timedelta(days=1)}"
        )
    if last == today:
        raise ExportError(
            f"--to {last} is not closed yet (UTC): the last closed day is {today - timedelta(days=1)}"
        )
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def check_out(out: Path) -> None:
    """--out must be a new folder, or an empty one, in a folder that exists."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"--out {out} exists and is not an empty folder: name a new one")
    if not out.resolve().parent.is_dir():
        raise ExportError(f"--out {out}: its parent folder does not exist")


def _missing_table(exc: BaseException) -> bool:
    while exc is not None:
        if (
            isinstance(exc, ClientError)
            and exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException"
        ):
            return True
        exc = exc.__cause__  # type: ignore[assignment]
    return False


def _progress(number: int, total: int, result: DayExport, seconds: float, stream: TextIO) -> None:
    if result.empty:
        print(f"[{number}/{total}] {result.day}: no rows, no digest", file=stream, flush=True)
        return
    size = sum(result.files.values())
    print(
        f"[{number}/{total}] {result.day}: {result.rows:,} rows, {result.probes} probes → "
        f"{result.digest_records} digest records ({result.digest_source}), {len(result.files)} files, "
        f"{size / 1024:.1f} KB in {seconds:.1f} s",
        file=stream,
        flush=True,
    )


def run(argv: list[str] | None = None, *, today: date | None = None, stream: TextIO | None = None) -> int:
    """The export, progress on `stream` (stderr); ExportError for what the user must change."""
    stream = stream or sys.stderr
    args = parser().parse_args(argv)
    days = check_range(args.first, args.last, today or datetime.now(UTC).date())
    out: Path = args.out
    check_out(out)
    client = dynamodb_client(ExportError)
    try:  # keys and meta only: which days hold digests, and whether the table is there at all
        digested = digested_days(days[0], days[-1], client=client, table_name=args.table)
    except TableError as exc:
        if _missing_table(exc):
            where = region_from_env() or "the profile's region"
            raise ExportError(f"table {args.table!r} does not exist in {where}") from None
        raise
    build = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.resolve().parent))
    try:
        results = []
        for number, day in enumerate(days, start=1):
            started = time.monotonic()
            stored = None
            if day in digested:
                found = read_digests(day, day, client=client, table_name=args.table)
                stored = found[0].digests if found else None
            result = export_day(
                day, build, client=client, table_name=args.table, stored=stored, with_rows=not args.no_rows
            )
            results.append(result)
            _progress(number, len(days), result, time.monotonic() - started, stream)
        if all(r.empty for r in results):
            print(
                f"export: no rows and no digests in {args.table} from {days[0]} to {days[-1]}: "
                "nothing written",
                file=stream,
            )
            return NO_DATA
        write_description(build, first=days[0], last=days[-1], source=f"table {args.table}", days=results)
        if out.exists():
            out.rmdir()  # empty, checked above
        build.rename(out)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    files = sum(len(r.files) for r in results)
    rows = sum(r.rows for r in results)
    records = sum(r.digest_records for r in results)
    print(
        f"exported {len(days)} day(s) of {args.table} to {out}: {rows:,} rows, {records:,} digest records, "
        f"{files} data files",
        file=stream,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """The command; every error it knows ends as one line on stderr and a non-zero status."""
    return run_command(
        "export",
        lambda: run(argv),
        failures=(TableError, DigestError, ClientError, BotoCoreError, OSError),
        interrupted="nothing was left at --out",
    )
