"""`dict`: a hand-written in-process dict with a TTL in front of boto3, as in the reference run."""

from __future__ import annotations

import time
from typing import Any

from ..vocabulary import Store
from . import _aws
from .base import Strategy


class DictStrategy(Strategy):
    """A hit is a dict lookup and a clock read; a miss (or an expired entry) calls AWS."""

    name = "dict"

    def _init(self) -> None:
        self._clients: dict[str, Any] = {
            store: self.counter.attach(client)
            for store, client in _aws.make_clients(self.config, self.config.stores, self._injected).items()
        }
        self._cache: dict[str, tuple[str | bytes, float]] = {}

    def fetch(self, store: Store) -> str | bytes:
        entry = self._cache.get(store)
        if entry is not None and entry[1] > time.monotonic():
            return entry[0]
        value = _aws.read(self._clients[store], store, self.config.fixture(store))
        self._cache[store] = (value, time.monotonic() + self.config.cache_ttl_seconds)
        return value

    def reset_for_miss(self, store: Store) -> None:
        self._cache.pop(store, None)


STRATEGY = DictStrategy
