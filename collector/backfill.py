"""Recompute the digests of a range of closed days for an existing table: `python -m collector.backfill`.

For a table that had rows before the compactor existed, or after rows arrived later than the compactor waits
for. The endpoint comes from AWS_ENDPOINT_URL (unset: AWS), credentials and region the usual way.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from datastore.clients import READ_TIMEOUT_S, get_client
from datastore.schema import DEFAULT_DIGEST_RETENTION_DAYS, TableError

from .compactor import CompactorError, compact_day


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (YYYY-MM-DD)") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m collector.backfill",
        description="Recompute the daily digests of [--from, --to] (UTC days, inclusive) from the rows.",
        epilog="Endpoint: AWS_ENDPOINT_URL (the lab's, or unset for AWS); region and credentials as boto3 "
        "reads them (AWS_REGION, AWS_PROFILE, AWS_CA_BUNDLE for the lab's CA).",
    )
    parser.add_argument(
        "--table", required=True, help="the measurements table (terraform output dynamodb_table_name)"
    )
    parser.add_argument("--from", dest="first", type=_day, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument(
        "--to", dest="last", type=_day, required=True, help="last day, YYYY-MM-DD (before today)"
    )
    parser.add_argument(
        "--retention-days",
        type=int,
        default=DEFAULT_DIGEST_RETENTION_DAYS,
        help=f"how long the digests are kept (default {DEFAULT_DIGEST_RETENTION_DAYS}; Terraform's "
        "digest_retention_days)",
    )
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
    try:
        client = get_client("dynamodb", read_timeout=READ_TIMEOUT_S)
        rows = 0
        for number, day in enumerate(days, start=1):
            result = compact_day(
                day, client=client, table_name=args.table, retention_days=args.retention_days
            )
            rows += result.rows
            print(
                f"[{number}/{len(days)}] {day}: {result.rows:,} rows, {result.probes} probes → "
                f"{result.items} items, {result.bytes / 1024:.1f} KB "
                f"(largest {result.largest_item / 1024:.1f} KB) in {result.seconds:.1f} s",
                flush=True,
            )
    except (TableError, CompactorError, ClientError, BotoCoreError) as exc:
        print(f"backfill: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"digested {len(days)} day(s) of {args.table}: {rows:,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
