"""Loading rows for the dashboard: only through `collector.table`, cached once per TTL.

`query_rows` is the plain, uncached query (the bench times it); `load_rows` wraps it in `st.cache_data` with
the configured TTL, so page changes, filters and chart options never query again. Failures become a
`DataLoadError` with a message and a hint a person can act on, never a traceback.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from collector import table

from .config import PRICES_PATH, SEED_PATH, Settings

UNREACHABLE = "unreachable"
CREDENTIALS = "credentials"
MISSING_TABLE = "missing_table"
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


@dataclass(frozen=True)
class Loaded:
    """The rows of the load window and when they were read."""

    frame: pd.DataFrame
    start: datetime
    end: datetime
    loaded_at: datetime


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
            max_pool_connections=table.MAX_READ_WORKERS,
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
            return DataLoadError(
                CREDENTIALS,
                f"No usable AWS credentials to read {where} ({type(err).__name__}).",
                "Set AWS_PROFILE to a configured profile, or export AWS credentials; for the lab, "
                "`make dashboard` uses the lab's test credentials.",
            )
        if isinstance(err, bce.ClientError):
            code = str(err.response.get("Error", {}).get("Code", ""))
            if code in _CREDENTIAL_CODES:
                return DataLoadError(
                    CREDENTIALS,
                    f"AWS refused the credentials for {where} ({code}).",
                    "Use credentials allowed to Query the table and its by_day index (dynamodb:Query).",
                )
            if code == "ResourceNotFoundException":
                return DataLoadError(
                    MISSING_TABLE,
                    f"The table {where} does not exist.",
                    "Deploy it (`make up` for the lab, `make deploy` for AWS) or set OBSERVATORY_TABLE_NAME "
                    "to the deployed table (terraform output dynamodb_table_name).",
                )
        if type(err).__name__ == "ConfigError":
            return DataLoadError(CONFIG, str(err), "Fix the setting named above and reload.")
    return DataLoadError(
        OTHER,
        f"Reading {where} failed: {type(exc).__name__}: {exc}",
        "Reload; if it persists, check the endpoint and the table.",
    )


def query_range(settings: Settings, start: datetime, end: datetime, client: Any = None) -> Loaded:
    """Rows with start <= ts < end through `collector.table.read_rows` (uncached)."""
    try:
        if client is None:
            client = make_client(settings.endpoint_url, settings.region, settings.ca_bundle, settings.profile)
        frame = table.read_rows(start, end, client=client, table_name=settings.table_name)
    except Exception as exc:
        raise classify(exc, settings) from exc
    return Loaded(frame=frame, start=start, end=end, loaded_at=datetime.now(UTC))


def query_rows(settings: Settings, days: int, client: Any = None, now: datetime | None = None) -> Loaded:
    """Read the last `days` days of rows through `collector.table.read_rows` (uncached)."""
    end = (now or datetime.now(UTC)) + timedelta(seconds=1)
    return query_range(settings, end - timedelta(days=days), end, client)


def split_window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The load window's start (midnight UTC, `days` days before today) and the start of its recent part.

    Rows older than yesterday no longer change (Lambda gives up on an async event after 6 hours), so those
    days are queried once per CLOSED_DAYS_TTL_SECONDS; yesterday and today are queried once per TTL.
    """
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days), today - timedelta(days=1)


CLOSED_DAYS_TTL_SECONDS = 6 * 3600


@dataclass(frozen=True)
class Packed:
    """A Loaded in the form st.cache_data copies cheaply: warm samples as one float array, not lists.

    st.cache_data hands every rerun its own copy (a pickle round trip); a month of lists of floats takes
    seconds to copy, one array and a frame without them a fraction of that.
    """

    frame: pd.DataFrame  # without warm_ms
    samples: np.ndarray
    lengths: np.ndarray
    start: datetime
    end: datetime
    loaded_at: datetime


def pack(loaded: Loaded) -> Packed:
    """Move the warm_ms lists into one array (row order) and their lengths."""
    lists = loaded.frame["warm_ms"].to_numpy()
    lengths = np.fromiter((len(v) for v in lists), dtype=np.int64, count=len(lists))
    samples = np.fromiter(itertools.chain.from_iterable(lists), dtype=float, count=int(lengths.sum()))
    return Packed(
        loaded.frame.drop(columns=["warm_ms"]), samples, lengths, loaded.start, loaded.end, loaded.loaded_at
    )


def unpack(packed: Packed) -> Loaded:
    """The contract frame again, warm_ms as float arrays (views into one buffer), columns in order."""
    frame = packed.frame.copy(deep=False)
    views = np.split(packed.samples, np.cumsum(packed.lengths)[:-1]) if len(packed.lengths) else []
    frame["warm_ms"] = pd.Series(views, index=frame.index, dtype="object")
    return Loaded(frame[list(table.COLUMNS)], packed.start, packed.end, packed.loaded_at)


def concat(parts: list[Packed]) -> Packed:
    """Packed parts in time order, as one (the closed days, then the recent part)."""
    return Packed(
        frame=pd.concat([p.frame for p in parts], ignore_index=True),
        samples=np.concatenate([p.samples for p in parts]),
        lengths=np.concatenate([p.lengths for p in parts]),
        start=parts[0].start,
        end=parts[-1].end,
        loaded_at=parts[-1].loaded_at,
    )


@dataclass(frozen=True)
class _Loaders:
    closed: Callable[..., Packed]
    recent: Callable[..., Packed]
    client: Callable[..., Any]


@functools.cache
def _cached_loaders(ttl_seconds: int) -> _Loaders:
    """`query_range` behind st.cache_data: closed days with a long TTL, the recent part with this TTL."""
    import streamlit as st

    @st.cache_resource(show_spinner=False)
    def client(endpoint_url: str | None, region: str, ca_bundle: str | None, profile: str | None) -> Any:
        return make_client(endpoint_url, region, ca_bundle, profile)

    def dynamodb(settings: Settings) -> Any:
        try:
            return client(settings.endpoint_url, settings.region, settings.ca_bundle, settings.profile)
        except Exception as exc:
            raise classify(exc, settings) from exc

    @st.cache_data(
        ttl=CLOSED_DAYS_TTL_SECONDS, show_spinner="Loading earlier days from the table…", max_entries=4
    )
    def closed(settings: Settings, start: datetime, boundary: datetime) -> Packed:
        return pack(query_range(settings, start, boundary, dynamodb(settings)))

    @st.cache_data(ttl=ttl_seconds, show_spinner="Loading rows from the table…", max_entries=4)
    def recent(settings: Settings, boundary: datetime) -> Packed:
        return pack(
            query_range(settings, boundary, datetime.now(UTC) + timedelta(seconds=1), dynamodb(settings))
        )

    return _Loaders(closed, recent, client)


def load_rows(settings: Settings, now: datetime | None = None) -> Loaded:
    """The load window's rows; each part queried at most once per its TTL (st.cache_data). DataLoadError."""
    loaders = _cached_loaders(settings.cache_ttl_seconds)
    start, boundary = split_window(now or datetime.now(UTC), settings.load_days)
    recent = loaders.recent(settings, boundary)  # first: an unreachable table fails fast here
    return unpack(concat([loaders.closed(settings, start, boundary), recent]))


def clear_cache(settings: Settings) -> None:
    """Forget the cached rows, so the next load queries the table again."""
    loaders = _cached_loaders(settings.cache_ttl_seconds)
    loaders.closed.clear()  # type: ignore[attr-defined]
    loaders.recent.clear()  # type: ignore[attr-defined]


@functools.cache
def reference_run() -> dict[str, Any]:
    """The 2022 reference run, as copied into docs/reference/."""
    return dict(json.loads(SEED_PATH.read_text()))


@functools.cache
def price_table() -> dict[str, Any]:
    """The list prices the cost estimates use."""
    return dict(json.loads(PRICES_PATH.read_text()))
