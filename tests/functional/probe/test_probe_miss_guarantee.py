"""A first fetch is a cold miss only when something guarantees it (issue 21, finding 1).

The extension's cache lives in the extension process of the same execution environment and cannot be emptied
from the function: a first fetch within the TTL of this environment's previous fetch may be served from it,
so it is recorded as a hit (`first_hit_ms`, with the cached entry's age), never as a cold miss. Strategies
with a cache in the function force their miss; `sdk` has no cache. The record says which (`miss_guarantee`).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from functions.probe.config import ProbeConfig
from functions.probe.timing import Probe

from .conftest import AWS_STRATEGIES, CANARY, PARAMETER_NAME, SECRET_ID
from .extension_double import DoubleState, extension_double

TOKEN = "session-token-for-tests"
SECOND_NS = 1_000_000_000


class FakeClock:
    """A monotonic clock (ns) that moves only when told: the gaps between invocations, nothing else."""

    def __init__(self) -> None:
        self.ns = 5_000 * SECOND_NS

    def __call__(self) -> int:
        return self.ns

    def advance(self, seconds: float) -> None:
        self.ns += int(seconds * SECOND_NS)


def _stores(record: dict) -> dict[str, dict]:
    return {s["store"]: s for s in record["stores"]}


def test_extension_first_fetch_inside_the_ttl_is_a_hit_not_a_cold_miss(
    make_config: Callable[..., ProbeConfig],
) -> None:
    state = DoubleState(token=TOKEN, secrets={SECRET_ID: CANARY}, parameters={PARAMETER_NAME: CANARY})
    clock = FakeClock()
    with extension_double(state) as port:
        config = make_config(
            "extension",
            PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(port),
            OBSERVATORY_CACHE_TTL_SECONDS="60",
            SECRETS_MANAGER_TTL="60",
            SSM_PARAMETER_STORE_TTL="60",
            OBSERVATORY_WARM_SAMPLES="3",
        )
        probe = Probe(config, monotonic=clock)
        first = _stores(probe.invoke("req-1", cold=True))
        clock.advance(10)  # a second round, a `lab invoke`, a retry: 10 s later, inside the 60 s TTL
        second = _stores(probe.invoke("req-2", cold=False))
        clock.advance(61)  # more than the TTL after the fetch that filled the cache
        third = _stores(probe.invoke("req-3", cold=False))

    for store in ("secretsmanager", "ssm"):
        # A fresh environment: the extension's cache started empty with it.
        assert first[store]["miss_guarantee"] == "fresh_environment"
        assert first[store]["cold_miss_ms"] > 0
        assert first[store]["first_hit_ms"] is None and first[store]["cache_age_ms"] is None
        # 10 s later the entry filled by the first invocation is still alive: a hit, never a cold miss.
        assert second[store]["miss_guarantee"] == "none"
        assert second[store]["cold_miss_ms"] is None
        assert second[store]["first_hit_ms"] > 0
        assert second[store]["cache_age_ms"] == pytest.approx(10_000.0)
        assert len(second[store]["warm_ms"]) == 3  # the warm series still runs
        # 71 s after the fill (61 s after the hit, which does not renew an entry): the TTL has elapsed.
        assert third[store]["miss_guarantee"] == "ttl_elapsed"
        assert third[store]["cold_miss_ms"] > 0
        assert third[store]["first_hit_ms"] is None


def test_the_extension_s_own_ttl_decides_when_it_is_longer(make_config: Callable[..., ProbeConfig]) -> None:
    """The extension's cache obeys SECRETS_MANAGER_TTL / SSM_PARAMETER_STORE_TTL (its default 300 s)."""
    state = DoubleState(token=TOKEN, secrets={SECRET_ID: CANARY}, parameters={PARAMETER_NAME: CANARY})
    clock = FakeClock()
    with extension_double(state) as port:
        config = make_config(
            "extension",
            PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(port),
            OBSERVATORY_CACHE_TTL_SECONDS="60",
            SECRETS_MANAGER_TTL="120",
            OBSERVATORY_WARM_SAMPLES="1",
        )
        probe = Probe(config, monotonic=clock)
        probe.invoke("req-1", cold=True)
        clock.advance(90)
        second = _stores(probe.invoke("req-2", cold=False))
    assert second["secretsmanager"]["miss_guarantee"] == "none"  # 90 s < the extension's 120 s
    assert second["ssm"]["miss_guarantee"] == "none"  # its SSM TTL is unset: the extension's default, 300 s


@pytest.mark.parametrize("strategy", AWS_STRATEGIES)
def test_in_process_caches_force_their_miss_and_sdk_has_none(
    aws: None, make_config: Callable[..., ProbeConfig], strategy: str
) -> None:
    clock = FakeClock()
    probe = Probe(make_config(strategy, OBSERVATORY_WARM_SAMPLES="2"), monotonic=clock)
    probe.invoke("req-1", cold=True)
    clock.advance(1)  # back to back, well inside the TTL
    second = probe.invoke("req-2", cold=False)
    expected = "no_cache" if strategy == "sdk" else "forced"
    for result in second["stores"]:
        assert result["miss_guarantee"] == expected
        assert result["cold_miss_ms"] > 0
        assert result["first_hit_ms"] is None and result["cache_age_ms"] is None


def test_two_invocations_back_to_back_store_one_cold_miss_per_store(
    make_config: Callable[..., ProbeConfig],
) -> None:
    """What `lab up --rounds 2` did: the second round's first fetches were stored as cold misses."""
    state = DoubleState(token=TOKEN, secrets={SECRET_ID: CANARY}, parameters={PARAMETER_NAME: CANARY})
    with extension_double(state) as port:
        probe = Probe(make_config("extension", PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=str(port),
                                  OBSERVATORY_WARM_SAMPLES="2"))
        first = probe.invoke("req-1", cold=True)
        second = probe.invoke("req-2", cold=False)
    assert all(s["cold_miss_ms"] is not None for s in first["stores"])
    assert [s["cold_miss_ms"] for s in second["stores"]] == [None, None]
    assert all(s["first_hit_ms"] is not None for s in second["stores"])
