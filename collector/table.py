"""The observatory's table: its schema, idempotent writes and typed reads (contract §4).

This is the only module that touches DynamoDB. Writers (the collector, tests, the bench, the lab) and readers
(the dashboard) go through it, so the key layout, the index, the expiry attribute and the DataFrame columns
live here.

Table design
- `pk` (S, hash) = probe key, `sk` (S, range) = `{started_at}#{invocation_id}#{store}` with `started_at` as
  fixed-width ISO-8601 UTC (`2026-11-27T05:00:00.123456Z`), so "one probe's history over a time range" is one
  `Query` on `pk` with `sk BETWEEN`.
- GSI `by_day`: hash `day` (`YYYY-MM-DD` of `started_at`), range `sk`, projection ALL. "The whole fleet over a
  time range" is one `Query` per day partition (fetched concurrently), never a scan.
- `expires_at` (N, epoch seconds) is the TTL attribute: rows expire `retention_days` after `started_at`.
- Every name is snake_case and the same as its DataFrame column; dimensions are explicit, never parsed from a
  name. The filterable dimensions (strategy, memory_mb, architecture, store, environment, region) and status
  are attributes; the remaining columns are one compact JSON attribute `m`; `warm_ms` is packed binary (B: a
  format byte + zlib of little-endian float64s, exact round trip).
- One item per (invocation, store), written with `attribute_not_exists(pk)`, so a redelivered record never
  becomes two rows; a record's rows are checked together before the first write and rolled back together if
  DynamoDB refuses one, so an invalid record is never half-written (see write_rows).

Digests (`collector.digest`: one per probe and closed UTC day) live in the same table, packed:
- `pk` = `digest#YYYY-MM` (a month), `sk` = `YYYY-MM-DD#NN#iii`: the day, how many shards the day was cut
  into (NN, as few as keep each item near DIGEST_ITEM_TARGET_BYTES: 1 for the lab's fleet, 8 for 200 probes
  with heavy tails) and the shard (a probe goes to `sha256(probe_key) mod NN`). Recomputing a day with the
  same data puts the same items again (plain puts, idempotent); a day that needs another shard count is
  written as a new group, and the group it supersedes is deleted after (a reader takes the newest complete
  group, so a half-done rewrite is never read). A quarter of days is three Queries.
- `d` (B) = a format byte + zlib of the JSON list of the shard's digests; `meta` (S) = `computed_at|probes`;
  `expires_at` = the day's end plus the digests' own retention (years by default; rows keep theirs). Few
  attributes: the local endpoint serialises every attribute value of every item it returns.
- Digest items have no `day` attribute, so they never appear in the `by_day` index that row reads use.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from .aws import READ_TIMEOUT_S, WRITE_TIMEOUT_S, get_client
from .config import DEFAULT_DIGEST_RETENTION_DAYS, DEFAULT_RETENTION_DAYS, ConfigError, Settings
from .digest import DigestError, ProbeDigest
from .vocabulary import DEFAULT_TRACING

if TYPE_CHECKING:
    import pandas as pd

GSI_BY_DAY = "by_day"
TTL_ATTRIBUTE = "expires_at"
ROW_FORMAT = 1  # stored as `row_format`, so a later layout can be read next to this one
WARM_FORMAT_ZLIB_F64LE = 1
NUMBER_DECIMALS = 6  # milliseconds to the nanosecond; keeps every N inside DynamoDB's range and precision
MAX_READ_WORKERS = 8
MAX_ITEM_BYTES = 400 * 1024
DIGEST_PREFIX = "digest#"
DIGEST_ITEM_TARGET_BYTES = 100 * 1024  # a day's digests are cut into items of about this size
MAX_DIGEST_SHARDS = 64
DIGEST_FORMAT_ZLIB_JSON = 1

# The DataFrame read_rows returns: contract §4 columns, in order, with their dtypes.
STRING_COLUMNS = (
    "probe_key",
    "invocation_id",
    "strategy",
    "store",
    "architecture",
    "runtime",
    "tracing",
    "region",
    "environment",
    "cpu_emulation",
    "extension_layer",
    "status",
    "error_types",
    "error_phase",
    "cold_cause",
    "value_sha256",
    "python_version",
    "boto3_version",
    "botocore_version",
    "library_version",
    "build_digest",
    "host_cpu",
)
FLOAT_COLUMNS = (
    "client_init_ms",
    "ready_wait_ms",
    "cold_miss_ms",
    "warm_min_ms",
    "warm_p50_ms",
    "warm_p90_ms",
    "warm_p99_ms",
    "warm_max_ms",
    "warm_mean_ms",
    "cpu_time_ms",
    "host_ref_ms",
)
INT_COLUMNS = ("memory_mb", "warm_n")
NULLABLE_INT_COLUMNS = ("throttled_periods", "total_periods", "api_calls")
COLUMNS: tuple[str, ...] = (
    "ts",
    "probe_key",
    "invocation_id",
    "strategy",
    "store",
    "memory_mb",
    "architecture",
    "runtime",
    "tracing",
    "region",
    "environment",
    "cpu_emulation",
    "extension_layer",
    "status",
    "error_types",
    "error_phase",
    "cold_start",
    "cold_cause",
    "client_init_ms",
    "ready_wait_ms",
    "cold_miss_ms",
    "warm_n",
    "warm_min_ms",
    "warm_p50_ms",
    "warm_p90_ms",
    "warm_p99_ms",
    "warm_max_ms",
    "warm_mean_ms",
    "warm_ms",
    "cpu_time_ms",
    "throttled_periods",
    "total_periods",
    "api_calls",
    "value_sha256",
    # what can explain a shift (contract §3 identity.versions; null in rows of older records)
    "python_version",
    "boto3_version",
    "botocore_version",
    "library_version",
    "build_digest",
    # the lab host's CPU model and its reference workload's time (contract §3 identity.host; null on AWS)
    "host_cpu",
    "host_ref_ms",
)
DTYPES: dict[str, str] = {
    "ts": "datetime64[ns, UTC]",
    **dict.fromkeys(STRING_COLUMNS, "str"),
    **dict.fromkeys(FLOAT_COLUMNS, "float64"),
    **dict.fromkeys(INT_COLUMNS, "int64"),
    **dict.fromkeys(NULLABLE_INT_COLUMNS, "Int64"),
    "cold_start": "bool",
    "warm_ms": "object",
}
PACKED_ATTRIBUTE = "m"
# Columns stored as attributes of their own (filterable in DynamoDB); the rest are packed into `m`.
ATTRIBUTE_COLUMNS = ("strategy", "memory_mb", "architecture", "store", "environment", "region", "status")
FILTERABLE = {
    "environment": "S",
    "strategy": "S",
    "store": "S",
    "memory_mb": "N",
    "architecture": "S",
    "region": "S",
}

Row = dict[str, Any]
"""One table row as Python values, keyed by the COLUMNS names (`ts` a timezone-aware datetime)."""


class TableError(Exception):
    """A write or read against the table failed (after retries where the fault was transient)."""


class RowError(TableError):
    """A row handed to write_rows cannot be stored (missing key fields, wrong types)."""


# ----------------------------------------------------------------------------------------- keys and codecs
def format_ts(ts: datetime) -> str:
    """Fixed-width ISO-8601 UTC with microseconds: sorts lexically in time order."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str) -> datetime:
    """Inverse of format_ts (accepts any ISO-8601 with an offset)."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def sort_key(ts: datetime, invocation_id: str, store: str) -> str:
    """The range key of one (invocation, store) row."""
    return f"{format_ts(ts)}#{invocation_id}#{store}"


def pack_warm(samples: Sequence[float]) -> bytes:
    """Warm samples as a compact, exact binary: format byte + zlib(little-endian float64)."""
    raw = struct.pack(f"<{len(samples)}d", *samples)
    return bytes([WARM_FORMAT_ZLIB_F64LE]) + zlib.compress(raw, 6)


def unpack_warm(blob: bytes) -> list[float]:
    """Inverse of pack_warm."""
    if not blob:
        return []
    if blob[0] != WARM_FORMAT_ZLIB_F64LE:
        raise TableError(f"unknown warm_ms format byte {blob[0]}")
    raw = zlib.decompress(blob[1:])
    return list(struct.unpack(f"<{len(raw) // 8}d", raw))


def _num(value: float | int) -> str:
    """A DynamoDB N string: ints exact, floats rounded to NUMBER_DECIMALS (never NaN/inf)."""
    if isinstance(value, bool):
        raise RowError("a boolean is not a number")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise RowError("numbers must be finite")
    rounded = round(float(value), NUMBER_DECIMALS)
    return repr(rounded + 0.0)  # +0.0 turns -0.0 into 0.0


# ------------------------------------------------------------------------------------------------ table admin
def table_definition(table_name: str) -> dict[str, Any]:
    """The CreateTable request Terraform mirrors: keys, the by_day index, on-demand billing."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "day", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": GSI_BY_DAY,
                "KeySchema": [
                    {"AttributeName": "day", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


def create_table(client: Any, table_name: str) -> None:
    """Create the table as Terraform does (keys, GSI `by_day`, TTL on `expires_at`); no-op if it exists."""
    try:
        client.create_table(**table_definition(table_name))
    except client.exceptions.ResourceInUseException:
        return
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    client.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )


# ---------------------------------------------------------------------------------------------------- writing
def _resolve(client: Any, table_name: str | None, read_timeout: int = WRITE_TIMEOUT_S) -> tuple[Any, str]:
    if table_name is None:
        try:
            table_name = Settings.from_env().table_name
        except ConfigError as exc:
            raise ConfigError(f"{exc} (or pass table_name=)") from None
    return (client if client is not None else get_client("dynamodb", read_timeout=read_timeout)), table_name


def _json_value(name: str, value: Any) -> Any:
    if name in STRING_COLUMNS:
        if not isinstance(value, str):
            raise RowError(f"row {name!r} must be a string")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise RowError(f"row {name!r} is not valid UTF-8") from None
        return value
    if name == "cold_start":
        return bool(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RowError(f"row {name!r} must be a number")
    if name in FLOAT_COLUMNS:
        if not math.isfinite(value):
            raise RowError(f"row {name!r}: numbers must be finite")
        return round(float(value), NUMBER_DECIMALS) + 0.0
    return int(value)


def to_item(row: Mapping[str, Any], retention_days: int = DEFAULT_RETENTION_DAYS) -> dict[str, Any]:
    """A row's DynamoDB item (attribute-value form). Only COLUMNS are stored: an allow-list, nothing else.

    Keys, the filterable dimensions and `status` are attributes of their own; the other columns travel in
    one compact JSON attribute `m` and the warm samples in one binary `warm_ms`. Few attributes per item keep
    reads fast on the local endpoint, whose response serialisation costs per attribute.
    """
    for key in ("ts", "probe_key", "invocation_id", "store"):
        if row.get(key) in (None, ""):
            raise RowError(f"row is missing {key!r}")
    ts = row["ts"]
    if not isinstance(ts, datetime):
        raise RowError("row 'ts' must be a datetime")
    ts_utc = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    item: dict[str, Any] = {
        "pk": {"S": str(row["probe_key"])},
        "sk": {"S": sort_key(ts_utc, str(row["invocation_id"]), str(row["store"]))},
        "day": {"S": ts_utc.strftime("%Y-%m-%d")},
        TTL_ATTRIBUTE: {"N": str(int(ts_utc.timestamp()) + retention_days * 86400)},
        "row_format": {"N": str(ROW_FORMAT)},
    }
    packed: dict[str, Any] = {"ts": format_ts(ts_utc)}
    for name in COLUMNS:
        value = row.get(name)
        if name == "ts" or value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if name == "warm_ms":
            try:
                item[name] = {"B": pack_warm([float(v) for v in value])}
            except (TypeError, ValueError, struct.error) as exc:
                raise RowError("row 'warm_ms' must be a list of numbers") from exc
        elif name in ATTRIBUTE_COLUMNS:
            value = _json_value(name, value)
            item[name] = {"N": _num(value)} if name in INT_COLUMNS else {"S": value}
        else:
            packed[name] = _json_value(name, value)
    item[PACKED_ATTRIBUTE] = {
        "S": json.dumps(packed, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    }
    return item


def item_size(item: Mapping[str, Any]) -> int:
    """DynamoDB's size of an item in bytes (names + values), to refuse an oversized row before writing."""
    size = 0
    for name, attr in item.items():
        size += len(name.encode("utf-8"))
        if "S" in attr:
            size += len(attr["S"].encode("utf-8"))
        elif "B" in attr:
            size += len(attr["B"])
        elif "N" in attr:
            size += len(attr["N"].lstrip("-").replace(".", "")) // 2 + 2
        else:
            size += 1
    return size


def _put_if_absent(client: Any, table_name: str, item: dict[str, Any]) -> bool:
    """Put one item unless its key exists; True if written, False if it was already there (a redelivery)."""
    try:
        client.put_item(TableName=table_name, Item=item, ConditionExpression="attribute_not_exists(pk)")
        return True
    except client.exceptions.ConditionalCheckFailedException:
        return False
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "ValidationException":  # permanent: retrying the same item cannot help
            raise RowError(f"DynamoDB refused the row ({code})") from exc
        raise


def write_rows(
    rows: Sequence[Row],
    *,
    client: Any = None,
    table_name: str | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> int:
    """Write one invocation's rows idempotently; returns how many were new (0 on a redelivery).

    Every row is built and checked before the first write, then put with `attribute_not_exists(pk)`, so a
    redelivered record never becomes two rows and rows already there are skipped (a partly written record
    is completed). If DynamoDB refuses a row for good, the rows this call wrote are deleted again: a record
    is all in or all out. Throttling and network faults are retried by the client (standard mode, backoff)
    and then raised, so Lambda's retry writes the rest.

    Why not TransactWriteItems: a transaction costs twice the write units on AWS, and the local endpoint
    (moto) copies the whole table for every transaction, so the lab's collector would slow as its table grows.
    """
    if not rows:
        return 0
    client, table_name = _resolve(client, table_name)
    items = [to_item(row, retention_days) for row in rows]
    keys = [(item["pk"]["S"], item["sk"]["S"]) for item in items]
    if len(set(keys)) != len(keys):
        raise RowError("two rows of one record have the same key (same invocation and store)")
    for item in items:
        if item_size(item) > MAX_ITEM_BYTES:
            raise RowError(f"row of {item_size(item):,} bytes exceeds DynamoDB's {MAX_ITEM_BYTES:,}")
    written: list[dict[str, Any]] = []
    try:
        for item in items:
            if _put_if_absent(client, table_name, item):
                written.append(item)
    except RowError:
        for item in written:
            client.delete_item(TableName=table_name, Key={"pk": item["pk"], "sk": item["sk"]})
        raise
    return len(written)


# ---------------------------------------------------------------------------------------------------- reading
def _as_utc(value: datetime | date | str) -> datetime:
    if isinstance(value, str):
        return parse_ts(value)
    if not isinstance(value, datetime):  # a date: its midnight UTC
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def days_between(start: datetime, end: datetime) -> list[str]:
    """The `day` partitions that hold rows with start <= ts < end."""
    if end <= start:
        return []
    last = (end - timedelta(microseconds=1)).date()
    day = start.date()
    out = []
    while day <= last:
        out.append(day.isoformat())
        day += timedelta(days=1)
    return out


def _filter_expression(filters: Mapping[str, Any]) -> tuple[str | None, dict[str, str], dict[str, Any]]:
    clauses: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field, kind in FILTERABLE.items():
        wanted = filters.get(field)
        if wanted is None:
            continue
        options = [wanted] if isinstance(wanted, str | int) else list(wanted)
        if not options:
            return "attribute_not_exists(pk)", {}, {}  # an empty selection matches nothing
        names[f"#{field}"] = field
        placeholders = []
        for i, option in enumerate(options):
            key = f":{field}{i}"
            values[key] = {"N": str(int(option))} if kind == "N" else {"S": str(option)}
            placeholders.append(key)
        clauses.append(f"#{field} IN ({', '.join(placeholders)})")
    return (" AND ".join(clauses) or None), names, values


def _query_all(client: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    paginator = client.get_paginator("query")
    for page in paginator.paginate(**request):
        yield from page.get("Items", [])


def _decode(item: Mapping[str, Any]) -> Row:
    row: Row = dict.fromkeys(COLUMNS)
    if PACKED_ATTRIBUTE in item:
        row.update(json.loads(item[PACKED_ATTRIBUTE]["S"]))
    for name in ATTRIBUTE_COLUMNS:
        attr = item.get(name)
        if attr is not None:
            row[name] = int(attr["N"]) if "N" in attr else attr.get("S")
    blob = item.get("warm_ms")
    row["warm_ms"] = unpack_warm(bytes(blob["B"])) if blob else []
    if row["tracing"] is None:  # rows from before tracing was a dimension: the only mode there was
        row["tracing"] = DEFAULT_TRACING
    return row


def empty_frame() -> pd.DataFrame:
    """The DataFrame read_rows returns when nothing matches: every column, typed, no rows."""
    return rows_to_frame([])


def rows_to_frame(rows: Iterable[Row]) -> pd.DataFrame:
    """Decoded rows as the typed, tidy contract §4 DataFrame (sorted by ts, then probe key and store)."""
    import pandas as pd

    rows = list(rows)
    data: dict[str, Any] = {name: [row.get(name) for row in rows] for name in COLUMNS}
    data["tracing"] = [DEFAULT_TRACING if value is None else value for value in data["tracing"]]
    frame = pd.DataFrame({name: pd.Series(data[name], dtype="object") for name in COLUMNS})
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True, format="ISO8601").astype("datetime64[ns, UTC]")
    for name in STRING_COLUMNS:
        frame[name] = frame[name].astype("str")
    for name in FLOAT_COLUMNS:
        frame[name] = pd.to_numeric(frame[name]).astype("float64")
    for name in INT_COLUMNS:
        frame[name] = frame[name].fillna(0).astype("int64")
    for name in NULLABLE_INT_COLUMNS:
        frame[name] = frame[name].astype("Int64")
    frame["cold_start"] = frame["cold_start"].fillna(False).astype("bool")
    frame["warm_ms"] = pd.Series([list(v) if v is not None else [] for v in data["warm_ms"]], dtype="object")
    if len(frame):
        frame = frame.sort_values(["ts", "probe_key", "store"], kind="stable").reset_index(drop=True)
    return frame[list(COLUMNS)]


def read_rows(
    start: datetime | date | str,
    end: datetime | date | str,
    *,
    probe_key: str | None = None,
    environment: str | Iterable[str] | None = None,
    strategy: str | Iterable[str] | None = None,
    store: str | Iterable[str] | None = None,
    memory_mb: int | Iterable[int] | None = None,
    architecture: str | Iterable[str] | None = None,
    region: str | Iterable[str] | None = None,
    client: Any = None,
    table_name: str | None = None,
) -> pd.DataFrame:
    """Rows with start <= ts < end as the typed contract §4 DataFrame; empty (typed) when nothing matches.

    With `probe_key`: one probe's history (a Query on `pk`). Otherwise the whole fleet: one Query per `day`
    partition of the `by_day` index, partitions fetched concurrently, every page read. Each filter takes one
    value or a collection of values (matched with IN) and is applied by DynamoDB.
    """
    client, table_name = _resolve(client, table_name, READ_TIMEOUT_S)
    lo, hi = _as_utc(start), _as_utc(end)
    if hi <= lo:
        return empty_frame()
    filter_expr, names, values = _filter_expression(
        {
            "environment": environment,
            "strategy": strategy,
            "store": store,
            "memory_mb": memory_mb,
            "architecture": architecture,
            "region": region,
        }
    )

    def request(hash_name: str, hash_value: str, index: str | None) -> dict[str, Any]:
        req: dict[str, Any] = {
            "TableName": table_name,
            "KeyConditionExpression": "#h = :h AND #sk BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": {"#h": hash_name, "#sk": "sk", **names},
            "ExpressionAttributeValues": {
                ":h": {"S": hash_value},
                ":lo": {"S": format_ts(lo)},
                ":hi": {"S": format_ts(hi)},
                **values,
            },
        }
        if index:
            req["IndexName"] = index
        if filter_expr:
            req["FilterExpression"] = filter_expr
        return req

    # sk BETWEEN fmt(lo) AND fmt(hi): a row at exactly lo sorts after fmt(lo) ("…Z#id"), a row at exactly hi
    # sorts after fmt(hi) too, so the range is [lo, hi).
    if probe_key is not None:
        try:
            items = list(_query_all(client, request("pk", probe_key, None)))
        except Exception as exc:
            raise TableError(f"reading probe {probe_key!r} from {table_name} failed: {exc}") from exc
        return rows_to_frame(_decode(item) for item in items)

    days = days_between(lo, hi)

    def fetch(day: str) -> list[dict[str, Any]]:
        return list(_query_all(client, request("day", day, GSI_BY_DAY)))

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(MAX_READ_WORKERS, len(days)))) as pool:
            pages = list(pool.map(fetch, days))
    except Exception as exc:
        window = f"{format_ts(lo)} to {format_ts(hi)}"
        raise TableError(f"reading {table_name} from {window} failed: {exc}") from exc
    return rows_to_frame(_decode(item) for items in pages for item in items)


def iter_day_rows(day: date | str, *, client: Any = None, table_name: str | None = None) -> Iterator[Row]:
    """Every row of one UTC day, decoded page by page (the compactor streams a day without holding it)."""
    client, table_name = _resolve(client, table_name, READ_TIMEOUT_S)
    request = {
        "TableName": table_name,
        "IndexName": GSI_BY_DAY,
        "KeyConditionExpression": "#d = :d",
        "ExpressionAttributeNames": {"#d": "day"},
        "ExpressionAttributeValues": {":d": {"S": _day(day).isoformat()}},
    }
    try:
        for item in _query_all(client, request):
            yield _decode(item)
    except ClientError as exc:
        raise TableError(f"reading the rows of {_day(day)} from {table_name} failed: {exc}") from exc


# ---------------------------------------------------------------------------------------------------- digests
def _day(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def digest_pk(day: date | str) -> str:
    """The partition of a month's digests: `digest#YYYY-MM` (a quarter is three queries)."""
    return f"{DIGEST_PREFIX}{_day(day):%Y-%m}"


def digest_sk(day: date | str, shards: int, shard: int) -> str:
    """The range key of one shard of one day cut into `shards`: `YYYY-MM-DD#08#003`."""
    return f"{_day(day).isoformat()}#{shards:02d}#{shard:03d}"


def digest_shard(probe_key: str, shards: int) -> int:
    """The shard a probe's digest goes to: stable across processes and recomputations."""
    return int.from_bytes(hashlib.sha256(probe_key.encode()).digest()[:4], "big") % shards


def pack_digests(digests: Sequence[ProbeDigest]) -> bytes:
    """A shard's digests as a format byte + zlib(JSON)."""
    text = json.dumps([d.to_wire() for d in digests], separators=(",", ":"), allow_nan=False)
    return bytes([DIGEST_FORMAT_ZLIB_JSON]) + zlib.compress(text.encode(), 9)


def unpack_wires(blob: bytes) -> list[dict[str, Any]]:
    """A shard's digests in their wire form (`ProbeDigest.to_wire`), not decoded further."""
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
        return [ProbeDigest.from_wire(w) for w in unpack_wires(blob)]
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
    day = _day(day)
    for digest in digests:
        if digest.start.date() != day or digest.hours != 24:
            raise TableError(f"digest of {digest.probe_key} is not one of the day {day}")
    count = shards or shards_for(digests)
    by_shard: list[list[ProbeDigest]] = [[] for _ in range(count)]
    for digest in sorted(digests, key=lambda d: d.probe_key):
        by_shard[digest_shard(digest.probe_key, count)].append(digest)
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    expires = int(end.timestamp()) + retention_days * 86400
    items = []
    for shard, members in enumerate(by_shard):
        item = {
            "pk": {"S": digest_pk(day)},
            "sk": {"S": digest_sk(day, count, shard)},
            "meta": {"S": f"{format_ts(computed_at)}|{len(members)}"},
            "d": {"B": pack_digests(members)},
            TTL_ATTRIBUTE: {"N": str(expires)},
        }
        size = item_size(item)
        if size > MAX_ITEM_BYTES:
            raise TableError(
                f"digest shard {shard} of {day} is {size:,} bytes, above DynamoDB's {MAX_ITEM_BYTES:,}: "
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
    client, table_name = _resolve(client, table_name)
    at = computed_at or datetime.now(UTC)
    items = digest_items(day, digests, computed_at=at, retention_days=retention_days, shards=shards)
    written = {item["sk"]["S"] for item in items}
    try:
        for item in items:
            client.put_item(TableName=table_name, Item=item)
        before = _digest_items(client, table_name, _day(day), _day(day), "pk, sk").get(_day(day), [])
        for old in before:
            if old["sk"]["S"] not in written:
                client.delete_item(TableName=table_name, Key={"pk": old["pk"], "sk": old["sk"]})
    except ClientError as exc:
        raise TableError(f"writing the digests of {_day(day)} to {table_name} failed: {exc}") from exc
    sizes = [item_size(item) for item in items]
    return DigestWrite(_day(day), len(digests), len(items), sum(sizes), max(sizes))


@dataclass(frozen=True)
class DigestDay:
    """A digested day: its digests (one per probe) and when they were computed (the oldest shard's time)."""

    day: date
    computed_at: datetime
    digests: list[ProbeDigest]


@dataclass(frozen=True)
class DigestWires:
    """A digested day with its digests left in their wire form (`ProbeDigest.to_wire`), for readers that
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
        return list(_query_all(client, request))

    spans = _months(first, last)
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_READ_WORKERS, len(spans)))) as pool:
        found = [item for items in pool.map(month, spans) for item in items]
    by_day: dict[date, list[dict[str, Any]]] = {}
    for item in found:
        by_day.setdefault(date.fromisoformat(item["sk"]["S"][:10]), []).append(item)
    return by_day


def _computed(item: Mapping[str, Any]) -> datetime:
    return parse_ts(item["meta"]["S"].split("|", 1)[0])


def _current(items: list[dict[str, Any]]) -> tuple[datetime, list[dict[str, Any]]] | None:
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
    client, table_name = _resolve(client, table_name, READ_TIMEOUT_S)
    try:
        by_day = _digest_items(client, table_name, _day(first_day), _day(last_day), "pk, sk, meta")
    except ClientError as exc:
        raise TableError(f"reading digest days from {table_name} failed: {exc}") from exc
    out = {}
    for day, items in sorted(by_day.items()):
        current = _current(items)
        if current is not None:
            out[day] = current[0]
    return out


def read_digest_wires(
    first_day: date | str, last_day: date | str, *, client: Any = None, table_name: str | None = None
) -> list[DigestWires]:
    """Like read_digests, the digests left in their wire form (see DigestWires)."""
    client, table_name = _resolve(client, table_name, READ_TIMEOUT_S)
    try:
        by_day = _digest_items(client, table_name, _day(first_day), _day(last_day), None)
    except ClientError as exc:
        raise TableError(f"reading digests from {table_name} failed: {exc}") from exc
    out = []
    for day, items in sorted(by_day.items()):
        current = _current(items)
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
            digests = [ProbeDigest.from_wire(w) for w in day.wires]
        except (ValueError, KeyError, TypeError, DigestError) as exc:
            raise TableError(f"a digest of {day.day} cannot be read: {exc}") from exc
        out.append(DigestDay(day.day, day.computed_at, sorted(digests, key=lambda d: d.probe_key)))
    return out
