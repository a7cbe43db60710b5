"""Recompute the digests of a range of closed days for an existing table: `python -m collector.backfill`.

For a table that had rows before the compactor existed, or after rows arrived later than the compactor waits
for. The endpoint comes from AWS_ENDPOINT_URL (unset: AWS), the region from AWS_REGION, then
AWS_DEFAULT_REGION, then the profile's; credentials the usual way. A range longer than ASK_ABOVE_DAYS asks
before it writes (on a terminal) or needs --yes: each day is one query of its rows and one digest write.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from datastore.schema import DEFAULT_DIGEST_RETENTION_DAYS, DEFAULT_RETENTION_DAYS, TableError

from . import cli_args
from .cli_args import AWS_ENVIRONMENT, CommandError
from .compactor import CompactorError, compact_day

# Above this many days the backfill says how much it will write and asks (or needs --yes): the rows'
# default retention, so a longer range reaches past the rows a default table still holds.
ASK_ABOVE_DAYS = DEFAULT_RETENTION_DAYS

NOT_CONFIRMED = 1


class BackfillError(CommandError):
    """The backfill cannot start: the message says what to change; `status` is the exit status."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m collector.backfill",
        description="Recompute the daily digests of [--from, --to] (UTC days, inclusive) from the rows.",
        epilog=f"A range of more than {ASK_ABOVE_DAYS} days (the rows' default retention) says how many "
        "days and digest writes it will make and asks on a terminal; without one it needs --yes. "
        + AWS_ENVIRONMENT,
    )
    parser.add_argument(
        "--table", required=True, help="the measurements table (terraform output dynamodb_table_name)"
    )
    parser.add_argument(
        "--from", dest="first", type=cli_args.day, required=True, help="first day, YYYY-MM-DD"
    )
    parser.add_argument(
        "--to", dest="last", type=cli_args.day, required=True, help="last day, YYYY-MM-DD (before today)"
    )
    parser.add_argument(
        "--retention-days",
        type=int,
        default=DEFAULT_DIGEST_RETENTION_DAYS,
        help=f"how long the digests are kept (default {DEFAULT_DIGEST_RETENTION_DAYS}; Terraform's "
        "digest_retention_days)",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help=f"write a range of more than {ASK_ABOVE_DAYS} days without asking",
    )
    return parser


def _confirm(days: list[date], yes: bool, stdin: TextIO) -> None:
    """Return when the range may be written; BackfillError when it is too long and not confirmed."""
    if len(days) <= ASK_ABOVE_DAYS or yes:
        return
    size = (
        f"{days[0]} … {days[-1]} is {len(days):,} days: {len(days):,} digest writes (one per day, each after "
        "a query of the day's rows)"
    )
    if not stdin.isatty():
        raise BackfillError(f"{size}; more than {ASK_ABOVE_DAYS} days needs --yes (no terminal to ask on)")
    print(f"backfill: {size}. Write them? [y/N] ", end="", file=sys.stderr, flush=True)
    line = stdin.readline()
    if not line.endswith("\n"):  # end of input: end the prompt's line
        print(file=sys.stderr)
    answer = line.strip().lower()
    if answer not in ("y", "yes"):
        raise BackfillError("not confirmed: nothing written", NOT_CONFIRMED)


def _run(argv: list[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    today = datetime.now(UTC).date()
    if args.last < args.first:
        parser.error(f"--to {args.last} is before --from {args.first}")
    if args.last >= today:
        parser.error(
            f"--to {args.last} is not closed yet: the last closed UTC day is {today - timedelta(days=1)}"
        )
    if args.retention_days < 1:
        parser.error("--retention-days must be at least 1")
    days = [args.first + timedelta(days=i) for i in range((args.last - args.first).days + 1)]
    _confirm(days, args.yes, sys.stdin)
    client = cli_args.dynamodb_client(BackfillError)
    rows = 0
    for number, day in enumerate(days, start=1):
        result = compact_day(day, client=client, table_name=args.table, retention_days=args.retention_days)
        rows += result.rows
        print(
            f"[{number}/{len(days)}] {day}: {result.rows:,} rows, {result.probes} probes → "
            f"{result.items} items, {result.bytes / 1024:.1f} KB "
            f"(largest {result.largest_item / 1024:.1f} KB) in {result.seconds:.1f} s",
            flush=True,
        )
    print(f"digested {len(days)} day(s) of {args.table}: {rows:,} rows")
    return 0


def main(argv: list[str] | None = None) -> int:
    """The command; every error it knows ends here as one line on stderr and a non-zero status."""
    return cli_args.run_command(
        "backfill",
        lambda: _run(argv),
        failures=(TableError, CompactorError, ClientError, BotoCoreError, OSError),
        interrupted="the days listed above are digested, the rest are not",
    )


if __name__ == "__main__":
    sys.exit(main())
