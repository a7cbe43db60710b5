"""`powertools`: Powertools for AWS Lambda parameters providers with `max_age`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider

from ..vocabulary import Store
from . import _aws
from .base import Strategy


class PowertoolsStrategy(Strategy):
    """The providers behind `get_secret` / `get_parameter`, given our clients; a miss is a fresh provider."""

    name = "powertools"

    def _init(self) -> None:
        self._clients: dict[str, Any] = {
            store: self.counter.attach(client)
            for store, client in _aws.make_clients(self.config, self.config.stores, self._injected).items()
        }
        self._providers: dict[str, Any] = {store: self._provider(store) for store in self.config.stores}

    def _provider(self, store: Store) -> Any:
        if store == "secretsmanager":
            return SecretsProvider(boto3_client=self._clients[store])
        return SSMProvider(boto3_client=self._clients[store])

    def fetch(self, store: Store) -> str | bytes:
        provider = self._providers[store]
        ttl = self.config.cache_ttl_seconds
        if store == "secretsmanager":
            value = provider.get(self.config.secret_id, max_age=ttl)
        else:
            value = provider.get(self.config.parameter_name, max_age=ttl, decrypt=True)
        if isinstance(value, (str, bytes)):
            return value
        raise TypeError(f"powertools returned {type(value).__name__}, expected text or bytes")

    def reset_for_miss(self, store: Store) -> None:
        self._providers[store] = self._provider(store)


STRATEGY = PowertoolsStrategy
