"""dashboard.cost_model and dashboard.call_model: one latency model for an API call for every strategy,
dependent on the call rate, and the caching library's refresh as the library schedules it (issue 21,
findings 3 and 4)."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dashboard import cost_model
from dashboard.config import PRICES_PATH

from .frames import digests_of, frame, row


@pytest.fixture(scope="module")
def prices() -> cost_model.PriceTable:
    return cost_model.PriceTable.from_json(json.loads(PRICES_PATH.read_text()))


def sdk_and_dict(**extra: Any) -> Any:
    """An sdk and a dict probe at the same tier that pay the same first call (60 ms); sdk's back-to-back
    calls cost 30 ms on the hot connection, a dict hit 0.001 ms."""
    return digests_of(
        frame(
            [
                row("2026-11-27T05:00", strategy="sdk", cold_miss_ms=60.0, warm_ms=[30.0] * 9),
                row("2026-11-27T05:00", strategy="dict", cold_miss_ms=60.0, warm_ms=[0.001] * 9),
                *extra.get("more", []),
            ]
        )
    )


def test_at_a_low_call_rate_sdk_pays_the_first_call_like_a_dict_miss(prices: cost_model.PriceTable) -> None:
    # One fetch every 1,000 s: far past any idle boundary and the 60 s TTL. sdk and the dict both make one
    # API call after a long idle gap per fetch, so both cost the first call, and sdk is not the cheaper one.
    costs = cost_model.cost_table(sdk_and_dict(), prices, 0.001, 60).set_index("strategy")
    assert costs.loc["sdk", "expected_ms"] == pytest.approx(60.0)
    assert costs.loc["dict", "expected_ms"] == pytest.approx(60.0)
    assert costs.loc["sdk", "total_usd"] >= costs.loc["dict", "total_usd"]
    assert costs.loc["sdk", "api_calls_per_fetch"] == costs.loc["dict", "api_calls_per_fetch"] == 1.0


def test_back_to_back_sdk_calls_cost_the_hot_connection_figure(prices: cost_model.PriceTable) -> None:
    costs = cost_model.cost_table(sdk_and_dict(), prices, 10, 60).set_index("strategy")
    # a call every 0.1 s: the connection stays hot
    assert costs.loc["sdk", "expected_ms"] == pytest.approx(30.0)


def test_a_dict_miss_inside_the_idle_boundary_costs_a_hot_call(prices: cost_model.PriceTable) -> None:
    # TTL 10 s at 1 fetch/s: a miss every 11 s (the fetch at exactly 10 s is still served), inside a 20 s
    # boundary: the miss pays the first call less the cold-connection penalty sdk measured (60 - 30 ms).
    costs = cost_model.cost_table(sdk_and_dict(), prices, 1.0, 10, idle_boundary_s=20).set_index("strategy")
    assert costs.loc["dict", "expected_ms"] == pytest.approx((30.0 + 10 * 0.001) / 11)
    past = cost_model.cost_table(sdk_and_dict(), prices, 1.0, 10, idle_boundary_s=5).set_index("strategy")
    assert past.loc["dict", "expected_ms"] == pytest.approx((60.0 + 10 * 0.001) / 11)


def test_the_api_call_costs_the_first_call_only_after_an_idle_gap() -> None:
    from dashboard import call_model

    assert call_model.api_call_ms(30.0, first_call_ms=358.0, hot_call_ms=40.0, idle_boundary_s=20) == 358.0
    assert call_model.api_call_ms(20.0, first_call_ms=358.0, hot_call_ms=40.0, idle_boundary_s=20) == 40.0
    assert call_model.api_call_ms(0.0, first_call_ms=358.0, hot_call_ms=40.0, idle_boundary_s=20) == 40.0


def caching_lib_cycles(ttl: int, period: float) -> list[float]:
    """The library's refresh: randint(round(ttl / 2), ttl) s after the DescribeSecret returned; the first
    fetch at or after that time refreshes, so a fetch exactly k periods later (still before it) is served."""
    return [period * (math.floor(k / period) + 1) for k in range(round(ttl / 2), ttl + 1)]


def test_the_caching_library_refreshes_between_half_the_ttl_and_the_ttl() -> None:
    from dashboard import call_model

    # 1 fetch/s, 60 s TTL: refreshes come 31 to 61 s apart, 46 s on average: 3600 / 46 = 78.3 DescribeSecret
    # calls an hour, and no GetSecretValue while the secret does not change (not 2 calls per TTL: 120).
    assert sum(caching_lib_cycles(60, 1.0)) / 31 == 46.0
    per_hour = 3600 * call_model.api_calls_per_second("caching_lib", 1.0, 60, calls_per_miss=2)
    assert per_hour == pytest.approx(3600 / 46)
    assert call_model.miss_fraction("caching_lib", 1.0, 60) == pytest.approx(1 / 46)
    # a secret that changes far more often than it is refreshed: every refresh also fetches the new version
    rotating = call_model.api_calls_per_second("caching_lib", 1.0, 60, calls_per_miss=2, changes_per_day=1e6)
    assert rotating == pytest.approx(2 / 46)
    # one change a day at 1 fetch/s: exactly the expected share of refreshes that find a new version
    lam = 1 / 86400
    share = sum(1 - math.exp(-lam * c) for c in caching_lib_cycles(60, 1.0)) / 31
    daily = call_model.api_calls_per_second("caching_lib", 1.0, 60, calls_per_miss=2, changes_per_day=1)
    assert daily == pytest.approx((1 + share) / 46)


def test_the_cost_page_charges_the_caching_library_its_refreshes(prices: cost_model.PriceTable) -> None:
    # the probe's miss is a fresh cache: DescribeSecret + GetSecretValue
    fresh_cache = {"cold_miss_ms": 120.0, "warm_ms": [0.01] * 9, "api_calls": 2}
    df = frame(
        [
            row("2026-11-27T05:00", strategy="caching_lib", **fresh_cache),
            row("2026-11-27T05:00", strategy="sdk", cold_miss_ms=60.0, warm_ms=[30.0] * 9),
        ]
    )
    costs = cost_model.cost_table(digests_of(df), prices, 1.0, 60).set_index("strategy")
    assert costs.loc["caching_lib", "api_calls_per_fetch"] * 3600 == pytest.approx(3600 / 46)  # not 120
    # a refresh is one DescribeSecret after 31-61 s idle (past the 20 s boundary): the measured fresh
    # cache's miss (DescribeSecret after idle + GetSecretValue back to back) less one hot call
    refresh_ms = 120.0 - 30.0
    assert costs.loc["caching_lib", "expected_ms"] == pytest.approx((refresh_ms + 45 * 0.01) / 46)


class FakeClock:
    """The test's clock, in seconds since `start`."""

    now_s = 0.0
    start = datetime(2026, 1, 1, tzinfo=UTC)


class FakeDatetime(datetime):
    """datetime for the library's module: now() reads the test's clock."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return FakeClock.start + timedelta(seconds=FakeClock.now_s)


class FakeSecretsManager:
    """Counts calls (boto3's keyword spelling); each takes 50 ms of the fake clock; the version changes when
    told."""

    def __init__(self) -> None:
        self.calls = {"describe_secret": 0, "get_secret_value": 0}
        self.version = "v1"

    def describe_secret(self, SecretId: str) -> dict[str, Any]:
        self.calls["describe_secret"] += 1
        FakeClock.now_s += 0.05
        return {"VersionIdsToStages": {self.version: ["AWSCURRENT"]}}

    def get_secret_value(self, SecretId: str, VersionId: str) -> dict[str, Any]:
        self.calls["get_secret_value"] += 1
        FakeClock.now_s += 0.05
        return {"SecretString": f"value-{VersionId}", "VersionId": VersionId}


def test_the_model_matches_the_real_librarys_refresh_on_a_fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    items = pytest.importorskip("aws_secretsmanager_caching.cache.items")
    from aws_secretsmanager_caching import SecretCache, SecretCacheConfig

    from dashboard import call_model

    monkeypatch.setattr(items, "datetime", FakeDatetime)
    random.seed(21)
    FakeClock.now_s = 0.0
    client = FakeSecretsManager()
    cache = SecretCache(config=SecretCacheConfig(secret_refresh_interval=60), client=client)
    hours = 20
    seen: set[str] = set()
    for second in range(hours * 3600):  # one fetch a second, on the second
        FakeClock.now_s = float(second)
        seen.add(cache.get_secret_string("s"))
        if second == hours * 1800:
            client.version = "v2"  # one rotation half-way: one more GetSecretValue at the next refresh
    expected = hours * 3600 * call_model.refreshes_per_second("caching_lib", 1.0, 60)
    assert client.calls["describe_secret"] == pytest.approx(expected, rel=0.02)
    assert client.calls["get_secret_value"] == 2  # the fresh cache's, and the new version's
    assert seen == {"value-v1", "value-v2"}


def cloud_extensions(**extra: Any) -> Any:
    """Cloud Extensions with and without prefetch beside sdk (first call 60 ms, back-to-back 30 ms): without
    prefetch the first fetch is a 70 ms miss; with it, a 2 ms hit served from the prefetched cache."""
    prefetch = "cloud_extensions-128-x86_64-prefetch"
    return digests_of(
        frame(
            [
                row("2026-11-27T05:00", strategy="sdk", cold_miss_ms=60.0, warm_ms=[30.0] * 9),
                row(
                    "2026-11-27T05:00",
                    strategy="cloud_extensions",
                    cold_miss_ms=70.0,
                    warm_ms=[2.0] * 9,
                    api_calls=None,
                ),
                row(
                    "2026-11-27T05:00",
                    strategy="cloud_extensions",
                    probe_key=prefetch,
                    cold_miss_ms=None,
                    first_hit_ms=2.0,
                    miss_guarantee="none",
                    warm_ms=[2.0] * 9,
                    api_calls=None,
                ),
                row(
                    "2026-11-27T05:00",
                    strategy="cloud_extensions",
                    store="ssm",
                    cold_miss_ms=50.0,
                    warm_ms=[2.0] * 9,
                    api_calls=None,
                ),
            ]
        )
    )


def test_cloud_extensions_revalidates_a_secret_with_describe_secret_after_each_ttl(
    prices: cost_model.PriceTable,
) -> None:
    # 1 fetch/s, TTL 60 s: a call every 61 s. A secret that never changes: one DescribeSecret per call;
    # changing 24 times a day: a GetSecretValue too at the share of revalidations that find a new version.
    table = cost_model.cost_table(cloud_extensions(), prices, 1.0, 60, idle_boundary_s=20)
    costs = table.set_index(["strategy", "store"])
    secrets = costs.loc[("cloud_extensions", "secretsmanager")]
    assert secrets["api_calls_per_fetch"] == pytest.approx(1 / 61)
    assert secrets["expected_ms"] == pytest.approx((70.0 + 60 * 2.0) / 61)  # the miss after an idle gap
    changing = cost_model.cost_table(cloud_extensions(), prices, 1.0, 60, changes_per_day=24)
    share = 1 - math.exp(-24 / 86_400 * 61)
    calls = changing.set_index(["strategy", "store"]).loc[("cloud_extensions", "secretsmanager")]
    assert calls["api_calls_per_fetch"] == pytest.approx((1 + share) / 61)
    assert calls["expected_ms"] == pytest.approx((70.0 + share * 30.0 + 60 * 2.0) / 61)
    # the Parameter Store side: one GetParameter per TTL, standard calls free
    ssm = costs.loc[("cloud_extensions", "ssm")]
    assert ssm["api_calls_per_fetch"] == pytest.approx(1 / 61) and ssm["api_usd"] == 0.0


def test_prefetch_is_its_own_row_priced_at_the_miss_without_prefetch_plus_its_start_up_call(
    prices: cost_model.PriceTable,
) -> None:
    costs = cost_model.cost_table(cloud_extensions(), prices, 1.0, 60).set_index(["strategy", "store"])
    plain = costs.loc[("cloud_extensions", "secretsmanager")]
    prefetch = costs.loc[("cloud_extensions_prefetch", "secretsmanager")]
    # its own first fetch is a hit: the revalidation after the TTL is priced at the miss without prefetch
    assert (
        prefetch["miss_measured_by"] == "cloud_extensions" and plain["miss_measured_by"] == "cloud_extensions"
    )
    assert prefetch["expected_ms"] == pytest.approx(plain["expected_ms"])
    # one BatchGetSecretValue per environment start, at the Secrets Manager API price; none without prefetch
    assert prefetch["start_calls"] == 1.0 and plain["start_calls"] == 0.0
    assert prefetch["start_usd"] == pytest.approx(prices.secretsmanager_per_10k / 1e4)
