"""Re-export module, kept so `collector.table` stays importable: the table lives in the `datastore` package.

Schema `datastore.schema`, item codec `datastore.codec`, writes `datastore.writes`, reads `datastore.reads`,
digest items `datastore.digest_table`. New code imports those modules; nothing is defined here.
"""

from __future__ import annotations

from datastore.clients import resolve as _resolve
from datastore.codec import (
    NUMBER_DECIMALS,
    WARM_FORMAT_ZLIB_F64LE,
    format_ts,
    item_size,
    pack_warm,
    parse_ts,
    sort_key,
    to_item,
    unpack_warm,
)
from datastore.codec import from_item as _decode
from datastore.codec import number_text as _num
from datastore.digest_table import (
    DIGEST_FORMAT_ZLIB_JSON,
    DIGEST_ITEM_TARGET_BYTES,
    DIGEST_PREFIX,
    MAX_DIGEST_SHARDS,
    DigestDay,
    DigestWires,
    DigestWrite,
    digest_items,
    digest_pk,
    digest_shard,
    digest_sk,
    digested_days,
    pack_digests,
    read_digest_wires,
    read_digests,
    shards_for,
    unpack_digests,
    unpack_wires,
    write_digests,
)
from datastore.reads import days_between, empty_frame, iter_day_rows, read_rows, rows_to_frame
from datastore.schema import (
    ATTRIBUTE_COLUMNS,
    COLUMNS,
    DTYPES,
    FILTERABLE,
    FLOAT_COLUMNS,
    GSI_BY_DAY,
    INT_COLUMNS,
    MAX_ITEM_BYTES,
    MAX_READ_WORKERS,
    NULLABLE_INT_COLUMNS,
    PACKED_ATTRIBUTE,
    ROW_FORMAT,
    STRING_COLUMNS,
    TTL_ATTRIBUTE,
    Row,
    RowError,
    TableError,
    create_table,
    table_definition,
)
from datastore.writes import write_rows

__all__ = [
    "ATTRIBUTE_COLUMNS", "COLUMNS", "DIGEST_FORMAT_ZLIB_JSON", "DIGEST_ITEM_TARGET_BYTES", "DIGEST_PREFIX",
    "DTYPES", "FILTERABLE", "FLOAT_COLUMNS", "GSI_BY_DAY", "INT_COLUMNS", "MAX_DIGEST_SHARDS",
    "MAX_ITEM_BYTES", "MAX_READ_WORKERS", "NULLABLE_INT_COLUMNS", "NUMBER_DECIMALS", "PACKED_ATTRIBUTE",
    "ROW_FORMAT", "STRING_COLUMNS", "TTL_ATTRIBUTE", "WARM_FORMAT_ZLIB_F64LE", "DigestDay", "DigestWires",
    "DigestWrite", "Row", "RowError", "TableError", "_decode", "_num", "_resolve", "create_table",
    "days_between", "digest_items", "digest_pk", "digest_shard", "digest_sk", "digested_days", "empty_frame",
    "format_ts", "item_size", "iter_day_rows", "pack_digests", "pack_warm", "parse_ts", "read_digest_wires",
    "read_digests", "read_rows", "rows_to_frame", "shards_for", "sort_key", "table_definition", "to_item",
    "unpack_digests", "unpack_warm", "unpack_wires", "write_digests", "write_rows",
]  # fmt: skip
