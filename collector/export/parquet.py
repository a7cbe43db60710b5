"""A small Parquet writer in pure Python: what the open data export needs, nothing more, no dependency.

Why not a library: the compactor publishes the files from the collector's zip, which holds boto3 and a pure
Python sketch and nothing compiled (contract §6). pyarrow with numpy would take the zip past Lambda's 250 MB
unzipped limit; fastparquet needs pandas and numpy (docs/reference/open-data.md has the sizes). The export
needs a small subset of the format, written here; the tests read what it writes with pyarrow (pandas) and
DuckDB.

The subset (Apache Parquet format 2, file metadata in Thrift's compact protocol):
- flat columns of INT64, INT32 (DATE), DOUBLE, BOOLEAN, BYTE_ARRAY (UTF-8 strings) and INT64 timestamps
  (microseconds, UTC), each REQUIRED or OPTIONAL (nulls as definition levels);
- one nested shape: an OPTIONAL LIST of REQUIRED DOUBLE (the three-level layout the format prescribes), for a
  row's warm samples;
- PLAIN encoding, levels in the RLE/bit-packed hybrid, one v1 data page per column chunk, GZIP (deterministic:
  no time in the header) or no compression; row groups as the caller cuts them, so a day streams.
"""

from __future__ import annotations

import gzip
import math
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, BinaryIO, Literal

MAGIC = b"PAR1"
CREATED_BY = "secret-latency-observatory collector.export"

Kind = Literal["string", "int64", "double", "bool", "timestamp", "date", "double_list"]

# Parquet's enums (parquet.thrift)
_TYPE = {"bool": 0, "int32": 1, "int64": 2, "double": 5, "byte_array": 6}
_PHYSICAL = {
    "string": "byte_array", "int64": "int64", "double": "double", "bool": "bool", "timestamp": "int64",
    "date": "int32", "double_list": "double",
}  # fmt: skip
_REQUIRED, _OPTIONAL, _REPEATED = 0, 1, 2
_PLAIN, _RLE = 0, 3
_UNCOMPRESSED, _GZIP = 0, 2
_DATA_PAGE = 0
_CONVERTED = {"string": 0, "double_list": 3, "date": 6, "timestamp": 10}  # UTF8, LIST, DATE, TIMESTAMP_MICROS
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1)


class ParquetError(ValueError):
    """A value that does not fit its column, or a writer used out of order."""


@dataclass(frozen=True)
class Column:
    """One column: its name, its kind, and whether it may hold nulls (a list column: a null list)."""

    name: str
    kind: Kind
    nullable: bool = True


# ------------------------------------------------------------------------------ Thrift compact protocol
# A struct is a list of (field id, type, value); None values are left out. Types: "i32", "i64", "bin", "bool",
# "struct" (value: a struct), "list:i32", "list:bin", "list:struct".
Field = tuple[int, str, Any]
_CTYPE = {"i32": 5, "i64": 6, "bin": 8, "struct": 12}


def _varint(out: bytearray, n: int) -> None:
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def _zigzag(n: int) -> int:
    return n << 1 if n >= 0 else ((-n) << 1) - 1


def _value(out: bytearray, kind: str, value: Any) -> None:
    if kind in ("i32", "i64"):
        _varint(out, _zigzag(int(value)))
    elif kind == "bin":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        _varint(out, len(raw))
        out += raw
    elif kind == "struct":
        _struct(out, value)
    else:
        raise ParquetError(f"thrift type {kind!r}")


def _struct(out: bytearray, fields: Sequence[Field]) -> None:
    last = 0
    for fid, kind, value in fields:
        if value is None:
            continue
        if kind == "bool":
            ctype = 1 if value else 2
        elif kind.startswith("list:"):
            ctype = 9
        else:
            ctype = _CTYPE[kind]
        delta = fid - last
        if 0 < delta <= 15:
            out.append((delta << 4) | ctype)
        else:
            out.append(ctype)
            _varint(out, _zigzag(fid))
        last = fid
        if kind.startswith("list:"):
            element = kind[5:]
            items = list(value)
            if len(items) < 15:
                out.append((len(items) << 4) | _CTYPE[element])
            else:
                out.append(0xF0 | _CTYPE[element])
                _varint(out, len(items))
            for item in items:
                _value(out, element, item)
        elif kind != "bool":
            _value(out, kind, value)
    out.append(0)  # stop


def thrift(fields: Sequence[Field]) -> bytes:
    """A struct in Thrift's compact protocol."""
    out = bytearray()
    _struct(out, fields)
    return bytes(out)


# ---------------------------------------------------------------------------------------- levels, values
def _bit_pack(values: Sequence[int], width: int) -> bytes:
    """Values packed LSB first, `width` bits each, padded to a whole number of groups of eight."""
    acc = 0
    for i, v in enumerate(values):
        acc |= v << (i * width)
    padded = -(-len(values) // 8) * 8
    return acc.to_bytes(padded * width // 8, "little")


def levels(values: Sequence[int], max_level: int) -> bytes:
    """Definition or repetition levels in the RLE/bit-packed hybrid, with their 4-byte length (data page v1):
    one RLE run when all are equal, else one bit-packed run."""
    width = max_level.bit_length()
    out = bytearray()
    if values and all(v == values[0] for v in values):
        _varint(out, len(values) << 1)
        out += values[0].to_bytes(-(-width // 8), "little")
    elif values:
        _varint(out, ((-(-len(values) // 8)) << 1) | 1)
        out += _bit_pack(values, width)
    return struct.pack("<I", len(out)) + bytes(out)


def _as_micros(value: Any) -> int:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise ParquetError("a timestamp must be a datetime or ISO-8601 text")
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _as_days(value: Any) -> int:
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise ParquetError("a date must be a date or YYYY-MM-DD text")
    return (value - _EPOCH_DAY).days


def _is_null(value: Any) -> bool:
    """None, NaN, and pandas' NA (without importing pandas: the Lambda has none)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return type(value).__name__ == "NAType"


def _plain(kind: Kind, values: Sequence[Any]) -> bytes:
    """Non-null values in PLAIN encoding."""
    if kind == "string":
        out = bytearray()
        for v in values:
            raw = str(v).encode("utf-8")
            out += struct.pack("<I", len(raw))
            out += raw
        return bytes(out)
    if kind in ("double", "double_list"):
        return struct.pack(f"<{len(values)}d", *(float(v) for v in values))
    if kind == "int64":
        return struct.pack(f"<{len(values)}q", *(int(v) for v in values))
    if kind == "timestamp":
        return struct.pack(f"<{len(values)}q", *(_as_micros(v) for v in values))
    if kind == "date":
        return struct.pack(f"<{len(values)}i", *(_as_days(v) for v in values))
    if kind == "bool":
        acc = 0
        for i, v in enumerate(values):
            acc |= int(bool(v)) << i
        return acc.to_bytes(-(-len(values) // 8), "little")
    raise ParquetError(f"unknown column kind {kind!r}")


def _page_body(column: Column, values: Sequence[Any]) -> tuple[bytes, int]:
    """A data page's uncompressed body (levels, then values) and its number of level entries."""
    if column.kind == "double_list":
        empty = 1 if column.nullable else 0  # the definition level of an empty list; a value's is one more
        reps: list[int] = []
        defs: list[int] = []
        flat: list[float] = []
        for value in values:
            if _is_null(value):
                if not column.nullable:
                    raise ParquetError(f"column {column.name!r} holds no nulls")
                reps.append(0)
                defs.append(0)
                continue
            items = [float(v) for v in value]
            if not items:
                reps.append(0)
                defs.append(empty)
                continue
            reps.extend([0] + [1] * (len(items) - 1))
            defs.extend([empty + 1] * len(items))
            flat.extend(items)
        body = levels(reps, 1) + levels(defs, empty + 1) + _plain("double_list", flat)
        return body, len(defs)
    present = [v for v in values if not _is_null(v)]
    if not column.nullable:
        if len(present) != len(values):
            raise ParquetError(f"column {column.name!r} holds no nulls")
        return _plain(column.kind, present), len(values)
    defs = [0 if _is_null(v) else 1 for v in values]
    return levels(defs, 1) + _plain(column.kind, present), len(values)


# -------------------------------------------------------------------------------------------- the schema
def _logical(kind: Kind) -> list[Field] | None:
    """The LogicalType union (parquet.thrift) of a kind, or None."""
    if kind == "string":
        return [(1, "struct", [])]  # STRING
    if kind == "date":
        return [(6, "struct", [])]  # DATE
    if kind == "timestamp":  # TIMESTAMP(isAdjustedToUTC = true, MICROS)
        return [(8, "struct", [(1, "bool", True), (2, "struct", [(2, "struct", [])])])]
    if kind == "double_list":
        return [(3, "struct", [])]  # LIST
    return None


def schema_elements(columns: Sequence[Column]) -> list[list[Field]]:
    """The flattened schema tree: the root, then each column (a list column as its three levels)."""
    elements: list[list[Field]] = [[(4, "bin", "schema"), (5, "i32", len(columns))]]
    for column in columns:
        repetition = _OPTIONAL if column.nullable else _REQUIRED
        if column.kind == "double_list":
            elements += [
                [(3, "i32", repetition), (4, "bin", column.name), (5, "i32", 1), (6, "i32", 3),
                 (10, "struct", _logical("double_list"))],
                [(3, "i32", _REPEATED), (4, "bin", "list"), (5, "i32", 1)],
                [(1, "i32", _TYPE["double"]), (3, "i32", _REQUIRED), (4, "bin", "element")],
            ]  # fmt: skip
            continue
        elements.append(
            [
                (1, "i32", _TYPE[_PHYSICAL[column.kind]]),
                (3, "i32", repetition),
                (4, "bin", column.name),
                (6, "i32", _CONVERTED.get(column.kind)),
                (10, "struct", _logical(column.kind)),
            ]
        )
    return elements


def _path(column: Column) -> list[str]:
    return [column.name, "list", "element"] if column.kind == "double_list" else [column.name]


# -------------------------------------------------------------------------------------------- the writer
class ParquetWriter:
    """Writes one Parquet file to `stream`: `write_rows` once per row group, then `close` (the footer).

    Rows are mappings from column name to value (a missing key is null). Nothing is buffered across row
    groups, so a caller streams a day of rows in groups of a few thousand."""

    def __init__(
        self,
        stream: BinaryIO,
        columns: Sequence[Column],
        *,
        compression: Literal["gzip", "none"] = "gzip",
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        names = [c.name for c in columns]
        if len(set(names)) != len(names) or not names:
            raise ParquetError("columns need distinct names, at least one")
        self._stream = stream
        self._columns = list(columns)
        self._codec = _GZIP if compression == "gzip" else _UNCOMPRESSED
        self._metadata = dict(metadata or {})
        self._row_groups: list[list[Field]] = []
        self._rows = 0
        self._closed = False
        stream.write(MAGIC)
        self._offset = len(MAGIC)

    @property
    def rows(self) -> int:
        """Rows written so far."""
        return self._rows

    def write_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """One row group of `rows` (an empty iterable writes nothing)."""
        if self._closed:
            raise ParquetError("the writer is closed")
        batch = list(rows)
        if not batch:
            return
        chunks: list[list[Field]] = []
        group_bytes = 0
        group_compressed = 0
        group_start = self._offset
        for column in self._columns:
            body, count = _page_body(column, [row.get(column.name) for row in batch])
            packed = gzip.compress(body, compresslevel=6, mtime=0) if self._codec == _GZIP else body
            header = thrift(
                [
                    (1, "i32", _DATA_PAGE),
                    (2, "i32", len(body)),
                    (3, "i32", len(packed)),
                    (
                        5,
                        "struct",
                        [(1, "i32", count), (2, "i32", _PLAIN), (3, "i32", _RLE), (4, "i32", _RLE)],
                    ),
                ]
            )
            start = self._offset
            self._stream.write(header)
            self._stream.write(packed)
            self._offset += len(header) + len(packed)
            uncompressed, compressed = len(header) + len(body), len(header) + len(packed)
            group_bytes += uncompressed
            group_compressed += compressed
            meta: list[Field] = [
                (1, "i32", _TYPE[_PHYSICAL[column.kind]]),
                (2, "list:i32", [_PLAIN, _RLE]),
                (3, "list:bin", _path(column)),
                (4, "i32", self._codec),
                (5, "i64", count),
                (6, "i64", uncompressed),
                (7, "i64", compressed),
                (9, "i64", start),
            ]
            chunks.append([(2, "i64", start), (3, "struct", meta)])
        self._row_groups.append(
            [
                (1, "list:struct", chunks),
                (2, "i64", group_bytes),
                (3, "i64", len(batch)),
                (5, "i64", group_start),
                (6, "i64", group_compressed),
            ]
        )
        self._rows += len(batch)

    def close(self) -> None:
        """Write the footer (schema, row groups, key-value metadata). The stream stays open."""
        if self._closed:
            return
        footer = thrift(
            [
                (1, "i32", 1),
                (2, "list:struct", schema_elements(self._columns)),
                (3, "i64", self._rows),
                (4, "list:struct", self._row_groups),
                (5, "list:struct", [[(1, "bin", k), (2, "bin", v)] for k, v in sorted(self._metadata.items())]
                 or None),
                (6, "bin", CREATED_BY),
            ]
        )  # fmt: skip
        self._stream.write(footer)
        self._stream.write(struct.pack("<I", len(footer)))
        self._stream.write(MAGIC)
        self._closed = True
