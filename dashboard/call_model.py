"""How often each strategy calls AWS at a steady call rate, and what one API call costs after an idle gap.

One model for every strategy (docs/reference/api-call-latency.md says what it rests on):
- Fetches come evenly spaced, `fetches_per_second` in one execution environment.
- A strategy serves its value until a deadline counted from the moment the call that fetched it returned;
  the first fetch at or after the deadline calls AWS. `sdk`: deadline 0, every fetch is a call. `dict`,
  `powertools`, `extension`: the TTL. `caching_lib`: `randint(round(TTL / 2), TTL)` seconds, drawn anew at
  each refresh, and a refresh is one DescribeSecret, with GetSecretValue only when the version changed
  (aws-secretsmanager-caching 1.2.0, `cache/items.py`). `cloud_extensions`: the TTL, and its Secrets
  Manager extension revalidates the same way — after the TTL one DescribeSecret, GetSecretValue only when
  the version changed (AWS Systems Manager user guide, "Forcing a refresh with refreshNow");
  its Parameter Store extension checks Parameter Store again after its TTL, one call (docs/reference/
  cloud-extensions.md). A call takes a moment, so the fetch exactly one
  deadline later is still served: the gap between two calls is `p * (floor(deadline / p) + 1)` for the fetch
  period p.
- An API call made after an idle gap longer than `idle_boundary_s` costs what a first call costs (the probe's
  cold miss); a call inside it costs the hot-connection figure (`sdk`'s back-to-back calls). botocore keeps no
  idle timeout of its own; where an idle connection is dropped is not documented for Secrets Manager or SSM,
  so the boundary is an assumption the page lets you set.
Long-run rates are exact expectations (renewal-reward over the equally likely deadlines). Pure; no pandas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_IDLE_BOUNDARY_S = 20.0  # an assumption: docs/reference/api-call-latency.md
SECONDS_PER_DAY = 86_400.0
_EPS = 1e-9  # deadlines that are a whole number of fetch periods stay whole despite float division


class CostModelError(ValueError):
    """A price or an input the model cannot use (an unknown architecture or store, a rate of 0)."""


def deadlines_s(strategy: str, cache_ttl_seconds: float) -> tuple[float, ...]:
    """The equally likely times a strategy serves a fetched value before it calls AWS again."""
    if cache_ttl_seconds <= 0:
        raise CostModelError("the cache TTL must be positive")
    if strategy == "sdk":
        return (0.0,)
    if strategy == "caching_lib":
        ttl = int(cache_ttl_seconds)
        if ttl != cache_ttl_seconds:
            raise CostModelError("the caching library's refresh interval is a whole number of seconds")
        return tuple(float(k) for k in range(round(ttl / 2), ttl + 1))  # Python's round, as the library's
    return (float(cache_ttl_seconds),)


def call_gaps_s(strategy: str, fetches_per_second: float, cache_ttl_seconds: float) -> tuple[float, ...]:
    """The equally likely gaps between two AWS calls of one store in one environment (one per deadline)."""
    if fetches_per_second <= 0:
        raise CostModelError("the call rate must be positive")
    period = 1.0 / fetches_per_second
    return tuple(
        period * (math.floor(d / period + _EPS) + 1) for d in deadlines_s(strategy, cache_ttl_seconds)
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def refreshes_per_second(strategy: str, fetches_per_second: float, cache_ttl_seconds: float) -> float:
    """How often a strategy calls AWS for one store (a miss, or the caching library's refresh)."""
    return 1.0 / _mean(call_gaps_s(strategy, fetches_per_second, cache_ttl_seconds))


def miss_fraction(strategy: str, fetches_per_second: float, cache_ttl_seconds: float) -> float:
    """Share of fetches that call AWS (a miss or a refresh) in one warm environment at a steady call rate."""
    return refreshes_per_second(strategy, fetches_per_second, cache_ttl_seconds) / fetches_per_second


def revalidates(strategy: str, store: str = "secretsmanager") -> bool:
    """Whether a refresh is one DescribeSecret, with GetSecretValue only when the version changed: the
    caching library, and Cloud Extensions' Secrets Manager extension (its Parameter Store side: one call)."""
    return strategy == "caching_lib" or (strategy == "cloud_extensions" and store == "secretsmanager")


def version_change_share(gaps_s: Sequence[float], changes_per_day: float) -> float:
    """Expected share of the caching library's refreshes that find a new version, when the secret changes at
    random `changes_per_day` times a day: each such refresh adds one GetSecretValue."""
    if changes_per_day < 0:
        raise CostModelError("changes per day cannot be negative")
    rate = changes_per_day / SECONDS_PER_DAY
    return _mean([1.0 - math.exp(-rate * gap) for gap in gaps_s])


def api_calls_per_second(
    strategy: str,
    fetches_per_second: float,
    cache_ttl_seconds: float,
    calls_per_miss: float,
    changes_per_day: float = 0.0,
    store: str = "secretsmanager",
) -> float:
    """AWS API calls a second for one store. `calls_per_miss` is what the probe's miss made (its fresh
    caching-library cache makes two); a revalidating refresh (`revalidates`) makes one, plus one on a
    change."""
    gaps = call_gaps_s(strategy, fetches_per_second, cache_ttl_seconds)
    per_refresh = calls_per_miss
    if revalidates(strategy, store):
        per_refresh = 1.0 + version_change_share(gaps, changes_per_day)
    return per_refresh / _mean(gaps)


def api_call_ms(gap_s: float, first_call_ms: float, hot_call_ms: float, idle_boundary_s: float) -> float:
    """One API call: the first-call figure after an idle gap longer than the boundary, else the hot one."""
    return first_call_ms if gap_s > idle_boundary_s else hot_call_ms


@dataclass(frozen=True)
class Measured:
    """One strategy's means at one tier × architecture × store (ms), and the API call at the same place.

    `first_miss_ms` is the probe's cold miss: the strategy's first fetch after an idle gap, with the calls
    `calls_per_miss` counts. `first_call_ms` and `hot_call_ms` are `sdk`'s first call and back-to-back call
    there; None where no `sdk` probe measured both (then every call is priced as measured, after an idle gap).
    """

    first_miss_ms: float
    hit_ms: float
    calls_per_miss: float = 1.0
    first_call_ms: float | None = None
    hot_call_ms: float | None = None

    @property
    def hot_call_measured(self) -> bool:
        return self.first_call_ms is not None and self.hot_call_ms is not None


def miss_ms(
    strategy: str,
    m: Measured,
    gap_s: float,
    idle_boundary_s: float,
    change_share: float,
    store: str = "secretsmanager",
) -> float:
    """A fetch that calls AWS after `gap_s` without a call: the measured miss, less the cold-connection
    penalty inside the boundary; a revalidating refresh drops the fresh caching-library cache's back-to-back
    GetSecretValue and adds one at the share of refreshes that find a new version."""
    ms = m.first_miss_ms
    if m.first_call_ms is not None and m.hot_call_ms is not None:
        ms += api_call_ms(gap_s, m.first_call_ms, m.hot_call_ms, idle_boundary_s) - m.first_call_ms
        if revalidates(strategy, store):
            ms += (change_share - max(0.0, m.calls_per_miss - 1.0)) * m.hot_call_ms
    return max(ms, m.hit_ms)


def expected_fetch_ms(
    strategy: str,
    m: Measured,
    fetches_per_second: float,
    cache_ttl_seconds: float,
    idle_boundary_s: float = DEFAULT_IDLE_BOUNDARY_S,
    changes_per_day: float = 0.0,
    store: str = "secretsmanager",
) -> float:
    """Mean fetch time at a steady call rate: per gap between calls, one fetch that calls AWS and the hits
    that follow until the next, averaged over the equally likely gaps."""
    gaps = call_gaps_s(strategy, fetches_per_second, cache_ttl_seconds)
    period = 1.0 / fetches_per_second
    rate = changes_per_day / SECONDS_PER_DAY
    calls = [miss_ms(strategy, m, g, idle_boundary_s, 1.0 - math.exp(-rate * g), store) for g in gaps]
    fetches = [g / period for g in gaps]
    hits = sum(n - 1.0 for n in fetches) * m.hit_ms
    return (sum(calls) + hits) / sum(fetches)


def first_call_share(gaps_s: Sequence[float], idle_boundary_s: float) -> float:
    """Share of the API calls that come after an idle gap longer than the boundary (and pay a first call)."""
    return _mean([1.0 if g > idle_boundary_s else 0.0 for g in gaps_s])
