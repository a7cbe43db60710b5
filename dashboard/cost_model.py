"""The cost model: list prices, and what a fetch costs at each strategy, memory tier, architecture and store.

Shared by the dashboard (the Memory tiers page's cost per million fetches, `cost_table`) and the monthly
estimate of a configured fleet (`tools/cost.py`): the price table is read here and every Lambda GB-second and
API call is priced here (`gb_seconds_usd`, `api_calls_usd`). How often each strategy calls AWS and what a call
costs at a call rate is `dashboard.call_model`'s (one model for every strategy). Pure; pandas only inside
`cost_table`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from datastore.vocabulary import STORES, STRATEGIES

from . import call_model, variants
from .call_model import DEFAULT_IDLE_BOUNDARY_S
from .call_model import CostModelError as CostModelError  # the model's one error, for both modules' callers
from .call_model import miss_fraction as miss_fraction

if TYPE_CHECKING:
    import pandas as pd

    from .digests import DigestFrames

CACHING_STRATEGIES = frozenset(STRATEGIES) - {"sdk"}  # every strategy but `sdk` keeps a cache
# What an execution environment's start costs before its first fetch, outside the steady state: Cloud
# Extensions' prefetch loads the secret with one BatchGetSecretValue when the extension starts (AWS Systems
# Manager user guide, "Prefetching secrets with the Secrets Manager extension"); priced as one API call.
START_CALLS = {(variants.PREFETCH_VARIANT, "secretsmanager"): 1.0}


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


def _means(group: pd.DataFrame) -> tuple[float, float] | None:
    """(mean cold miss, mean warm hit) of a group of digest rows; either stands for the other when absent."""
    cold_n, warm_n = int(group["cold_miss_n"].sum()), int(group["warm_hit_n"].sum())
    if not cold_n and not warm_n:
        return None
    cold = group["cold_miss_sum"].sum() / cold_n if cold_n else group["warm_hit_sum"].sum() / warm_n
    warm = group["warm_hit_sum"].sum() / warm_n if warm_n else cold
    return float(cold), float(warm)


def cost_table(
    frames: DigestFrames,
    prices: PriceTable,
    fetches_per_second: float,
    cache_ttl_seconds: float,
    idle_boundary_s: float = DEFAULT_IDLE_BOUNDARY_S,
    changes_per_day: float = 0.0,
) -> pd.DataFrame:
    """Estimated cost per million fetches for each strategy × tier × architecture × store in the digests.

    Every strategy on one footing (`dashboard.call_model`): fetches at a steady rate in one environment; an
    AWS call after an idle gap longer than `idle_boundary_s` costs the strategy's measured cold miss (a first
    call), one inside it that miss less the cold-connection penalty `sdk` measured at the same tier ×
    architecture × store (its first call less its back-to-back call); `sdk` calls on every fetch, a cache on
    its first fetch past the TTL, the caching library at its refresh (one DescribeSecret, GetSecretValue when
    the secret changed: `changes_per_day`). API calls per miss are the measured ones (the extension's happen
    outside the function: one per miss assumed). Cloud Extensions revalidates a secret after the TTL with
    one DescribeSecret (GetSecretValue only on a change) and reads a parameter again with one call
    (`call_model.revalidates`); its prefetch variant's first fetch is a hit, so a call is priced at the cold
    miss the probe without prefetch measured at the same place (`miss_measured_by`), and its
    BatchGetSecretValue at each environment start is apart (`start_calls`, `start_usd`: per start, not per
    fetch: the steady state has no starts). Columns: strategy, memory_mb, architecture, store,
    expected_ms, miss_fraction (fetches that call AWS), call_gap_s (mean gap between calls),
    first_call_share (calls after an idle gap), hot_call_measured, miss_measured_by, api_calls_per_fetch,
    lambda_usd, api_usd, total_usd (USD per million fetches), start_calls, start_usd, n_invocations.
    """
    columns = [
        "strategy",
        "memory_mb",
        "architecture",
        "store",
        "expected_ms",
        "miss_fraction",
        "call_gap_s",
        "first_call_share",
        "hot_call_measured",
        "miss_measured_by",
        "api_calls_per_fetch",
        "lambda_usd",
        "api_usd",
        "total_usd",
        "start_calls",
        "start_usd",
        "n_invocations",
    ]
    import pandas as pd

    stores = frames.stores[frames.stores["store"].isin(STORES)]
    keys = ["strategy", "memory_mb", "architecture", "store"]
    groups = {key: group for key, group in stores.groupby(keys, sort=True)}
    calls_at: dict[tuple[Any, ...], tuple[float, float]] = {}  # sdk's (first call, back-to-back call)
    for (strategy, memory_mb, arch, store), group in groups.items():
        if strategy == "sdk" and int(group["cold_miss_n"].sum()) and int(group["warm_hit_n"].sum()):
            calls_at[(memory_mb, arch, store)] = _means(group)  # type: ignore[assignment]
    records = []
    for (strategy, memory_mb, arch, store), group in groups.items():
        means = _means(group)
        if means is None:
            continue
        base = variants.base_strategy(strategy)
        miss_by = _miss_measured_by(str(strategy), groups.get((base, memory_mb, arch, store)))
        if miss_by != strategy:
            means = (_means(groups[(base, memory_mb, arch, store)])[0], means[1])  # type: ignore[index]
        calls = float(group["api_calls"].fillna(0).sum())
        # API calls the probe's miss made (sdk: per fetch, every fetch being a call)
        per = int(group["api_fetches"].sum()) if strategy == "sdk" else int(group["api_rows"].sum())
        calls_per_miss = calls / per if per else 1.0
        first_call, hot_call = calls_at.get((memory_mb, arch, store), (None, None))
        measured = call_model.Measured(means[0], means[1], calls_per_miss, first_call, hot_call)
        args = (base, fetches_per_second, cache_ttl_seconds)
        gaps = call_model.call_gaps_s(*args)
        expected = call_model.expected_fetch_ms(
            base,
            measured,
            fetches_per_second,
            cache_ttl_seconds,
            idle_boundary_s,
            changes_per_day,
            str(store),
        )
        calls_per_fetch = (
            call_model.api_calls_per_second(*args, calls_per_miss, changes_per_day, str(store))
            / fetches_per_second
        )
        start_calls = START_CALLS.get((str(strategy), str(store)), 0.0)
        lam = lambda_usd_per_million(expected, float(memory_mb), str(arch), prices)
        api = api_usd_per_million(calls_per_fetch, str(store), prices)
        records.append(
            {
                "strategy": strategy,
                "memory_mb": int(memory_mb),
                "architecture": arch,
                "store": store,
                "expected_ms": expected,
                "miss_fraction": call_model.miss_fraction(*args),
                "call_gap_s": sum(gaps) / len(gaps),
                "first_call_share": call_model.first_call_share(gaps, idle_boundary_s),
                "hot_call_measured": measured.hot_call_measured,
                "miss_measured_by": miss_by,
                "api_calls_per_fetch": calls_per_fetch,
                "lambda_usd": lam,
                "api_usd": api,
                "total_usd": lam + api,
                "start_calls": start_calls,
                "start_usd": api_calls_usd(start_calls, str(store), prices),
                "n_invocations": int(group["rows"].sum()),
            }
        )
    return pd.DataFrame.from_records(records, columns=columns)


def _miss_measured_by(strategy: str, base_group: pd.DataFrame | None) -> str:
    """Whose cold miss prices this strategy's calls: its own, except for a prefetch variant (its first fetch
    is a hit), which takes its strategy's without prefetch at the same place where that measured one."""
    if not variants.prefetches(strategy) or base_group is None or not int(base_group["cold_miss_n"].sum()):
        return strategy
    return variants.base_strategy(strategy)


def best_choices(costs: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The cheapest and the fastest row of a cost table (ties: the smaller memory), or {} when empty."""
    if costs.empty:
        return {}
    cheapest = costs.sort_values(["total_usd", "memory_mb"]).iloc[0]
    fastest = costs.sort_values(["expected_ms", "memory_mb"]).iloc[0]
    return {"cheapest": cheapest.to_dict(), "fastest": fastest.to_dict()}
