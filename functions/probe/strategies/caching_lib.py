"""`caching_lib`: aws-secretsmanager-caching's SecretCache (Secrets Manager only)."""

from __future__ import annotations

from typing import Any

from aws_secretsmanager_caching import SecretCache, SecretCacheConfig

from ..vocabulary import Store
from . import _aws
from .base import Strategy


class CachingLibStrategy(Strategy):
    """A miss is a fresh SecretCache (2 calls); never `refresh_secret_now`, which sleeps."""

    name = "caching_lib"

    def _init(self) -> None:
        clients = _aws.make_clients(self.config, ("secretsmanager",), self._injected)
        self._client: Any = self.counter.attach(clients["secretsmanager"])
        self._cache_config = SecretCacheConfig(secret_refresh_interval=self.config.cache_ttl_seconds)
        self._cache = SecretCache(config=self._cache_config, client=self._client)

    def fetch(self, store: Store) -> str | bytes:
        if store != "secretsmanager":
            raise ValueError(f"caching_lib reads Secrets Manager only, not {store}")
        value = self._cache.get_secret_string(self.config.secret_id)
        if value is None:
            value = self._cache.get_secret_binary(self.config.secret_id)
        return value if isinstance(value, str) else bytes(value)

    def reset_for_miss(self, store: Store) -> None:
        self._cache = SecretCache(config=self._cache_config, client=self._client)


STRATEGY = CachingLibStrategy
