"""The cost model: list prices, and what a fetch costs at each strategy, memory tier, architecture and store.

Shared by the dashboard (the Memory tiers page's cost per million fetches, `cost_table`) and the monthly
estimate of a configured fleet (`tools/cost.py`): the price table is read here and every Lambda GB-second and
API call is priced here (`gb_seconds_usd`, `api_calls_usd`). Pure; pandas only inside `cost_table`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from datastore.vocabulary import STORES, STRATEGIES

if TYPE_CHECKING:
    import pandas as pd

    from .digests import DigestFrames

CACHING_STRATEGIES = frozenset(STRATEGIES) - {"sdk"}  # every strategy but `sdk` keeps a cache


class CostModelError(ValueError):
    """A price or an input the model cannot use (an unknown architecture or store, a rate of 0)."""


@dataclass(frozen=True)
class PriceTable:
    """The list prices an estimate uses, and where they come from."""

    gb_second: dict[str, float]
    secretsmanager_per_10k: float
    ssm_per_10k: float
    about: str

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> PriceTable:
        """Read `docs/reference/prices-us-east-1.json`'s structure."""
        try:
            return cls(
                gb_second={k: float(v) for k, v in doc["lambda"]["gb_second"].items()},
                secretsmanager_per_10k=float(doc["secretsmanager"]["api_calls_per_10k"]),
                ssm_per_10k=float(doc["ssm_parameter_store"]["standard_api_calls_per_10k"]),
                about=str(doc.get("about", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CostModelError(f"price table is missing or has a bad field: {exc}") from exc


def miss_fraction(strategy: str, fetches_per_second: float, cache_ttl_seconds: float) -> float:
    """Share of fetches that miss the cache in one warm execution environment at a steady call rate.

    `sdk` has no cache (every fetch is a call); a caching strategy refreshes once per TTL at most.
    """
    if fetches_per_second <= 0 or cache_ttl_seconds <= 0:
        raise CostModelError("call rate and cache TTL must be positive")
    if strategy not in CACHING_STRATEGIES:
        return 1.0
    return min(1.0, 1.0 / (fetches_per_second * cache_ttl_seconds))


def gb_seconds_usd(gb_seconds: float, architecture: str, prices: PriceTable) -> float:
    """Lambda compute cost of `gb_seconds` GB-seconds on `architecture`, at the list price."""
    try:
        price = prices.gb_second[architecture]
    except KeyError as exc:
        raise CostModelError(f"no GB-second price for architecture {architecture!r}") from exc
    return gb_seconds * price


def api_calls_usd(calls: float, store: str, prices: PriceTable) -> float:
    """API cost of `calls` calls to `store`: Secrets Manager is billed per 10k calls; SSM standard calls are
    free (the table says 0)."""
    per_10k = {"secretsmanager": prices.secretsmanager_per_10k, "ssm": prices.ssm_per_10k}.get(store)
    if per_10k is None:
        raise CostModelError(f"no API price for store {store!r}")
    return calls * per_10k / 1e4


def lambda_usd_per_million(
    duration_ms: float, memory_mb: float, architecture: str, prices: PriceTable
) -> float:
    """Lambda compute cost of a million fetches of `duration_ms` each: GB-seconds at the list price."""
    return gb_seconds_usd(1e6 * (duration_ms / 1000.0) * (memory_mb / 1024.0), architecture, prices)


def api_usd_per_million(calls_per_fetch: float, store: str, prices: PriceTable) -> float:
    """API cost of a million fetches making `calls_per_fetch` calls each."""
    return api_calls_usd(1e6 * calls_per_fetch, store, prices)


def cost_table(
    frames: DigestFrames, prices: PriceTable, fetches_per_second: float, cache_ttl_seconds: float
) -> pd.DataFrame:
    """Estimated cost per million fetches for each strategy × tier × architecture × store in the digests.

    The expected fetch time mixes the exact mean cold miss and mean warm hit by the miss fraction. API calls
    per miss are the measured calls per invocation (its one miss; `sdk`: calls per fetch measured over the
    invocations); the extension's calls happen outside the function and are not counted, so one per miss is
    assumed. Columns: strategy, memory_mb, architecture, store, expected_ms, miss_fraction,
    api_calls_per_fetch, lambda_usd, api_usd, total_usd (USD per million fetches), n_invocations.
    """
    columns = [
        "strategy",
        "memory_mb",
        "architecture",
        "store",
        "expected_ms",
        "miss_fraction",
        "api_calls_per_fetch",
        "lambda_usd",
        "api_usd",
        "total_usd",
        "n_invocations",
    ]
    import pandas as pd

    stores = frames.stores[frames.stores["store"].isin(STORES)]
    records = []
    keys = ["strategy", "memory_mb", "architecture", "store"]
    for (strategy, memory_mb, arch, store), group in stores.groupby(keys, sort=True):
        cold_n, warm_n = int(group["cold_miss_n"].sum()), int(group["warm_hit_n"].sum())
        if not cold_n and not warm_n:
            continue
        cold_mean = group["cold_miss_sum"].sum() / cold_n if cold_n else group["warm_hit_sum"].sum() / warm_n
        warm_mean = group["warm_hit_sum"].sum() / warm_n if warm_n else cold_mean
        miss = miss_fraction(str(strategy), fetches_per_second, cache_ttl_seconds)
        calls = float(group["api_calls"].fillna(0).sum())
        api_rows = int(group["api_rows"].sum())
        if strategy in CACHING_STRATEGIES:
            expected = miss * cold_mean + (1 - miss) * warm_mean
            calls_per_fetch = miss * (calls / api_rows if api_rows else 1.0)
        else:
            # No cache: the steady state is the repeated call on a reused client.
            expected = warm_mean
            fetches = int(group["api_fetches"].sum())
            calls_per_fetch = calls / fetches if fetches else 1.0
        lam = lambda_usd_per_million(float(expected), float(memory_mb), str(arch), prices)
        api = api_usd_per_million(calls_per_fetch, str(store), prices)
        records.append(
            {
                "strategy": strategy,
                "memory_mb": int(memory_mb),
                "architecture": arch,
                "store": store,
                "expected_ms": float(expected),
                "miss_fraction": miss,
                "api_calls_per_fetch": calls_per_fetch,
                "lambda_usd": lam,
                "api_usd": api,
                "total_usd": lam + api,
                "n_invocations": int(group["rows"].sum()),
            }
        )
    return pd.DataFrame.from_records(records, columns=columns)


def best_choices(costs: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The cheapest and the fastest row of a cost table (ties: the smaller memory), or {} when empty."""
    if costs.empty:
        return {}
    cheapest = costs.sort_values(["total_usd", "memory_mb"]).iloc[0]
    fastest = costs.sort_values(["expected_ms", "memory_mb"]).iloc[0]
    return {"cheapest": cheapest.to_dict(), "fastest": fastest.to_dict()}
