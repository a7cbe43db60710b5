"""Probe variants the dashboard shows as strategies of their own. Pure.

A `cloud_extensions` probe with prefetch on (contract: identity `prefetch: true`, probe key suffix
`-prefetch`) serves its first fetch from the cache the extension filled while the environment started, so it
answers a different question from the probe without: it is shown as its own variant, "Cloud Extensions,
prefetch", and never pooled with the other. The frames' `strategy` column holds the strategy as the dashboard
shows it — a value of `datastore.vocabulary.Strategy`, or `PREFETCH_VARIANT` — so every grouping, filter,
chart, verdict and cost keeps the two apart without knowing about prefetch; `base_strategy` maps a shown
strategy back to the vocabulary's.

Which variant a row or digest is: its `prefetch` field when it says; where it says nothing (rows and digests
from before the field existed, which load with null), the probe key's `-prefetch` suffix, which the contract
puts last; neither: not prefetch.
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

from datastore.vocabulary import PREFETCH_STRATEGIES, PREFETCH_SUFFIX

PREFETCH_VARIANT: Final = "cloud_extensions_prefetch"
BASE = {PREFETCH_VARIANT: "cloud_extensions"}


def _flag(value: Any) -> bool | None:
    """A stored `prefetch` as True / False; None when the row or digest does not say (null, NaN, absent)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return None
    return bool(value)


def is_prefetch(strategy: Any, prefetch: Any, probe_key: Any) -> bool:
    """Whether this row or digest comes from a prefetch probe (see the module docstring)."""
    if str(strategy) not in PREFETCH_STRATEGIES:
        return False
    flag = _flag(prefetch)
    if flag is not None:
        return flag
    return str(probe_key).endswith(PREFETCH_SUFFIX)


def shown_strategy(strategy: Any, prefetch: Any, probe_key: Any) -> str:
    """The strategy as the dashboard shows it: `PREFETCH_VARIANT` for a prefetch probe, else the strategy."""
    return PREFETCH_VARIANT if is_prefetch(strategy, prefetch, probe_key) else str(strategy)


def base_strategy(shown: Any) -> str:
    """The vocabulary's strategy behind a shown one (`cloud_extensions` for its prefetch variant)."""
    return BASE.get(str(shown), str(shown))


def prefetches(shown: Any) -> bool:
    """Whether a shown strategy is a prefetch variant."""
    return str(shown) in BASE


def with_variants(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows (contract §4) with `prefetch` as True / False / None (None where the row does not say, the column
    absent in rows from before it existed) and `strategy` as shown (`shown_strategy`)."""
    out = rows.copy()
    stored = out["prefetch"] if "prefetch" in out else pd.Series([None] * len(out), index=out.index)
    flags = [_flag(value) for value in stored]
    out["prefetch"] = pd.Series(flags, index=out.index, dtype=object)
    out["strategy"] = [
        shown_strategy(s, f, k) for s, f, k in zip(out["strategy"], flags, out["probe_key"], strict=True)
    ]
    return out
