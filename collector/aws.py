"""Lazily created boto3 clients, one per service and endpoint, shared by the collector's I/O modules."""

from __future__ import annotations

import threading
from typing import Any

from .config import endpoint_from_env

_LOCK = threading.Lock()
_CLIENTS: dict[tuple[str, str | None, int], Any] = {}

# botocore's "standard" retry mode retries throttling, 5xx and connection errors with exponential backoff and
# jitter; after the last attempt the error surfaces so Lambda's own retry takes the event.
MAX_ATTEMPTS = 5


WRITE_TIMEOUT_S = 10  # a write answers in milliseconds; a stuck one is better retried
READ_TIMEOUT_S = 60  # a 1 MB query page from a busy local endpoint can take seconds


def client_config(read_timeout: int = WRITE_TIMEOUT_S) -> Any:
    """The botocore Config every collector client uses: bounded timeouts, standard retries."""
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=5,
        read_timeout=read_timeout,
        max_pool_connections=16,
    )


def get_client(service: str, endpoint_url: str | None = None, read_timeout: int = WRITE_TIMEOUT_S) -> Any:
    """A cached boto3 client for `service`; endpoint `endpoint_url`, else `AWS_ENDPOINT_URL`, else AWS."""
    endpoint = endpoint_url or endpoint_from_env()
    key = (service, endpoint, read_timeout)
    with _LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            import boto3

            client = boto3.client(service, endpoint_url=endpoint, config=client_config(read_timeout))
            _CLIENTS[key] = client
        return client


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints or mocks call this)."""
    with _LOCK:
        _CLIENTS.clear()
