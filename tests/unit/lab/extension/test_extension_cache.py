"""The emulator's cache: TTL expiry, LRU eviction at the cap, per-key locks."""

from __future__ import annotations

import threading

import pytest

from lab.extension.cache import KeyedLocks, TtlLruCache


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entry_lives_until_its_ttl() -> None:
    clock = Clock()
    cache = TtlLruCache(10, clock)
    cache.put("a", b"1", 5)
    clock.now += 4.999
    assert cache.get("a") == b"1"
    clock.now += 0.001
    assert cache.get("a") is None
    assert len(cache) == 0


def test_least_recently_used_is_evicted_at_the_cap() -> None:
    cache = TtlLruCache(3, Clock())
    for key in "abc":
        cache.put(key, key.encode(), 60)
    assert cache.get("a") == b"a"  # a is now the most recently used; b the least
    cache.put("d", b"d", 60)
    assert "b" not in cache
    assert [k for k in "acd" if k in cache] == ["a", "c", "d"]
    assert cache.evictions == 1
    assert len(cache) == 3


def test_put_refreshes_recency_and_value() -> None:
    cache = TtlLruCache(2, Clock())
    cache.put("a", b"1", 60)
    cache.put("b", b"2", 60)
    cache.put("a", b"3", 60)
    cache.put("c", b"4", 60)
    assert cache.get("a") == b"3"
    assert "b" not in cache


def test_capacity_zero_is_refused() -> None:
    with pytest.raises(ValueError):
        TtlLruCache(0)


def test_keyed_locks_serialize_one_key_but_not_another() -> None:
    locks = KeyedLocks()
    holding = threading.Event()
    release = threading.Event()

    def hold_a() -> None:
        with locks.hold("a"):
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold_a)
    thread.start()
    assert holding.wait(10)
    with locks.hold("b"):  # another key is free while "a" is held
        pass
    blocked = threading.Event()

    def want_a() -> None:
        with locks.hold("a"):
            blocked.set()

    waiter = threading.Thread(target=want_a)
    waiter.start()
    assert not blocked.wait(0.2)  # the second holder of "a" waits for the first
    release.set()
    thread.join(10)
    waiter.join(10)
    assert blocked.is_set()
    assert len(locks) == 0  # nothing left behind
