"""The in-memory cache: TTL per entry, least-recently-used eviction at the size cap, per-key fetch locks.

Entries hold the serialized response body, so a warm hit is a dictionary lookup and one socket write.
Expired entries are dropped when they are looked up; nothing is refreshed ahead of time.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager


class TtlLruCache:
    """A thread-safe mapping of key -> bytes with a TTL per entry and LRU eviction above `capacity`."""

    def __init__(self, capacity: int, clock: Callable[[], float] = time.monotonic) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1 (size 0 means: do not cache at all)")
        self.capacity = capacity
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.evictions = 0

    def get(self, key: Hashable) -> bytes | None:
        """The value if present and not expired (and mark it most recently used), else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def get_entry(self, key: Hashable) -> tuple[bytes, bool] | None:
        """The value even if expired, and whether it is still fresh (expired entries are kept for it)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[1], entry[0] > self._clock()

    def put(self, key: Hashable, value: bytes, ttl_seconds: float) -> None:
        """Store a value for `ttl_seconds`, evicting the least recently used entries above capacity."""
        with self._lock:
            self._entries[key] = (self._clock() + ttl_seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
                self.evictions += 1

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        """Whether a live entry exists, without changing its recency."""
        with self._lock:
            entry = self._entries.get(key)
            return entry is not None and entry[0] > self._clock()


class KeyedLocks:
    """One lock per key, created on demand and dropped when nobody holds or waits for it.

    A miss on one key serializes only the fetches of that key: a slow AWS call for one secret never blocks
    hits or misses for another.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[Hashable, list] = {}  # key -> [Lock, number of holders and waiters]

    @contextmanager
    def hold(self, key: Hashable) -> Iterator[None]:
        """Hold the lock of `key` for the duration of the block."""
        with self._guard:
            entry = self._locks.get(key)
            if entry is None:
                entry = self._locks[key] = [threading.Lock(), 0]
            entry[1] += 1
        lock: threading.Lock = entry[0]
        lock.acquire()
        try:
            yield
        finally:
            lock.release()
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[key]

    def __len__(self) -> int:
        with self._guard:
            return len(self._locks)
