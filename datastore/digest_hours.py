"""Hourly digests of today in the table (contract §4b): each closed hour's digests, written and read back.

The same digests as a day's (`digesting.digest_rows(rows, "hour")`: `hours` 1), packed and sharded by the same
rules (`digest_table.pack_digests`, `shards_for`, `digest_shard`), under keys of their own:

- `pk` = `digest-hour#YYYY-MM-DD` (a day's hours: one Query), `sk` = `YYYY-MM-DDTHH#NN#iii` (the hour, the
  shard count, the shard). `d`, `meta` as for days. Digest items have no `day` attribute, so row reads (the
  `by_day` index) never see them, and no month partition of daily digests holds them.
- `expires_at` = the day's end + HOUR_DIGEST_RETENTION_DAYS. Hours are a shortcut for the day being read, not
  a record: once the day's own digest exists (built from the rows, not from its hours) readers take the day
  and never look at its hours, and DynamoDB's TTL removes them for free (no write units, unlike 24 × shards
  deletes a day; and a delete could not be one step with the day's write, so readers would have to prefer the
  day anyway). Until then — the first hour after midnight, or a compactor that missed runs — a closed day
  without its digest still reads as its hours plus the rows of the hours without one.
- Rewriting an hour is plain puts; a group of another shard count is deleted after (a reader takes the
  newest complete group, `digest_table.current_group`), exactly as for days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from .clients import READ_TIMEOUT_S, resolve
from .codec import as_day, item_size
from .digest import ProbeDigest
from .digest_table import current_group, shard_items, shards_for, unpack_wires
from .reads import query_all
from .schema import TableError

HOUR_PREFIX = "digest-hour#"
HOUR_DIGEST_RETENTION_DAYS = 3  # after the day's end: the day's digest has replaced them long before


def hour_start(value: datetime) -> datetime:
    """The full UTC hour that holds `value` (naive = UTC)."""
    at = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return at.replace(minute=0, second=0, microsecond=0)


def hour_pk(day: date | str) -> str:
    """The partition of one day's hourly digests: `digest-hour#YYYY-MM-DD`."""
    return f"{HOUR_PREFIX}{as_day(day).isoformat()}"


def hour_sk(hour: datetime, shards: int, shard: int) -> str:
    """The range key of one shard of one hour cut into `shards`: `2026-11-27T05#01#000`."""
    return f"{hour_start(hour):%Y-%m-%dT%H}#{shards:02d}#{shard:03d}"


def _hour_of(sk: str) -> datetime:
    return datetime.strptime(sk[:13], "%Y-%m-%dT%H").replace(tzinfo=UTC)


def hour_items(
    hour: datetime, digests: Sequence[ProbeDigest], *, computed_at: datetime, shards: int | None = None
) -> list[dict[str, Any]]:
    """The items of one hour's digests (empty shards too: the hour is known to hold nothing)."""
    hour = hour_start(hour)
    for digest in digests:
        if digest.start != hour or digest.hours != 1:
            raise TableError(f"digest of {digest.probe_key} is not one of the hour {hour:%Y-%m-%dT%H}")
    day = hour.date()
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    return shard_items(
        digests,
        shards or shards_for(digests),
        pk=hour_pk(day),
        sk=lambda count, shard: hour_sk(hour, count, shard),
        expires=int(end.timestamp()) + HOUR_DIGEST_RETENTION_DAYS * 86400,
        computed_at=computed_at,
        what=f"the hour {hour:%Y-%m-%dT%H}",
    )


@dataclass(frozen=True)
class HourWrite:
    """What write_hour_digests stored for one hour."""

    hour: datetime
    probes: int
    items: int
    bytes: int


def _day_items(client: Any, table_name: str, day: date, projection: str | None) -> list[dict[str, Any]]:
    request: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": hour_pk(day)}},
    }
    if projection:
        request["ProjectionExpression"] = projection
    return list(query_all(client, request))


def write_hour_digests(
    hour: datetime,
    digests: Sequence[ProbeDigest],
    *,
    client: Any = None,
    table_name: str | None = None,
    computed_at: datetime | None = None,
    shards: int | None = None,
) -> HourWrite:
    """Store one hour's digests with plain puts (recomputing replaces), then delete a superseded group."""
    client, table_name = resolve(client, table_name)
    hour = hour_start(hour)
    items = hour_items(hour, digests, computed_at=computed_at or datetime.now(UTC), shards=shards)
    written = {item["sk"]["S"] for item in items}
    prefix = f"{hour:%Y-%m-%dT%H}#"
    try:
        for item in items:
            client.put_item(TableName=table_name, Item=item)
        for old in _day_items(client, table_name, hour.date(), "pk, sk"):
            sk = old["sk"]["S"]
            if sk.startswith(prefix) and sk not in written:
                client.delete_item(TableName=table_name, Key={"pk": old["pk"], "sk": old["sk"]})
    except ClientError as exc:
        raise TableError(f"writing the digests of {prefix[:-1]} to {table_name} failed: {exc}") from exc
    return HourWrite(hour, len(digests), len(items), sum(item_size(i) for i in items))


def _by_hour(items: list[dict[str, Any]]) -> dict[datetime, tuple[datetime, list[dict[str, Any]]]]:
    """Each hour's newest complete group and when it was computed; hours without one are absent."""
    grouped: dict[datetime, list[dict[str, Any]]] = {}
    for item in items:
        grouped.setdefault(_hour_of(item["sk"]["S"]), []).append(item)
    out = {}
    for hour, hour_items_ in sorted(grouped.items()):
        current = current_group(hour_items_)
        if current is not None:
            out[hour] = current
    return out


def digested_hours(
    day: date | str, *, client: Any = None, table_name: str | None = None
) -> dict[datetime, datetime]:
    """The hours of `day` whose digests are complete, with when they were computed (keys and `meta` only)."""
    client, table_name = resolve(client, table_name, READ_TIMEOUT_S)
    try:
        items = _day_items(client, table_name, as_day(day), "pk, sk, meta")
    except ClientError as exc:
        raise TableError(
            f"reading the digested hours of {as_day(day)} from {table_name} failed: {exc}"
        ) from exc
    return {hour: computed for hour, (computed, _) in _by_hour(items).items()}


@dataclass(frozen=True)
class HourWires:
    """A digested hour: its digests in their wire form (`digest_wire`) and when they were computed."""

    hour: datetime
    computed_at: datetime
    wires: list[dict[str, Any]]


def read_hour_wires(day: date | str, *, client: Any = None, table_name: str | None = None) -> list[HourWires]:
    """The digested hours of `day`, oldest first, in wire form (one Query); an hour not (fully) digested is
    absent, so the caller reads its rows instead."""
    client, table_name = resolve(client, table_name, READ_TIMEOUT_S)
    try:
        items = _day_items(client, table_name, as_day(day), None)
    except ClientError as exc:
        raise TableError(
            f"reading the hourly digests of {as_day(day)} from {table_name} failed: {exc}"
        ) from exc
    return [
        HourWires(hour, computed, [w for item in group for w in unpack_wires(bytes(item["d"]["B"]))])
        for hour, (computed, group) in _by_hour(items).items()
    ]
