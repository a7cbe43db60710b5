"""Whether a store's first fetch can be a cache hit: what this execution environment knows of a cache entry.

A cache the function cannot empty (the extension's, in its own process of the same environment) holds an entry
from the fetch that filled it until its TTL has elapsed; a hit does not renew it. The probe cannot see that
cache, but it knows when this environment fetched each store: an entry can only have been filled during one of
those fetches. `CacheWindow` keeps, per store, the earliest and latest instant (monotonic ns) the live entry
may have been filled, and from that says whether a first fetch is certainly a miss.

- No fetch of the store yet in this environment: the cache started empty with it (`fresh_environment`).
- At least the TTL after the latest instant the entry may have been filled: expired (`ttl_elapsed`).
- Otherwise the fetch may be served from the cache (`none`): the probe records it as a hit, with the entry's
  age counted from the end of the fetch that filled it.

A fetch that fails may still have filled the cache (the extension may have finished its call after ours gave
up), so every fetch that reached the cache is observed, failed or not; a "not ready" answer never does.
"""

from __future__ import annotations

from typing import NamedTuple

from .vocabulary import MissGuarantee, Store

NS_PER_S = 1_000_000_000


class Freshness(NamedTuple):
    """What a first fetch can be: its guarantee of a miss (`none`: it may be a hit) and, for `none`, the
    cached entry's age (ns since the end of the fetch that filled it)."""

    guarantee: MissGuarantee
    age_ns: int | None = None


class CacheWindow:
    """Per store, when this environment's fetches may have filled the cache entry that is live now."""

    def __init__(self, ttl_s: dict[Store, int]) -> None:
        self._ttl_ns = {store: ttl * NS_PER_S for store, ttl in ttl_s.items()}
        self._filled: dict[Store, tuple[int, int]] = {}  # store -> (earliest, latest) fill instant

    def classify(self, store: Store, start_ns: int) -> Freshness:
        """What a fetch of `store` starting at `start_ns` is, from the fetches observed before it."""
        filled = self._filled.get(store)
        if filled is None:
            return Freshness("fresh_environment")
        if start_ns >= filled[1] + self._ttl_ns[store]:
            return Freshness("ttl_elapsed")
        return Freshness("none", max(start_ns - filled[1], 0))

    def observe(self, store: Store, start_ns: int, end_ns: int) -> None:
        """A fetch (or a series of fetches) of `store` that reached the cache between these instants."""
        filled = self._filled.get(store)
        ttl = self._ttl_ns[store]
        if filled is None or start_ns >= filled[1] + ttl:
            self._filled[store] = (start_ns, end_ns)  # a miss: the entry was filled during this fetch
        elif end_ns >= filled[0] + ttl:
            self._filled[store] = (filled[0], end_ns)  # it may have expired and been refilled meanwhile
        # else: served from the live entry, which a hit does not renew
