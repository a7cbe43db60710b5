"""Where a Cloud Extensions fetch's time goes: the SigV4 signing inside it, and what prefetch moves out of the
handler. Pure (no Streamlit, no AWS).

- Signing (contract: rows' `sign_cold_ms`, `sign_warm_p50_ms`): the function signs every request to
  localhost:5333 with SigV4 in its own process, and the probe times the signing apart. `cold_miss_ms` and
  `warm_p50_ms` stay the whole fetch as the function pays it (signing included), so the signing's share is
  its part of the same fetch. Rows only (the digests do not carry it): the Runs page's window.
- Prefetch: with prefetch on, the extension loads the secret with `BatchGetSecretValue` shortly after it
  starts, in the background (AWS Systems Manager user guide, "Prefetching secrets with the Secrets Manager
  extension"), so the probe's first fetch is served from that cache: recorded as a first hit
  (`first_hit_ms`), not a cold miss. The call to Secrets Manager happened outside the handler; the cold-miss
  charts show the probe without prefetch paying it.
"""

from __future__ import annotations

import pandas as pd

from . import labels, stats, variants
from .digests import DigestFrames

SIGN_BY = ("strategy", "memory_mb", "store")
SIGN_TABLE_COLUMNS = (
    *SIGN_BY,
    "rows",
    "cold_miss_ms",
    "sign_cold_ms",
    "sign_cold_share",
    "warm_p50_ms",
    "sign_warm_p50_ms",
    "sign_warm_share",
)


def signing_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per strategy × tier × store, over the rows that timed their signing: the median whole fetch and the
    median signing of the cold miss and of the warm p50, and the signing's share of the fetch (the median of
    each row's share). Rows without signing times (other strategies, older rows) are left out; no such rows,
    an empty table. Columns: SIGN_TABLE_COLUMNS."""
    if rows.empty or "sign_cold_ms" not in rows or "sign_warm_p50_ms" not in rows:
        return pd.DataFrame(columns=list(SIGN_TABLE_COLUMNS))
    timed = rows[rows["sign_cold_ms"].notna() | rows["sign_warm_p50_ms"].notna()]
    if timed.empty:
        return pd.DataFrame(columns=list(SIGN_TABLE_COLUMNS))
    timed = timed.assign(
        sign_cold_share=timed["sign_cold_ms"] / timed["cold_miss_ms"].where(timed["cold_miss_ms"] > 0),
        sign_warm_share=timed["sign_warm_p50_ms"] / timed["warm_p50_ms"].where(timed["warm_p50_ms"] > 0),
    )
    medians = ["cold_miss_ms", "sign_cold_ms", "sign_cold_share", "warm_p50_ms", "sign_warm_p50_ms",
               "sign_warm_share"]  # fmt: skip
    grouped = timed.groupby(list(SIGN_BY), sort=True)
    out = grouped[medians].median().join(grouped.size().rename("rows")).reset_index()
    return out[list(SIGN_TABLE_COLUMNS)]


def prefetch_note(frames: DigestFrames) -> str | None:
    """What prefetch moves out of the handler, per tier where the prefetch variant's first fetch was measured:
    its first hit against the cold miss of the probe without prefetch. None without a prefetch probe."""
    if frames.stores.empty or not frames.stores["prefetch"].any():
        return None
    first = stats.group_summary(frames, ["strategy", "memory_mb"], "first_hit", (50.0,))
    cold = stats.group_summary(frames, ["strategy", "memory_mb"], "cold_miss", (50.0,))
    firsts = first[(first["strategy"] == variants.PREFETCH_VARIANT) & (first["n"] > 0)]
    misses = cold[cold["strategy"] == "cloud_extensions"].set_index("memory_mb")["p50"]
    parts = []
    for r in firsts.sort_values("memory_mb").itertuples():
        text = f"{labels.fmt_ms(r.p50)} at {labels.tier(r.memory_mb)}"
        if r.memory_mb in misses.index and pd.notna(misses[r.memory_mb]):
            text += f" against a {labels.fmt_ms(misses[r.memory_mb])} cold miss without prefetch"
        parts.append(text)
    said = (
        f"{labels.strategy(variants.PREFETCH_VARIANT)}: the extension loads the secret with "
        "BatchGetSecretValue while the environment starts, outside the handler, so the first fetch is a hit "
        "served from that cache (a first hit, not a cold miss; the cold-miss figures show the probe without "
        "prefetch paying the call)"
    )
    return f"{said}: first fetch p50 {'; '.join(parts)}." if parts else f"{said}."
