"""boto3 clients and the two plain AWS reads shared by the SDK-based strategies.

The clients make one attempt per call: botocore's retries back off with sleeps of up to seconds, and inside
a timed fetch they would turn a throttle (ThrottlingException, 429, 5xx...) into a slow sample. Without
them a throttle is what it is, an error of that sample (the API call counter still counts the attempt).
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from ..config import ProbeConfig
from ..vocabulary import Store

# `total_max_attempts` counts the first request (`max_attempts` would count retries only); an explicit mode
# keeps AWS_RETRY_MODE / AWS_MAX_ATTEMPTS (and adaptive mode's client-side sleeps) out of the timed fetch.
RETRIES = {"mode": "standard", "total_max_attempts": 1}


def client_config() -> Config:
    """The botocore configuration of every probe client: one attempt per call, no retry inside a fetch."""
    return Config(retries=dict(RETRIES))


def make_clients(config: ProbeConfig, stores: tuple[Store, ...], injected: dict[str, Any]) -> dict[str, Any]:
    """One client per store: the injected one (used as it is), else a new one from one new boto3 session."""
    session = None
    clients: dict[str, Any] = {}
    for store in stores:
        if store in injected:
            clients[store] = injected[store]
            continue
        session = session or boto3.session.Session()
        # a store's name is its boto3 service name
        clients[store] = boto3_client(config, store, session=session)
    return clients


def boto3_client(
    config: ProbeConfig, service: str, endpoint_url: str | None = None, session: Any = None
) -> Any:
    """A client of `service` in the probe's region, one attempt per call, on `endpoint_url` (else the
    configured endpoint: AWS's, or the lab's)."""
    session = session or boto3.session.Session()
    return session.client(
        service,
        region_name=config.region,
        endpoint_url=endpoint_url or config.endpoint_url,
        config=client_config(),
    )


def read(client: Any, store: Store, fixture: str) -> str | bytes:
    """GetSecretValue / GetParameter(WithDecryption=True): the value, text or binary."""
    if store == "secretsmanager":
        response = client.get_secret_value(SecretId=fixture)
        value = response.get("SecretString")
        return value if value is not None else bytes(response["SecretBinary"])
    return str(client.get_parameter(Name=fixture, WithDecryption=True)["Parameter"]["Value"])
