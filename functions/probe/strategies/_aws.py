"""boto3 clients and the two plain AWS reads shared by the SDK-based strategies."""

from __future__ import annotations

from typing import Any

import boto3

from ..config import ProbeConfig
from ..vocabulary import Store


def make_clients(config: ProbeConfig, stores: tuple[Store, ...], injected: dict[str, Any]) -> dict[str, Any]:
    """One client per store: the injected one, else a new one from one new boto3 session."""
    session = None
    clients: dict[str, Any] = {}
    for store in stores:
        if store in injected:
            clients[store] = injected[store]
            continue
        session = session or boto3.session.Session()
        # a store's name is its boto3 service name
        clients[store] = session.client(store, region_name=config.region, endpoint_url=config.endpoint_url)
    return clients


def read(client: Any, store: Store, fixture: str) -> str | bytes:
    """GetSecretValue / GetParameter(WithDecryption=True): the value, text or binary."""
    if store == "secretsmanager":
        response = client.get_secret_value(SecretId=fixture)
        value = response.get("SecretString")
        return value if value is not None else bytes(response["SecretBinary"])
    return str(client.get_parameter(Name=fixture, WithDecryption=True)["Parameter"]["Value"])
