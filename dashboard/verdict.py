"""The Overview's answer in one sentence, computed from the data in range. Pure.

"At 128 MB an extension hit costs 40 ms, 100,000× a dict; at 1,769 MB 1.7 ms." The subject is the extension
when it was measured (the question the observatory exists for), else the slowest strategy; it is compared with
the fastest strategy at the smallest tier, then followed to the largest tier. A second sentence gives the cold
miss at the smallest tier against a direct SDK call. Where Cloud Extensions was measured beside the extension,
a third sentence answers the question everyone on the extension asks — move or not: its hit against the
extension's at the smallest tier and at the largest ("A Cloud Extensions hit: 45 ms at 128 MB, 1.1× the
extension's; 2.1 ms at 1,769 MB, 1.2×."). The probe without prefetch is compared; hits do not depend on
prefetch, which only moves the first fetch.
"""

from __future__ import annotations

import pandas as pd

from . import labels

NOUN = {
    "extension": "an extension hit",
    "sdk": "an SDK call",
    "dict": "a dict",
    "caching_lib": "the caching library",
    "powertools": "Powertools",
    "cloud_extensions": "a Cloud Extensions hit",
    "cloud_extensions_prefetch": "a Cloud Extensions hit (prefetch)",
}
CHALLENGER = "cloud_extensions"  # compared with the extension, hit for hit


def _ratio(value: float) -> str:
    """100,000× / 4,300× / 25× / 2.5× / 1.0×: two significant figures, thousands separated; a trailing zero
    kept (1.04 reads 1.0×, not 1×, which would claim the two are equal)."""
    if value >= 9.95:  # two significant figures of it have no decimals
        digits = len(str(int(round(value, 1)))) - 2
        return f"{round(value, -digits):,.0f}×"
    return f"{value:#.2g}×"


def _tier(memory_mb: int) -> str:
    return f"{memory_mb:,} MB"


def sentence(summary: pd.DataFrame) -> str | None:
    """The verdict from `stats.tier_summary` (strategy, memory_mb, metric, median, n); None without data."""
    warm = summary[(summary["metric"] == "warm_hit") & summary["median"].notna()] if len(summary) else summary
    if warm.empty:
        return None
    tiers = sorted(int(t) for t in warm["memory_mb"].unique())
    low, high = tiers[0], tiers[-1]
    at_low = warm[warm["memory_mb"] == low].set_index("strategy")["median"]
    subject = "extension" if "extension" in at_low.index else str(at_low.idxmax())
    fastest = str(at_low.idxmin())
    text = f"At {_tier(low)} {NOUN.get(subject, subject)} costs {labels.fmt_ms(at_low[subject])}"
    if fastest != subject and at_low[fastest] > 0:
        text += f", {_ratio(at_low[subject] / at_low[fastest])} {NOUN.get(fastest, fastest)}"
    at_high = warm[(warm["memory_mb"] == high) & (warm["strategy"] == subject)]["median"]
    if high != low and len(at_high):
        text += f"; at {_tier(high)} {labels.fmt_ms(float(at_high.iloc[0]))}"
    text += "."
    cold = summary[
        (summary["metric"] == "cold_miss") & (summary["memory_mb"] == low) & summary["median"].notna()
    ]
    cold_by = cold.set_index("strategy")["median"]
    if subject in cold_by.index and "sdk" in cold_by.index and subject != "sdk":
        text += (
            f" A cold miss at {_tier(low)}: {labels.fmt_ms(cold_by[subject])} against "
            f"{labels.fmt_ms(cold_by['sdk'])} for a direct SDK call."
        )
    against = _against_extension(warm, (low, high))
    return f"{text} {against}" if against else text


def _against_extension(warm: pd.DataFrame, tiers: tuple[int, int]) -> str | None:
    """Cloud Extensions' hit against the extension's at the smallest and largest tier both measured."""
    parts = []
    for memory_mb in dict.fromkeys(tiers):
        at = warm[warm["memory_mb"] == memory_mb].set_index("strategy")["median"]
        if CHALLENGER in at.index and "extension" in at.index and at["extension"] > 0:
            ratio = _ratio(at[CHALLENGER] / at["extension"])
            parts.append((labels.fmt_ms(at[CHALLENGER]), _tier(memory_mb), ratio))
    if not parts:
        return None
    (ms, tier, ratio), *rest = parts
    text = f"A Cloud Extensions hit: {ms} at {tier}, {ratio} the extension's"
    for ms, tier, ratio in rest:
        text += f"; {ms} at {tier}, {ratio}"
    return text + "."
