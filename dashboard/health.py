"""Fleet health for the Overview's strip: which probes report, which are stale or failing, and how often
they failed — each figure with its own window (issue 21, findings 5 and 6).

Pure (no Streamlit, no AWS), from the probes frame of `dashboard.digests`. Two windows, never mixed:
- **now**: a probe's last invocation (from every loaded day), how old it is, whether it is stale (no row for
  `STALE_AFTER_INTERVALS` schedule intervals) or failing (its last invocation was not ok);
- **the selected range**: its invocations, how many were not ok and the failure rate, so a failure two months
  ago does not colour this week and a fresh one is not diluted by 90 days.
A probe that stopped reporting longer than the retirement period before the rest of the fleet's latest row
(removed from the catalogue, a lab run with another fleet) is **retired**: left out of the strip and counted
apart. Measured against the fleet's latest row, not the clock, so a whole fleet that stopped stays stale.
The schedule interval is given (`OBSERVATORY_SCHEDULE_SECONDS`: the Terraform output `dashboard_command` and
the lab pass it) or inferred from the digests, and then said to be a guess (`Interval.describe`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import DEFAULT_RETIRE_AFTER_DAYS

STALE_AFTER_INTERVALS = 2.5
DEFAULT_RETIRE_AFTER = pd.Timedelta(days=DEFAULT_RETIRE_AFTER_DAYS)
DEFAULT_INTERVAL_S = 300.0
COLUMNS = (
    "probe_key",
    "strategy",
    "memory_mb",
    "architecture",
    "environment",
    "last_ts",
    "age_s",
    "last_status",
    "last_error_types",
    "invocations",
    "not_ok",
    "failure_rate",
    "stale",
    "failing",
)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 2 * 3600 else f"{seconds / 3600:.1f} h"


@dataclass(frozen=True)
class Interval:
    """The probes' schedule interval, and whether it was given or inferred from the digests."""

    seconds: float
    inferred: bool

    def describe(self) -> str:
        """For the page: "every 15 min", and when it is a guess, how it was made and how to give it."""
        if not self.inferred:
            return f"every {_minutes(self.seconds)}"
        return (
            f"every {_minutes(self.seconds)}, inferred from the rows (a bucket's length over its "
            "invocations: a guess, too long when probes ran only part of the day; set "
            "OBSERVATORY_SCHEDULE_SECONDS to give it)"
        )


def infer_interval_seconds(probes: pd.DataFrame, default: float = DEFAULT_INTERVAL_S) -> float:
    """The schedule interval the digests show: a bucket's length over its invocations (median over probes).

    Right for a fleet that ran the whole bucket; a probe that ran part of it (a lab session of 3 hours in a
    day) looks slower than its schedule. Hence `schedule_interval` marks it inferred.
    """
    if probes.empty:
        return default
    busy = probes[probes["invocations"] > 1]
    if busy.empty:
        return default
    # the longest buckets say it best (a day, not the hour that is still running)
    longest = busy[busy["hours"] == busy["hours"].max()]
    return float((longest["hours"] * 3600 / longest["invocations"]).median())


def schedule_interval(given_seconds: int | float | None, probes: pd.DataFrame) -> Interval:
    """The interval given in the settings, else the one inferred from `probes` (marked inferred)."""
    if given_seconds:
        return Interval(float(given_seconds), inferred=False)
    return Interval(infer_interval_seconds(probes), inferred=True)


@dataclass(frozen=True)
class FleetHealth:
    """Per probe still in service (`probes`, columns `COLUMNS`) and the retired ones left out (`retired`:
    probe_key, last_ts, age_s, invocations in range)."""

    probes: pd.DataFrame
    retired: pd.DataFrame

    @property
    def stale(self) -> int:
        return int(self.probes["stale"].sum())

    @property
    def failing(self) -> int:
        return int(self.probes["failing"].sum())

    @property
    def reporting(self) -> int:
        return int((~self.probes["stale"]).sum())


def fleet_health(
    loaded: pd.DataFrame,
    in_range: pd.DataFrame,
    now: pd.Timestamp,
    interval_seconds: float,
    retire_after: pd.Timedelta = DEFAULT_RETIRE_AFTER,
    stale_after_intervals: float = STALE_AFTER_INTERVALS,
) -> FleetHealth:
    """Health per probe: the last invocation, age, stale and failing from `loaded` (every loaded day: now);
    invocations, not ok and failure rate from `in_range` (the selected range; NaN rate without invocations).

    A probe whose last invocation is more than `retire_after` before the fleet's latest one, and stale, is
    retired: in `retired`, not in `probes`.
    """
    if loaded.empty:
        empty = pd.DataFrame(columns=list(COLUMNS))
        return FleetHealth(empty, pd.DataFrame(columns=["probe_key", "last_ts", "age_s", "invocations"]))
    last = loaded.sort_values(["probe_key", "last_ts"]).groupby("probe_key").tail(1).set_index("probe_key")
    out = last[["strategy", "memory_mb", "architecture", "environment", "last_ts", "last_status"]].copy()
    out["last_error_types"] = last["last_error_types"].fillna("").str.replace(",", ", ")
    totals = in_range.groupby("probe_key").agg(invocations=("invocations", "sum"), not_ok=("not_ok", "sum"))
    out = out.join(totals)
    out[["invocations", "not_ok"]] = out[["invocations", "not_ok"]].fillna(0).astype("int64")
    out["age_s"] = (now - out["last_ts"]).dt.total_seconds()
    out["failure_rate"] = np.where(
        out["invocations"] > 0, out["not_ok"] / out["invocations"].clip(lower=1), np.nan
    )
    out["stale"] = out["age_s"] > stale_after_intervals * interval_seconds
    out["failing"] = out["last_status"] != "ok"
    retired = out["stale"] & (out["last_ts"].max() - out["last_ts"] > retire_after)
    out = out.reset_index().sort_values("probe_key")
    gone = retired.reindex(out["probe_key"]).to_numpy()
    kept = out[~gone][list(COLUMNS)].reset_index(drop=True)
    left = out[gone][["probe_key", "last_ts", "age_s", "invocations"]].reset_index(drop=True)
    return FleetHealth(kept, left)


def retired_note(fleet: FleetHealth, retire_after_days: int, window: str) -> str | None:
    """What the strip says of the probes it hides as retired (None when there are none)."""
    if fleet.retired.empty:
        return None
    n = len(fleet.retired)
    rows = fleet.retired.itertuples()
    gone = ", ".join(f"{p.probe_key} (last row {p.last_ts:%Y-%m-%d %H:%M} UTC)" for p in rows)
    probes = "probe" if n == 1 else "probes"
    return (
        f"{n} retired {probes} hidden: no row for more than {retire_after_days} days while the rest of the "
        f"fleet reported (OBSERVATORY_RETIRE_AFTER_DAYS): {gone}. Their invocations ({window}) still "
        "count in the failure rate."
    )


def failure_rate(probes: pd.DataFrame) -> float | None:
    """Share of invocations with any row not ok; None without invocations."""
    total = int(probes["invocations"].sum()) if len(probes) else 0
    return float(probes["not_ok"].sum() / total) if total else None
