"""Lazily created boto3 clients, one per service and endpoint, and where they point: the endpoint
(`AWS_ENDPOINT_URL`), the region (`AWS_REGION`, then `AWS_DEFAULT_REGION`, then the profile's) and, when a
caller names none, the table (`OBSERVATORY_TABLE_NAME`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

_LOCK = threading.Lock()
_CLIENTS: dict[tuple[str, str | None, int, str | None], Any] = {}

# botocore's "standard" retry mode retries throttling, 5xx and connection errors with exponential backoff and
# jitter; after the last attempt the error surfaces so Lambda's own retry takes the event.
MAX_ATTEMPTS = 5


WRITE_TIMEOUT_S = 10  # a write answers in milliseconds; a stuck one is better retried
READ_TIMEOUT_S = 60  # a 1 MB query page from a busy local endpoint can take seconds


class ConfigError(Exception):
    """A required setting is missing or malformed."""


def endpoint_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """`AWS_ENDPOINT_URL` if set (the lab's or a test's local endpoint), else None (real AWS).

    ConfigError when it is not an http(s) URL with a host (botocore fails later with a ValueError)."""
    env = os.environ if environ is None else environ
    url = env.get("AWS_ENDPOINT_URL", "").strip()
    if not url:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise ConfigError(f"AWS_ENDPOINT_URL {url!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"AWS_ENDPOINT_URL {url!r} is not an http(s) URL with a host, e.g. https://127.0.0.1:4566 "
            "(unset it for AWS)"
        )
    return url


def region_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """`AWS_REGION`, else `AWS_DEFAULT_REGION`, else None (boto3 then takes the profile's region).

    boto3 itself reads only `AWS_DEFAULT_REGION`; Lambda sets both, a person usually sets `AWS_REGION`."""
    env = os.environ if environ is None else environ
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def table_name_from_env(environ: Mapping[str, str] | None = None, needed_by: str = "the collector") -> str:
    """`OBSERVATORY_TABLE_NAME`, or ConfigError saying who needs it."""
    env = os.environ if environ is None else environ
    table = env.get("OBSERVATORY_TABLE_NAME", "").strip()
    if not table:
        raise ConfigError(f"OBSERVATORY_TABLE_NAME is not set: {needed_by} needs its DynamoDB table")
    return table


def client_config(read_timeout: int = WRITE_TIMEOUT_S) -> Any:
    """The botocore Config every collector client uses: bounded timeouts, standard retries."""
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=5,
        read_timeout=read_timeout,
        max_pool_connections=16,
    )


def get_client(
    service: str,
    endpoint_url: str | None = None,
    read_timeout: int = WRITE_TIMEOUT_S,
    region: str | None = None,
) -> Any:
    """A cached boto3 client for `service`; endpoint `endpoint_url`, else `AWS_ENDPOINT_URL`, else AWS;
    region `region` (a home table in another region), else `region_from_env`, else the profile's
    (`AWS_PROFILE`, else the default profile)."""
    endpoint = endpoint_url or endpoint_from_env()
    key = (service, endpoint, read_timeout, region)
    with _LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            import boto3

            session = boto3.session.Session(region_name=region or region_from_env())  # reads AWS_PROFILE now
            client = session.client(service, endpoint_url=endpoint, config=client_config(read_timeout))
            _CLIENTS[key] = client
        return client


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints or mocks call this)."""
    with _LOCK:
        _CLIENTS.clear()


def resolve(client: Any, table_name: str | None, read_timeout: int = WRITE_TIMEOUT_S) -> tuple[Any, str]:
    """The DynamoDB client and table a read or write uses: the ones given, else the cached client and
    `OBSERVATORY_TABLE_NAME`."""
    if table_name is None:
        try:
            table_name = table_name_from_env()
        except ConfigError as exc:
            raise ConfigError(f"{exc} (or pass table_name=)") from None
    return (client if client is not None else get_client("dynamodb", read_timeout=read_timeout)), table_name
