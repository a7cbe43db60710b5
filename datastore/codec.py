"""One row <-> one DynamoDB item (contract §4): keys, attributes, the packed columns, the warm samples.

The only place that spells an item's attribute layout for rows: `to_item` builds one (an allow-list: only
`schema.COLUMNS` are stored), `from_item` reads one back, `item_size` is DynamoDB's size of it. Pure: no I/O.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from .schema import (
    ATTRIBUTE_COLUMNS,
    COLUMNS,
    DEFAULT_RETENTION_DAYS,
    FLOAT_COLUMNS,
    INT_COLUMNS,
    NULLABLE_BOOL_COLUMNS,
    PACKED_ATTRIBUTE,
    ROW_FORMAT,
    STRING_COLUMNS,
    TTL_ATTRIBUTE,
    Row,
    RowError,
    TableError,
)
from .vocabulary import DEFAULT_TRACING

WARM_FORMAT_ZLIB_F64LE = 1
NUMBER_DECIMALS = 6  # milliseconds to the nanosecond; keeps every N inside DynamoDB's range and precision


def format_ts(ts: datetime) -> str:
    """Fixed-width ISO-8601 UTC with microseconds: sorts lexically in time order."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str) -> datetime:
    """Inverse of format_ts (accepts any ISO-8601 with an offset)."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_day(value: date | str) -> date:
    """A UTC day from a date, a datetime (naive = UTC) or `YYYY-MM-DD`."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


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


def number_text(value: float | int) -> str:
    """A DynamoDB N string: ints exact, floats rounded to NUMBER_DECIMALS (never NaN/inf)."""
    if isinstance(value, bool):
        raise RowError("a boolean is not a number")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise RowError("numbers must be finite")
    rounded = round(float(value), NUMBER_DECIMALS)
    return repr(rounded + 0.0)  # +0.0 turns -0.0 into 0.0


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
    if name in NULLABLE_BOOL_COLUMNS:
        if not isinstance(value, bool):
            raise RowError(f"row {name!r} must be a boolean")
        return value
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
            item[name] = {"N": number_text(value)} if name in INT_COLUMNS else {"S": value}
        else:
            packed[name] = _json_value(name, value)
    item[PACKED_ATTRIBUTE] = {
        "S": json.dumps(packed, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    }
    return item


def from_item(item: Mapping[str, Any]) -> Row:
    """Inverse of to_item: a row with every column (missing ones None, `ts` as its text)."""
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


def item_size(item: Mapping[str, Any]) -> int:
    """DynamoDB's size of an item in bytes (names + values), to refuse an oversized one before writing."""
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
