"""Loading for the dashboard: only through the data layer (`datastore`), cached once per TTL.

Every page but Runs works from digests: closed days' daily digests (`datastore.digest_table`); today as the
compactor's hourly digests of its closed hours (`datastore.digest_hours`) plus the rows of the open hour
(`hourly`); a closed day the compactor has not digested yet per hour the same way if it has any hours, else
from its rows. Rows are digested here as the compactor digests them (`datastore.digesting.digest_rows`).
`query` is the plain, uncached read (the bench times it); `load` caches closed days for 15 minutes and today
for the configured TTL, so page changes, filters and chart options never query again. Runs reads rows of the
window it shows (`load_rows`), never digests. Failures become a `DataLoadError` with a message and a hint a
person can act on, never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from datastore import digest_hours, digest_table, digest_wire, reads
from datastore.clients import ConfigError as TableConfigError
from datastore.digesting import digest_rows
from datastore.schema import MAX_READ_WORKERS

from . import hourly, variants
from .config import PRICES_PATH, SEED_PATH, Settings
from .config import ConfigError as DashboardConfigError
from .digests import DigestFrames, concat, to_frames, wires_to_frames
from .labels import DEFAULT_TRACING
from .load_messages import credentials_message, missing_index_message, names_missing_index
from .threads import side_by_side

UNREACHABLE = "unreachable"
CREDENTIALS = "credentials"
MISSING_TABLE = "missing_table"
MISSING_INDEX = "missing_index"
CONFIG = "config"
OTHER = "other"

_CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "ExpiredToken",
        "AccessDeniedException",
        "AccessDenied",
        "InvalidClientTokenId",
        "MissingAuthenticationToken",
        "IncompleteSignature",
    }
)


class DataLoadError(Exception):
    """The rows could not be loaded; `kind` says why, `hint` says what to do."""

    def __init__(self, kind: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint


def make_client(endpoint_url: str | None, region: str, ca_bundle: str | None, profile: str | None) -> Any:
    """A DynamoDB client that fails fast when the endpoint is down (short timeouts, two attempts)."""
    import boto3
    from botocore.config import Config

    session = boto3.Session(profile_name=profile, region_name=region)
    return session.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        verify=ca_bundle if ca_bundle else None,
        config=Config(
            connect_timeout=3,
            read_timeout=30,
            retries={"mode": "standard", "max_attempts": 2},
            max_pool_connections=MAX_READ_WORKERS,
        ),
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def classify(exc: BaseException, settings: Settings) -> DataLoadError:
    """Turn whatever the store or botocore raised into a DataLoadError a person can act on."""
    from botocore import exceptions as bce

    where = settings.where
    for err in _chain(exc):
        if isinstance(
            err,
            bce.EndpointConnectionError
            | bce.ConnectTimeoutError
            | bce.ReadTimeoutError
            | bce.ConnectionClosedError
            | bce.SSLError
            | ConnectionError,
        ):
            hint = (
                "Start the lab with `make up`, or point AWS_ENDPOINT_URL at a running endpoint "
                "(unset it to read from AWS)."
                if settings.endpoint_url
                else "Check the network and AWS_REGION."
            )
            if isinstance(err, bce.SSLError):
                hint = (
                    "The endpoint's TLS certificate is not trusted: set AWS_CA_BUNDLE to the lab's CA file."
                )
            return DataLoadError(UNREACHABLE, f"Cannot reach the AWS endpoint for {where}.", hint)
        if isinstance(err, bce.NoCredentialsError | bce.PartialCredentialsError | bce.ProfileNotFound):
            message, hint = credentials_message(err, settings)
            return DataLoadError(CREDENTIALS, message, hint)
        if isinstance(err, bce.ClientError):
            code = str(err.response.get("Error", {}).get("Code", ""))
            if code in _CREDENTIAL_CODES:
                return DataLoadError(
                    CREDENTIALS,
                    f"AWS refused the credentials for {where} ({code}).",
                    "Use credentials allowed to Query the table and its by_day index (dynamodb:Query).",
                )
            if names_missing_index(code, str(err.response.get("Error", {}).get("Message", ""))):
                return DataLoadError(MISSING_INDEX, *missing_index_message(where))
            if code == "ResourceNotFoundException":
                return DataLoadError(
                    MISSING_TABLE,
                    f"The {where} does not exist.",
                    "Deploy it (`make up` for the lab, `make deploy` for AWS) or set OBSERVATORY_TABLE_NAME "
                    "to the deployed table (terraform output dynamodb_table_name).",
                )
        if isinstance(err, TableConfigError | DashboardConfigError):  # a setting to fix, named in the message
            return DataLoadError(CONFIG, str(err), "Fix the setting named above and reload.")
    return DataLoadError(
        OTHER,
        f"Reading {where} failed: {type(exc).__name__}: {exc}",
        "Reload; if it persists, check the endpoint and the table.",
    )


@dataclass(frozen=True)
class Loaded:
    """The digests of the load window as frames, where they came from, and when they were read."""

    frames: DigestFrames
    first_day: date  # the window's first UTC day
    end: datetime  # when the window ends (now)
    loaded_at: datetime
    digested_days: int  # closed days read from their digests
    row_days: tuple[date, ...]  # days read (at least in part) from rows: today's open hour, undigested days
    rows_read: int
    digested_hours: int = 0  # hours read from their hourly digests (today's closed hours; see `hourly`)


@dataclass(frozen=True)
class Part:
    """One cached part of the window: frames, the days read from rows, how many rows, how many digested."""

    frames: DigestFrames
    row_days: tuple[date, ...]
    rows_read: int
    digested_days: int
    digested_hours: int = 0


def _client(settings: Settings, client: Any) -> Any:
    return (
        client
        if client is not None
        else make_client(settings.endpoint_url, settings.region, settings.ca_bundle, settings.profile)
    )


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as [first, last] runs, so each run is one read_rows call (days read concurrently)."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


@contextlib.contextmanager
def _bulk() -> Iterator[None]:
    """No cyclic garbage collection while thousands of small lists are decoded: a months-long read makes
    millions of them, none cyclic, and each collection would walk them all (3.7x slower, measured)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def query_closed(
    settings: Settings, first_day: date, last_day: date, client: Any = None, now: datetime | None = None
) -> Part:
    """Closed days [first_day, last_day]: their digests; a day without one read per hour if the compactor
    digested any of its hours (`hourly.read_day`), else from its rows (digested here; rows past their
    expires_at at `now`, default the clock, left out)."""
    if last_day < first_day:
        return Part(to_frames([]), (), 0, 0)
    try:
        with _bulk():
            client = _client(settings, client)
            days = digest_table.read_digest_wires(
                first_day, last_day, client=client, table_name=settings.table_name
            )
            wires = [w for day in days for w in day.wires]
            found = {day.day for day in days}
            missing = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
            missing = [day for day in missing if day not in found]
            rows_read = hours_read = 0
            with ThreadPoolExecutor(max_workers=max(1, min(MAX_READ_WORKERS, len(missing)))) as pool:
                hours = dict(
                    zip(missing, pool.map(lambda d: _hours_of(settings, client, d), missing), strict=True)
                )
            for day in [d for d in missing if hours[d]]:
                end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
                part = hourly.read_day(
                    day, end, client=client, table_name=settings.table_name, hours=hours[day], now=now
                )
                wires += part.wires
                rows_read, hours_read = rows_read + part.rows_read, hours_read + part.digested_hours
            for lo, hi in _runs([d for d in missing if not hours[d]]):
                frame = reads.read_rows(
                    lo, hi + timedelta(days=1), client=client, table_name=settings.table_name, now=now
                )
                rows_read += len(frame)
                wires += [digest_wire.encode(d) for d in digest_rows(frame.to_dict("records"), "day")]
            frames = wires_to_frames(wires)
    except Exception as exc:
        raise classify(exc, settings) from exc
    return Part(frames, tuple(missing), rows_read, len(found), hours_read)


def _hours_of(settings: Settings, client: Any, day: date) -> list[digest_hours.HourWires]:
    return digest_hours.read_hour_wires(day, client=client, table_name=settings.table_name)


def query_recent(settings: Settings, today: date, client: Any = None, now: datetime | None = None) -> Part:
    """Today per hour: the compactor's hourly digests of its closed hours, and the rows of the open hour
    (and of any closed hour not digested yet), digested here per hour."""
    end = (now or datetime.now(UTC)) + timedelta(seconds=1)
    try:
        with _bulk():
            part = hourly.read_day(
                today, end, client=_client(settings, client), table_name=settings.table_name, now=now
            )
            frames = wires_to_frames(part.wires)
    except Exception as exc:
        raise classify(exc, settings) from exc
    return Part(frames, (today,) if part.from_rows else (), part.rows_read, 0, part.digested_hours)


def window(now: datetime, days: int) -> tuple[date, date]:
    """The load window's first day (UTC) and today: `days` days, today included."""
    today = now.astimezone(UTC).date()
    return today - timedelta(days=days - 1), today


def query(settings: Settings, client: Any = None, now: datetime | None = None) -> Loaded:
    """The whole window, uncached (the bench times this): digests of closed days, rows of the rest."""
    now = now or datetime.now(UTC)
    first, today = window(now, settings.load_days)
    client = _client(settings, client)
    with _bulk():  # one gc pause over both reads: neither re-enables it under the other
        recent, closed = side_by_side(
            lambda: query_recent(settings, today, client, now),
            lambda: query_closed(settings, first, today - timedelta(days=1), client, now),
        )
    return combine(closed, recent, first, now)


def combine(closed: Part, recent: Part, first_day: date, now: datetime) -> Loaded:
    """Closed days and today as one Loaded."""
    return Loaded(
        frames=concat([closed.frames, recent.frames]),
        first_day=first_day,
        end=now,
        loaded_at=datetime.now(UTC),
        digested_days=closed.digested_days,
        row_days=closed.row_days + recent.row_days,
        rows_read=closed.rows_read + recent.rows_read,
        digested_hours=closed.digested_hours + recent.digested_hours,
    )


CLOSED_DAYS_TTL_SECONDS = 15 * 60  # the compactor rewrites a closed day at most hourly


@dataclass(frozen=True)
class _Loaders:
    closed: Callable[..., Part]
    recent: Callable[..., Part]
    runs: Callable[..., pd.DataFrame]
    client: Callable[..., Any]


@functools.cache
def _cached_loaders(ttl_seconds: int) -> _Loaders:
    """The queries behind st.cache_data: closed days every 15 minutes, today and Runs' rows with this TTL."""
    import streamlit as st

    @st.cache_resource(show_spinner=False)
    def client(endpoint_url: str | None, region: str, ca_bundle: str | None, profile: str | None) -> Any:
        return make_client(endpoint_url, region, ca_bundle, profile)

    def dynamodb(settings: Settings) -> Any:
        try:
            return client(settings.endpoint_url, settings.region, settings.ca_bundle, settings.profile)
        except Exception as exc:
            raise classify(exc, settings) from exc

    @st.cache_data(ttl=CLOSED_DAYS_TTL_SECONDS, show_spinner="Loading daily digests…", max_entries=4)
    def closed(settings: Settings, first_day: date, last_day: date) -> Part:
        return query_closed(settings, first_day, last_day, dynamodb(settings))

    @st.cache_data(ttl=ttl_seconds, show_spinner="Loading today's hours…", max_entries=4)
    def recent(settings: Settings, today: date) -> Part:
        return query_recent(settings, today, dynamodb(settings))

    @st.cache_data(ttl=ttl_seconds, show_spinner="Loading rows…", max_entries=4)
    def runs(settings: Settings, hours: int, minute: datetime) -> pd.DataFrame:
        return query_rows(settings, hours, dynamodb(settings), minute)

    return _Loaders(closed, recent, runs, client)


def load(settings: Settings, now: datetime | None = None) -> Loaded:
    """The load window's digests; each part queried once per its TTL (st.cache_data). DataLoadError."""
    loaders = _cached_loaders(settings.cache_ttl_seconds)
    now = now or datetime.now(UTC)
    first, today = window(now, settings.load_days)
    with _bulk():  # today first: an unreachable table fails fast there
        recent, closed = side_by_side(
            lambda: loaders.recent(settings, today),
            lambda: loaders.closed(settings, first, today - timedelta(days=1)),
        )
    return combine(closed, recent, first, now)


SIGN_COLUMNS = ("sign_cold_ms", "sign_warm_p50_ms")  # SigV4 signing inside the fetch (cloud_extensions rows)


def with_new_columns(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with `tracing`, `host_cpu`, `host_ref_ms`, the signing times and `prefetch` whatever the collector
    that read them: a row (or a collector) from before they existed ran with `subsegments` tracing, the only
    mode there was, recorded no host (None), timed no signing (NaN) and did not prefetch; `strategy` as the
    dashboard shows it (`variants.with_variants`: a prefetch probe is its own variant)."""
    out = rows.copy()
    if "tracing" in out:
        out["tracing"] = out["tracing"].astype(object).where(out["tracing"].notna(), DEFAULT_TRACING)
    else:
        out["tracing"] = DEFAULT_TRACING
    if "host_cpu" not in out:
        out["host_cpu"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    if "host_ref_ms" not in out:
        out["host_ref_ms"] = pd.Series(float("nan"), index=out.index, dtype="float64")
    for name in SIGN_COLUMNS:  # rows of other strategies, and of older records, never timed the signing
        if name not in out:
            out[name] = pd.Series(float("nan"), index=out.index, dtype="float64")
    return variants.with_variants(out)


def query_rows(
    settings: Settings, hours: int, client: Any = None, now: datetime | None = None
) -> pd.DataFrame:
    """Rows of the last `hours` hours (the Runs page), through `datastore.reads.read_rows`, uncached."""
    end = (now or datetime.now(UTC)) + timedelta(seconds=1)
    try:
        rows = reads.read_rows(
            end - timedelta(hours=hours),
            end,
            client=_client(settings, client),
            table_name=settings.table_name,
            now=now,
        )
    except Exception as exc:
        raise classify(exc, settings) from exc
    return with_new_columns(rows)


def load_rows(settings: Settings, hours: int, now: datetime | None = None) -> pd.DataFrame:
    """Rows of the last `hours` hours, cached per TTL (the end is rounded to the minute). DataLoadError."""
    now = now or datetime.now(UTC)
    return _cached_loaders(settings.cache_ttl_seconds).runs(
        settings, hours, now.replace(second=0, microsecond=0)
    )


def clear_cache(settings: Settings) -> None:
    """Forget the cached digests and rows, so the next load queries the table again."""
    loaders = _cached_loaders(settings.cache_ttl_seconds)
    for cached in (loaders.closed, loaders.recent, loaders.runs):
        cached.clear()  # type: ignore[attr-defined,union-attr]


@functools.cache
def reference_run() -> dict[str, Any]:
    """The 2022 reference run, as copied into docs/reference/."""
    return dict(json.loads(SEED_PATH.read_text()))


@functools.cache
def price_table() -> dict[str, Any]:
    """The list prices the cost estimates use."""
    return dict(json.loads(PRICES_PATH.read_text()))
