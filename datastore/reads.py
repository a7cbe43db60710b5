"""Reading rows back (contract §4): as the dashboard's typed DataFrame, or one by one for the compactor.

One probe's history is a Query on `pk`; the whole fleet is one Query per `day` partition of the `by_day`
index, partitions fetched concurrently, every page read. No scans. Items are decoded by `codec.from_item`.

A row past its `expires_at` is never returned: DynamoDB deletes expired items lazily (within a few days), and
until then a Query still finds them. Every read here filters them out (`attribute_not_exists(expires_at) OR
expires_at > now`, as AWS's TTL documentation suggests), so the dashboard, the compactor's digests and the
counts beside them see the same rows whenever DynamoDB's sweep runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from .clients import READ_TIMEOUT_S, resolve
from .codec import as_day, format_ts, from_item, parse_ts
from .schema import (
    COLUMNS,
    FILTERABLE,
    FLOAT_COLUMNS,
    GSI_BY_DAY,
    INT_COLUMNS,
    MAX_READ_WORKERS,
    NULLABLE_BOOL_COLUMNS,
    NULLABLE_INT_COLUMNS,
    STRING_COLUMNS,
    TTL_ATTRIBUTE,
    Row,
    TableError,
)
from .vocabulary import DEFAULT_TRACING

if TYPE_CHECKING:
    import pandas as pd


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


def utc_now() -> datetime:
    """The clock expiry is judged by when a caller passes no `now`."""
    return datetime.now(UTC)


def not_expired(now: datetime | None) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The filter clause (with its names and values) keeping items whose `expires_at` is after `now` (the
    clock when None), and items without one (nothing ever expires them)."""
    seconds = int(_as_utc(now if now is not None else utc_now()).timestamp())
    clause = "(attribute_not_exists(#expires_at) OR #expires_at > :now)"
    return clause, {"#expires_at": TTL_ATTRIBUTE}, {":now": {"N": str(seconds)}}


def _filter_expression(
    filters: Mapping[str, Any], now: datetime | None = None
) -> tuple[str | None, dict[str, str], dict[str, Any]]:
    clause, names, values = not_expired(now)
    clauses: list[str] = [clause]
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
    return " AND ".join(clauses), names, values


def query_all(client: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item a Query returns, page after page."""
    paginator = client.get_paginator("query")
    for page in paginator.paginate(**request):
        yield from page.get("Items", [])


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
    for name in NULLABLE_BOOL_COLUMNS:  # True/False, <NA> where a row does not say (older rows)
        frame[name] = frame[name].astype("boolean")
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
    now: datetime | None = None,
) -> pd.DataFrame:
    """Rows with start <= ts < end as the typed contract §4 DataFrame; empty (typed) when nothing matches.
    Rows past their `expires_at` at `now` (default: the clock) are left out.

    With `probe_key`: one probe's history (a Query on `pk`). Otherwise the whole fleet: one Query per `day`
    partition of the `by_day` index, partitions fetched concurrently, every page read. Each filter takes one
    value or a collection of values (matched with IN) and is applied by DynamoDB.
    """
    client, table_name = resolve(client, table_name, READ_TIMEOUT_S)
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
        },
        now,
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
            items = list(query_all(client, request("pk", probe_key, None)))
        except Exception as exc:
            raise TableError(f"reading probe {probe_key!r} from {table_name} failed: {exc}") from exc
        return rows_to_frame(from_item(item) for item in items)

    days = days_between(lo, hi)

    def fetch(day: str) -> list[dict[str, Any]]:
        return list(query_all(client, request("day", day, GSI_BY_DAY)))

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(MAX_READ_WORKERS, len(days)))) as pool:
            pages = list(pool.map(fetch, days))
    except Exception as exc:
        window = f"{format_ts(lo)} to {format_ts(hi)}"
        raise TableError(f"reading {table_name} from {window} failed: {exc}") from exc
    return rows_to_frame(from_item(item) for items in pages for item in items)


def iter_day_rows(
    day: date | str, *, client: Any = None, table_name: str | None = None, now: datetime | None = None
) -> Iterator[Row]:
    """Every row of one UTC day not past its `expires_at` at `now` (default: the clock), decoded page by page
    (the compactor streams a day without holding it)."""
    client, table_name = resolve(client, table_name, READ_TIMEOUT_S)
    expiry, names, values = not_expired(now)
    request = {
        "TableName": table_name,
        "IndexName": GSI_BY_DAY,
        "KeyConditionExpression": "#d = :d",
        "FilterExpression": expiry,
        "ExpressionAttributeNames": {"#d": "day", **names},
        "ExpressionAttributeValues": {":d": {"S": as_day(day).isoformat()}, **values},
    }
    try:
        for item in query_all(client, request):
            yield from_item(item)
    except ClientError as exc:
        raise TableError(f"reading the rows of {as_day(day)} from {table_name} failed: {exc}") from exc


def iter_hour_rows(
    hour: datetime, *, client: Any = None, table_name: str | None = None, now: datetime | None = None
) -> Iterator[Row]:
    """Every row of one UTC hour (`hour` its first instant) not past its `expires_at` at `now` (default: the
    clock), decoded page by page (the compactor's hours)."""
    client, table_name = resolve(client, table_name, READ_TIMEOUT_S)
    lo = _as_utc(hour)
    expiry, names, values = not_expired(now)
    request = {
        "TableName": table_name,
        "IndexName": GSI_BY_DAY,
        "KeyConditionExpression": "#d = :d AND #sk BETWEEN :lo AND :hi",  # [lo, hi): see read_rows
        "FilterExpression": expiry,
        "ExpressionAttributeNames": {"#d": "day", "#sk": "sk", **names},
        "ExpressionAttributeValues": {
            ":d": {"S": lo.date().isoformat()},
            ":lo": {"S": format_ts(lo)},
            ":hi": {"S": format_ts(lo + timedelta(hours=1))},
            **values,
        },
    }
    try:
        for item in query_all(client, request):
            yield from_item(item)
    except ClientError as exc:
        raise TableError(
            f"reading the rows of {format_ts(lo)[:13]}h from {table_name} failed: {exc}"
        ) from exc


# ---------------------------------------------------------------------------------------------------- digests
