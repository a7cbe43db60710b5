"""The observatory's table (contract §4): its columns, its keys and index, its limits; `create_table`.

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
  format byte + zlib of little-endian float64s, exact round trip). How a row becomes an item: `codec`.
- One item per (invocation, store), written with `attribute_not_exists(pk)`, so a redelivered record never
  becomes two rows (`writes`). Rows are read back by `reads`.
- Digests (`digest`) live in the same table, packed into a few items per day (`digest_table`); they have no
  `day` attribute, so they never appear in the `by_day` index that row reads use.
"""

from __future__ import annotations

from typing import Any

GSI_BY_DAY = "by_day"
TTL_ATTRIBUTE = "expires_at"
PACKED_ATTRIBUTE = "m"
ROW_FORMAT = 1  # stored as `row_format`, so a later layout can be read next to this one
MAX_ITEM_BYTES = 400 * 1024
MAX_READ_WORKERS = 8
DEFAULT_RETENTION_DAYS = 90
DEFAULT_DIGEST_RETENTION_DAYS = 3650  # digests outlive rows: trends over years

# The DataFrame read_rows returns: contract §4 columns, in order, each with its dtype. Written once here;
# every list of columns below is derived from it.
COLUMN_TYPES: dict[str, str] = {
    "ts": "datetime64[ns, UTC]",
    "probe_key": "str",
    "invocation_id": "str",
    "strategy": "str",
    "store": "str",
    "memory_mb": "int64",
    "architecture": "str",
    "runtime": "str",
    "tracing": "str",
    # cloud_extensions' variant: its profile prefetches (True) or not (False); <NA> for other strategies and
    # in older rows (contract §3 identity.prefetch)
    "prefetch": "boolean",
    "region": "str",
    "environment": "str",
    "cpu_emulation": "str",
    "extension_layer": "str",
    "status": "str",
    "error_types": "str",
    "error_phase": "str",
    "cold_start": "bool",
    "cold_cause": "str",
    # the INIT phase of a cold start (contract §3 init_ms: process start to the end of INIT); null when warm
    # and in older rows
    "init_ms": "float64",
    "client_init_ms": "float64",
    "ready_wait_ms": "float64",
    "cold_miss_ms": "float64",
    # how the first fetch was made a miss (contract §3; null in rows of older records: `misses` judges them),
    # and the first fetch when it may have been a hit, with the cached entry's age
    "miss_guarantee": "str",
    "first_hit_ms": "float64",
    "cache_age_ms": "float64",
    # the SigV4 signing inside the cold miss and the warm hits' median (cloud_extensions; null otherwise)
    "sign_cold_ms": "float64",
    "sign_warm_p50_ms": "float64",
    "warm_n": "int64",
    "warm_min_ms": "float64",
    "warm_p50_ms": "float64",
    "warm_p90_ms": "float64",
    "warm_p99_ms": "float64",
    "warm_max_ms": "float64",
    "warm_mean_ms": "float64",
    "warm_ms": "object",
    "cpu_time_ms": "float64",
    "throttled_periods": "Int64",
    "total_periods": "Int64",
    "api_calls": "Int64",
    "value_sha256": "str",
    # what can explain a shift (contract §3 identity.versions; null in rows of older records)
    "python_version": "str",
    "boto3_version": "str",
    "botocore_version": "str",
    "library_version": "str",
    "build_digest": "str",
    "tracing_version": "str",  # the tracing library as name==version; null for `off`
    # the lab host's CPU model and its reference workload's time (contract §3 identity.host; null on AWS)
    "host_cpu": "str",
    "host_ref_ms": "float64",
}
COLUMNS: tuple[str, ...] = tuple(COLUMN_TYPES)
DTYPES: dict[str, str] = dict(COLUMN_TYPES)


def _of_type(dtype: str) -> tuple[str, ...]:
    return tuple(name for name, kind in COLUMN_TYPES.items() if kind == dtype)


STRING_COLUMNS = _of_type("str")
FLOAT_COLUMNS = _of_type("float64")
INT_COLUMNS = _of_type("int64")
NULLABLE_INT_COLUMNS = _of_type("Int64")
NULLABLE_BOOL_COLUMNS = _of_type("boolean")
# The dimensions read_rows filters on in DynamoDB (attribute type by column), in the order of the filter.
FILTERABLE: dict[str, str] = {
    name: "N" if COLUMN_TYPES[name] == "int64" else "S"
    for name in ("environment", "strategy", "store", "memory_mb", "architecture", "region")
}
# Columns stored as attributes of their own (filterable in DynamoDB); the rest are packed into `m`.
ATTRIBUTE_COLUMNS: tuple[str, ...] = (*FILTERABLE, "status")

Row = dict[str, Any]
"""One table row as Python values, keyed by the COLUMNS names (`ts` a timezone-aware datetime)."""


class TableError(Exception):
    """A write or read against the table failed (after retries where the fault was transient)."""


class RowError(TableError):
    """A row handed to write_rows cannot be stored (missing key fields, wrong types)."""


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
