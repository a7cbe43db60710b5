"""Digests in the table (contract §4b): one day's digests packed into a few items, written and read back.

- `pk` = `digest#YYYY-MM` (a month), `sk` = `YYYY-MM-DD#NN#iii`: the day, how many shards the day was cut
  into (NN, as few as keep each item near DIGEST_ITEM_TARGET_BYTES: 1 for the lab's fleet, 8 for 200 probes
  with heavy tails) and the shard (a probe goes to `sha256(probe_key) mod NN`). Recomputing a day with the
  same data puts the same items again (plain puts, idempotent); a day that needs another shard count is
  written as a new group, and the group it supersedes is deleted after (a reader takes the newest complete
  group, so a half-done rewrite is never read). A quarter of days is three Queries.
- `d` (B) = a format byte + zlib of the JSON list of the shard's digests (`digest_wire`); `meta` (S) =
  `computed_at|probes`; `expires_at` = the day's end plus the digests' own retention (years by default; rows
  keep theirs). Few attributes: the local endpoint serialises every attribute value of every item it returns.
- Digest items have no `day` attribute, so they never appear in the `by_day` index that row reads use.
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from . import digest_wire
from .clients import READ_TIMEOUT_S, resolve
from .codec import as_day, format_ts, item_size, parse_ts
from .digest import DigestError, ProbeDigest
from .reads import query_all
from .schema import DEFAULT_DIGEST_RETENTION_DAYS, MAX_ITEM_BYTES, MAX_READ_WORKERS, TTL_ATTRIBUTE, TableError

DIGEST_PREFIX = "digest#"
DIGEST_ITEM_TARGET_BYTES = 100 * 1024  # a day's digests are cut into items of about this size
MAX_DIGEST_SHARDS = 64
DIGEST_FORMAT_ZLIB_JSON = 1


def digest_pk(day: date | str) -> str:
    """The partition of a month's digests: `digest#YYYY-MM` (a quarter is three queries)."""
    return f"{DIGEST_PREFIX}{as_day(day):%Y-%m}"


def digest_sk(day: date | str, shards: int, shard: int) -> str:
    """The range key of one shard of one day cut into `shards`: `YYYY-MM-DD#08#003`."""
    return f"{as_day(day).isoformat()}#{shards:02d}#{shard:03d}"


def digest_shard(probe_key: str, shards: int) -> int:
    """The shard a probe's digest goes to: stable across processes and recomputations."""
    return int.from_bytes(hashlib.sha256(probe_key.encode()).digest()[:4], "big") % shards


def pack_digests(digests: Sequence[ProbeDigest]) -> bytes:
    """A shard's digests as a format byte + zlib(JSON)."""
    text = json.dumps([digest_wire.encode(d) for d in digests], separators=(",", ":"), allow_nan=False)
    return bytes([DIGEST_FORMAT_ZLIB_JSON]) + zlib.compress(text.encode(), 9)


def unpack_wires(blob: bytes) -> list[dict[str, Any]]:
    """A shard's digests in their wire form (`digest_wire`), not decoded further."""
    if not blob or blob[0] != DIGEST_FORMAT_ZLIB_JSON:
        raise TableError(f"unknown digest format byte {blob[:1]!r}")
    try:
        wires = json.loads(zlib.decompress(blob[1:]))
    except (ValueError, zlib.error) as exc:
        raise TableError(f"a digest item cannot be read: {exc}") from exc
    if not isinstance(wires, list):
        raise TableError("a digest item holds no list of digests")
    return wires


def unpack_digests(blob: bytes) -> list[ProbeDigest]:
    """Inverse of pack_digests."""
    try:
        return [digest_wire.decode(w) for w in unpack_wires(blob)]
    except (ValueError, KeyError, TypeError, DigestError) as exc:
        raise TableError(f"a digest item cannot be read: {exc}") from exc


def shards_for(digests: Sequence[ProbeDigest]) -> int:
    """How many items a day's digests are cut into: about DIGEST_ITEM_TARGET_BYTES each (compressed)."""
    if not digests:
        return 1
    size = len(pack_digests(digests))
    return min(MAX_DIGEST_SHARDS, max(1, math.ceil(size / DIGEST_ITEM_TARGET_BYTES)))


def digest_items(
    day: date | str,
    digests: Sequence[ProbeDigest],
    *,
    computed_at: datetime,
    retention_days: int = DEFAULT_DIGEST_RETENTION_DAYS,
    shards: int | None = None,
) -> list[dict[str, Any]]:
    """The items of one day's digests: `shards` of them (default shards_for: empty ones too, so the day is
    known to hold nothing), each probe in its shard. Refuses an item DynamoDB would refuse."""
    day = as_day(day)
    for digest in digests:
        if digest.start.date() != day or digest.hours != 24:
            raise TableError(f"digest of {digest.probe_key} is not one of the day {day}")
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    return shard_items(
        digests,
        shards or shards_for(digests),
        pk=digest_pk(day),
        sk=lambda count, shard: digest_sk(day, count, shard),
        expires=int(end.timestamp()) + retention_days * 86400,
        computed_at=computed_at,
        what=str(day),
    )


def shard_items(
    digests: Sequence[ProbeDigest],
    count: int,
    *,
    pk: str,
    sk: Callable[[int, int], str],
    expires: int,
    computed_at: datetime,
    what: str,
) -> list[dict[str, Any]]:
    """`count` items under `pk` (empty ones too, so the day or hour is known to hold nothing), each probe's
    digest in its shard (`sk(count, shard)`); refuses an item DynamoDB would refuse, naming `what`."""
    by_shard: list[list[ProbeDigest]] = [[] for _ in range(count)]
    for digest in sorted(digests, key=lambda d: d.probe_key):
        by_shard[digest_shard(digest.probe_key, count)].append(digest)
    items = []
    for shard, members in enumerate(by_shard):
        item = {
            "pk": {"S": pk},
            "sk": {"S": sk(count, shard)},
            "meta": {"S": f"{format_ts(computed_at)}|{len(members)}"},
            "d": {"B": pack_digests(members)},
            TTL_ATTRIBUTE: {"N": str(expires)},
        }
        size = item_size(item)
        if size > MAX_ITEM_BYTES:
            raise TableError(
                f"digest shard {shard} of {what} is {size:,} bytes, above DynamoDB's {MAX_ITEM_BYTES:,}: "
                f"write more shards (shards=)"
            )
        items.append(item)
    return items


@dataclass(frozen=True)
class DigestWrite:
    """What write_digests stored for one day."""

    day: date
    probes: int
    items: int
    bytes: int
    largest_item: int


def write_digests(
    day: date | str,
    digests: Sequence[ProbeDigest],
    *,
    client: Any = None,
    table_name: str | None = None,
    retention_days: int = DEFAULT_DIGEST_RETENTION_DAYS,
    computed_at: datetime | None = None,
    shards: int | None = None,
) -> DigestWrite:
    """Store one day's digests with plain puts (the same day again replaces it: recomputable), then delete
    any group of items of that day cut into another number of shards (superseded)."""
    client, table_name = resolve(client, table_name)
    at = computed_at or datetime.now(UTC)
    items = digest_items(day, digests, computed_at=at, retention_days=retention_days, shards=shards)
    written = {item["sk"]["S"] for item in items}
    try:
        for item in items:
            client.put_item(TableName=table_name, Item=item)
        before = _digest_items(client, table_name, as_day(day), as_day(day), "pk, sk").get(as_day(day), [])
        for old in before:
            if old["sk"]["S"] not in written:
                client.delete_item(TableName=table_name, Key={"pk": old["pk"], "sk": old["sk"]})
    except ClientError as exc:
        raise TableError(f"writing the digests of {as_day(day)} to {table_name} failed: {exc}") from exc
    sizes = [item_size(item) for item in items]
    return DigestWrite(as_day(day), len(digests), len(items), sum(sizes), max(sizes))


@dataclass(frozen=True)
class DigestDay:
    """A digested day: its digests (one per probe) and when they were computed (the oldest shard's time)."""

    day: date
    computed_at: datetime
    digests: list[ProbeDigest]


@dataclass(frozen=True)
class DigestWires:
    """A digested day with its digests left in their wire form (`digest_wire.encode`), for readers that
    turn thousands of them into arrays (the dashboard) and need no objects in between."""

    day: date
    computed_at: datetime
    wires: list[dict[str, Any]]


def _months(first: date, last: date) -> list[tuple[date, date]]:
    """[first, last] cut at month ends: one digest partition each."""
    out = []
    lo = first
    while lo <= last:
        next_month = date(lo.year + lo.month // 12, lo.month % 12 + 1, 1)
        hi = min(last, next_month - timedelta(days=1))
        out.append((lo, hi))
        lo = next_month
    return out


def _digest_items(
    client: Any, table_name: str, first: date, last: date, projection: str | None
) -> dict[date, list[dict[str, Any]]]:
    """The digest items of [first, last] by day: one Query per month, months fetched concurrently."""

    def month(span: tuple[date, date]) -> list[dict[str, Any]]:
        lo, hi = span
        request: dict[str, Any] = {
            "TableName": table_name,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {
                ":pk": {"S": digest_pk(lo)},
                ":lo": {"S": f"{lo.isoformat()}#"},
                ":hi": {"S": f"{hi.isoformat()}#~"},
            },
        }
        if projection:
            request["ProjectionExpression"] = projection
        return list(query_all(client, request))

    spans = _months(first, last)
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_READ_WORKERS, len(spans)))) as pool:
        found = [item for items in pool.map(month, spans) for item in items]
    by_day: dict[date, list[dict[str, Any]]] = {}
    for item in found:
        by_day.setdefault(date.fromisoformat(item["sk"]["S"][:10]), []).append(item)
    return by_day


def _computed(item: Mapping[str, Any]) -> datetime:
    return parse_ts(item["meta"]["S"].split("|", 1)[0])


def current_group(items: list[dict[str, Any]]) -> tuple[datetime, list[dict[str, Any]]] | None:
    """The day's newest complete group of shards and when it was computed (its oldest shard's time); None
    when no group is complete (a write interrupted half-way leaves the day undigested)."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(int(item["sk"]["S"].split("#")[1]), []).append(item)
    complete = [
        (min(_computed(i) for i in group), group)
        for count, group in groups.items()
        if len({i["sk"]["S"] for i in group}) == count
    ]
    return max(complete, key=lambda c: c[0]) if complete else None


def digested_days(
    first_day: date | str, last_day: date | str, *, client: Any = None, table_name: str | None = None
) -> dict[date, datetime]:
    """The days in [first_day, last_day] whose digests are complete, with when they were computed.

    Reads only the keys and `meta`, not the digests (the compactor decides what to recompute from this).
    """
    client, table_name = resolve(client, table_name, READ_TIMEOUT_S)
    try:
        by_day = _digest_items(client, table_name, as_day(first_day), as_day(last_day), "pk, sk, meta")
    except ClientError as exc:
        raise TableError(f"reading digest days from {table_name} failed: {exc}") from exc
    out = {}
    for day, items in sorted(by_day.items()):
        current = current_group(items)
        if current is not None:
            out[day] = current[0]
    return out


def read_digest_wires(
    first_day: date | str, last_day: date | str, *, client: Any = None, table_name: str | None = None
) -> list[DigestWires]:
    """Like read_digests, the digests left in their wire form (see DigestWires)."""
    client, table_name = resolve(client, table_name, READ_TIMEOUT_S)
    try:
        by_day = _digest_items(client, table_name, as_day(first_day), as_day(last_day), None)
    except ClientError as exc:
        raise TableError(f"reading digests from {table_name} failed: {exc}") from exc
    out = []
    for day, items in sorted(by_day.items()):
        current = current_group(items)
        if current is not None:
            computed, group = current
            wires = [w for item in group for w in unpack_wires(bytes(item["d"]["B"]))]
            out.append(DigestWires(day, computed, wires))
    return out


def read_digests(
    first_day: date | str, last_day: date | str, *, client: Any = None, table_name: str | None = None
) -> list[DigestDay]:
    """The digested days in [first_day, last_day] (inclusive), oldest first; a day not (fully) digested yet
    is absent, so the caller reads its rows instead. One Query per month of days, months read concurrently."""
    out = []
    for day in read_digest_wires(first_day, last_day, client=client, table_name=table_name):
        try:
            digests = [digest_wire.decode(w) for w in day.wires]
        except (ValueError, KeyError, TypeError, DigestError) as exc:
            raise TableError(f"a digest of {day.day} cannot be read: {exc}") from exc
        out.append(DigestDay(day.day, day.computed_at, sorted(digests, key=lambda d: d.probe_key)))
    return out
