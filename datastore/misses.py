"""Whether a row's cold miss can be trusted to be a miss: the one rule every page and digest applies.

A record says how each first fetch was made a miss (`miss_guarantee`, contract §3); a first fetch that may
have been served from a cache is stored as `first_hit_ms`, never as a cold miss. Rows from before the field
have none, and their timing cannot always tell: the `extension` strategy's cache lives in the extension, out
of the function's reach, so a first fetch in a warm environment within the TTL of an earlier one was a hit
stored as a cold miss. What the strategy alone tells is inferred here:
- `dict`, `caching_lib`, `powertools` always emptied their own cache before the first fetch (`forced`);
- `sdk` has no cache (`no_cache`);
- `extension` in a cold start: the extension's cache started empty with the environment (`fresh_environment`);
- `extension` in a warm environment: unknown, left out of every cold-miss figure and counted as such.

Pure: a row is a mapping with contract §4 columns (`strategy`, `cold_start`, `miss_guarantee`,
`cold_miss_ms`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, cast

from .vocabulary import MISS_GUARANTEES, MissGuarantee

Trust = Literal["trusted", "unknown"]
FORCED_STRATEGIES = ("dict", "caching_lib", "powertools")  # the probe has always emptied their caches
UNKNOWN_REASON = (
    "rows from before the probe recorded how a miss was guaranteed, of the extension in a warm environment: "
    "their first fetch may have come within the cache TTL of an earlier one and been a hit"
)


def _present(value: Any) -> bool:
    if value is None:
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def is_true(value: Any) -> bool:
    """A row's boolean cell (Python, numpy or pandas) as a bool; None, NaN and NA are not true."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    try:
        return bool(value)
    except TypeError:  # pandas NA
        return False


def miss_guarantee_of(row: Mapping[str, Any]) -> MissGuarantee | None:
    """The row's `miss_guarantee`, or for an older row what its strategy and cold start tell; None when
    nothing does (an older `extension` row of a warm environment)."""
    recorded = row.get("miss_guarantee")
    if isinstance(recorded, str) and recorded in MISS_GUARANTEES:
        return cast(MissGuarantee, recorded)
    strategy = row.get("strategy")
    if strategy in FORCED_STRATEGIES:
        return "forced"
    if strategy == "sdk":
        return "no_cache"
    if is_true(row.get("cold_start")):
        return "fresh_environment"
    return None


def cold_miss_trust(row: Mapping[str, Any]) -> Trust | None:
    """`trusted` when the row's cold miss was certainly a miss, `unknown` when it may have been a hit (an
    older row whose timing cannot tell), None when the row has no cold miss."""
    if not _present(row.get("cold_miss_ms")):
        return None
    guarantee = miss_guarantee_of(row)
    return "trusted" if guarantee is not None and guarantee != "none" else "unknown"
