"""`sdk`: boto3 GetSecretValue / GetParameter on a client created once per environment; no cache."""

from __future__ import annotations

from typing import Any

from ..vocabulary import Store
from . import _aws
from .base import Strategy


class SdkStrategy(Strategy):
    """Every fetch is a billed API call on a reused client."""

    name = "sdk"
    miss_guarantee = "no_cache"

    def _init(self) -> None:
        self._clients: dict[str, Any] = {
            store: self.counter.attach(client)
            for store, client in _aws.make_clients(self.config, self.config.stores, self._injected).items()
        }

    def fetch(self, store: Store) -> str | bytes:
        return _aws.read(self._clients[store], store, self.config.fixture(store))


STRATEGY = SdkStrategy
