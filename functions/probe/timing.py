"""The measurement protocol of one invocation: per store, one cold miss then N warm hits, each timed alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from . import strategies
from .cgroup import CgroupReader, measured
from .config import ProbeConfig
from .freshness import CacheWindow, Freshness
from .log import log
from .record import ErrorLog, StoreResult, build_record, value_digest
from .strategies.base import NotReadyError, Strategy
from .tracing import Tracer
from .vocabulary import Store

READY_BACKOFF_FIRST_S = 0.005
READY_BACKOFF_MAX_S = 0.2
READY_BUDGET_NS = 5_000_000_000


class Probe:
    """Measures every store of one strategy; lives as long as the execution environment.

    The strategy is created (its library imported) on the first invocation and initialised until that
    succeeds; failures become errors in the record, never exceptions.
    """

    def __init__(
        self,
        config: ProbeConfig,
        strategy: Strategy | None = None,
        tracer: Tracer | None = None,
        cgroup: CgroupReader | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        ready_budget_ns: int = READY_BUDGET_NS,
        monotonic: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.config = config
        self.strategy = strategy
        self.tracer = tracer if tracer is not None else Tracer(config.tracing)
        self.cgroup = cgroup if cgroup is not None else CgroupReader(prefer=config.cpu_emulation)
        self._sleep = sleep
        self._ready_budget_ns = ready_budget_ns
        # When this environment's fetches may have filled each store's cache entry (read outside the timed
        # region): lives as long as the Probe, which is the execution environment's (handler._PROBE).
        self._monotonic = monotonic
        self._window = CacheWindow({store: config.cache_ttl(store) for store in config.stores})

    def invoke(self, invocation_id: str, cold: bool, init_ms: float | None = None) -> dict[str, Any]:
        """Run the protocol once and return the schema v1 record (`init_ms` only in a cold start's)."""
        started_at = datetime.now(timezone.utc).isoformat()
        errors = ErrorLog()
        client_init_ns = self._initialise(errors)
        cpu_before = time.process_time_ns()
        stat_before = self.cgroup.read()
        results: list[StoreResult] = []
        for store in self.config.stores:
            if self.strategy is not None and self.strategy.initialized:
                results.append(self._measure(self.strategy, store))
            else:
                results.append(StoreResult(store, self.config.fixture(store), errors=errors.items()))
        cpu_time_ns = time.process_time_ns() - cpu_before
        stat_after = self.cgroup.read()
        throttling = measured(stat_before, stat_after)
        record = build_record(
            self.config,
            invocation_id=invocation_id,
            started_at=started_at,
            cold=cold,
            init_ms=init_ms if cold else None,
            client_init_ns=client_init_ns,
            cpu_time_ns=cpu_time_ns,
            throttling=throttling,
            stores=results,
            errors=errors.items(),
        )
        _log_record(record)
        self.tracer.flush()  # `otel`: nothing held in a batch when the environment freezes; after the timings
        return record

    def _initialise(self, errors: ErrorLog) -> int | None:
        """Create and initialise the strategy if not done yet; the client creation time, or None."""
        try:
            if self.strategy is None:
                self.strategy = strategies.create(self.config)
            if self.strategy.initialized:
                return None
            started = time.perf_counter_ns()
            self.strategy.init()
            return time.perf_counter_ns() - started
        except Exception as exc:
            errors.add("init", exc, [])
            return None

    def _annotations(self, store: Store) -> dict[str, str | int]:
        return {
            "strategy": self.config.strategy,
            "store": store,
            "memory_mb": self.config.memory_mb,
            "architecture": self.config.architecture,
        }

    def _measure(self, strategy: Strategy, store: Store) -> StoreResult:
        """One store: reset, first fetch (after the extension is ready), warm series.

        The first fetch is the cold miss when something guarantees a miss (`_freshness`), else a hit: then it
        is `first_hit_ns` with the cached entry's age, never a cold miss."""
        result = StoreResult(store, self.config.fixture(store))
        errors = ErrorLog()
        seen: list[str | bytes] = []  # values read, only to scrub them from error messages
        calls_before = strategy.api_calls()
        annotations = self._annotations(store)
        forced = strategy.miss_guarantee == "forced"
        try:
            strategy.reset_for_miss(store)
        except Exception as exc:
            errors.add("cold_miss", exc, seen)
            forced = False  # the cache may still hold the entry
        with self.tracer.subsegment("cold_miss", annotations):
            first = self._cold_miss(strategy, store, result, errors, seen, forced)
        if first:
            with self.tracer.subsegment("warm_hits", annotations):
                self._warm_hits(strategy, store, result, errors, seen)
        calls_after = strategy.api_calls()
        if calls_before is not None and calls_after is not None:
            result.api_calls = calls_after - calls_before
        result.errors = errors.items()
        seen.clear()
        return result

    def _freshness(self, strategy: Strategy, store: Store, forced: bool, start_ns: int) -> Freshness:
        """How this first fetch is a miss: forced by the strategy, no cache at all, or what this environment's
        earlier fetches say of the cache entry (`freshness.CacheWindow`)."""
        if forced:
            return Freshness("forced")
        if strategy.miss_guarantee == "no_cache" or self.config.cache_ttl(store) == 0:
            return Freshness("no_cache")
        freshness = self._window.classify(store, start_ns)
        if freshness.guarantee == "fresh_environment" and strategy.prefetched(store):
            # the extension filled its cache at start-up (prefetch), at an instant the probe cannot see: the
            # first fetch is a hit of an entry of unknown age, never a cold miss
            return Freshness("none")
        return freshness

    def _cold_miss(
        self,
        strategy: Strategy,
        store: Store,
        result: StoreResult,
        errors: ErrorLog,
        seen: list[str | bytes],
        forced: bool,
    ) -> bool:
        """Fetch once, retrying "not ready" with backoff; the wait is recorded apart from the fetch. Stored
        as the cold miss when a miss is guaranteed, else as the first hit with the cached entry's age."""
        clock = time.perf_counter_ns
        now = self._monotonic
        delay = READY_BACKOFF_FIRST_S
        wait_started = clock()
        while True:
            reached = now()
            freshness = self._freshness(strategy, store, forced, reached)
            result.miss_guarantee = freshness.guarantee
            started = clock()
            try:
                value = strategy.fetch(store)
                ended = clock()
            except NotReadyError:
                if clock() - wait_started >= self._ready_budget_ns:
                    result.ready_wait_ns = clock() - wait_started
                    errors.add(
                        "ready",
                        None,
                        seen,
                        kind="ExtensionNotReadyError",
                        message=f"extension still not ready after {result.ready_retries} retries",
                    )
                    return False
                result.ready_retries += 1
                self._sleep(delay)
                delay = min(delay * 2, READY_BACKOFF_MAX_S)
                continue
            except Exception as exc:
                self._window.observe(store, reached, now())  # it may have filled the cache all the same
                result.ready_wait_ns = started - wait_started if result.ready_retries else 0
                errors.add("cold_miss", exc, seen)
                return False
            self._window.observe(store, reached, now())
            result.ready_wait_ns = started - wait_started if result.ready_retries else 0
            if freshness.guarantee == "none":
                result.first_hit_ns = ended - started
                result.cache_age_ns = freshness.age_ns
            else:
                result.cold_miss_ns = ended - started
                result.sign_cold_ns = strategy.last_sign_ns if strategy.times_signing else None
            seen.append(value)
            result.value_sha256 = value_digest(value)
            return True

    def _warm_hits(
        self, strategy: Strategy, store: Store, result: StoreResult, errors: ErrorLog, seen: list[str | bytes]
    ) -> None:
        """N fetches, each timed alone; a failed hit is an error, not a sample."""
        clock = time.perf_counter_ns
        fetch = strategy.fetch
        samples = result.warm_ns
        signs: list[int | None] | None = [] if strategy.times_signing else None
        series_started = self._monotonic()
        for _ in range(self.config.warm_samples):
            started = clock()
            try:
                fetch(store)
                ended = clock()
            except Exception as exc:
                errors.add("warm_hit", exc, seen)
                continue
            samples.append(ended - started)
            if signs is not None:  # read after the timed fetch
                signs.append(strategy.last_sign_ns)
        if signs and all(sign is not None for sign in signs):  # one per warm sample, or none at all
            result.sign_warm_ns = [sign for sign in signs if sign is not None]
        self._window.observe(store, series_started, self._monotonic())  # a long series may outlive the TTL


def _log_record(record: dict[str, Any]) -> None:
    """One short structured line per invocation, and one per error: names and counts, never values."""
    identity = record["identity"]
    log(
        "probe.measured",
        invocation_id=record["invocation_id"],
        probe_key=identity["probe_key"],
        cold=record["execution_environment"]["cold"],
        stores={
            s["store"]: {"warm_n": len(s["warm_ms"]), "errors": len(s["errors"])} for s in record["stores"]
        },
        errors=len(record["errors"]),
    )
    for store in record["stores"]:
        for error in store["errors"]:
            log(
                "probe.error", level="WARNING", store=store["store"], phase=error["phase"], type=error["type"]
            )
    for error in record["errors"]:
        log("probe.error", level="ERROR", store=None, phase=error["phase"], type=error["type"])
