"""What tracing costs: the five tracing modes side by side, and the sentence that answers "what does moving
from the X-Ray SDK to OpenTelemetry cost at 128 MB?". Pure (no Streamlit, no AWS), from `digests` frames.

Per probe group (strategy × memory × architecture × store × runtime × environment × region: a lab probe is
never compared with an AWS one, nor a probe with one in another region) and tracing mode: INIT (the INIT phase
of cold starts, `init_ms`), the cold miss and the warm hit, p50 and p90, each with its difference and ratio
to tracing `off` (`compare.compare`). INIT is recorded in every store's row of a cold start, and a group
holds one store, so each cold start counts once.

Left out, and counted (`LeftOut`), because they cannot be what their label says:
- samples of `off` probes written before `off` was really off: until issue 17 an `off` probe ran with
  Lambda's Active tracing. Those probes' rows recorded no INIT (`init_ms` came with the fix), so an `off`
  bucket that had cold starts and no INIT sample is one of them;
- cold misses that may have been cache hits (older rows, `cold_unknown`: never in the digests' cold miss).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import pandas as pd

from . import compare, labels, libraries
from .compare import COMPARE_COLUMNS
from .digests import DigestFrames

METRICS = ("init", "cold_miss", "warm_hit")  # as the page lists them
PLACE = ("environment", "region")  # held equal too: the comparison is made within each
COLUMNS = [*PLACE, *COMPARE_COLUMNS]
HEADLINE_MB = 128  # where the move costs most: 1.45 ms of CPU per 20 ms period


@dataclass(frozen=True)
class LeftOut:
    """Samples kept out of the comparison, by reason."""

    off_before_fix: int  # samples of `off` probes that still ran with Lambda's Active tracing
    off_before_fix_probes: int  # how many probes those came from
    cold_unknown: int  # cold misses that may have been hits (older rows)

    @property
    def total(self) -> int:
        return self.off_before_fix + self.cold_unknown


def _cold_starts(frames: DigestFrames) -> pd.Series:
    """Cold starts of each stores row's probe bucket (0 when the bucket is not in the probes frame)."""
    key = ["bucket", "hours", "probe_key"]
    probes = frames.probes[[*key, "cold_starts"]].groupby(key, as_index=False)["cold_starts"].sum()
    joined = frames.stores[key].merge(probes, on=key, how="left")
    return pd.Series(joined["cold_starts"].fillna(0).to_numpy(dtype=int), index=frames.stores.index)


def trusted(frames: DigestFrames) -> tuple[DigestFrames, LeftOut]:
    """The stores rows whose samples are what their labels say, and what was left out (module docstring)."""
    stores = frames.stores
    if stores.empty:
        return frames, LeftOut(0, 0, 0)
    before_fix = (stores["tracing"] == "off") & (_cold_starts(frames) > 0) & (stores["init_n"] == 0)
    samples = stores["cold_miss_n"] + stores["warm_hit_n"]
    kept = stores[~before_fix]
    left = LeftOut(
        off_before_fix=int(samples[before_fix].sum()),
        off_before_fix_probes=int(stores.loc[before_fix, "probe_key"].nunique()),
        cold_unknown=int(kept["cold_unknown"].fillna(0).sum()),
    )
    return frames.stores_where(~before_fix), left


def table(frames: DigestFrames) -> pd.DataFrame:
    """INIT, cold miss and warm hit of every tracing mode per probe group, with difference and ratio to
    `off` (else the least tracing measured): `compare.compare` within each environment and region.
    Columns: COLUMNS."""
    stores = frames.stores
    parts = []
    places = stores.groupby(list(PLACE), dropna=False, sort=True).groups if len(stores) else {}
    for (environment, region), index in places.items():
        part = compare.compare(frames.stores_where(stores.index.isin(index)), "tracing", METRICS)
        if len(part):
            parts.append(part.assign(environment=environment, region=region))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def readable(cost: pd.DataFrame) -> pd.DataFrame:
    """The table with the names a user reads (`libraries.readable`: the libraries too where annotated), the
    environment and region first."""
    out = libraries.readable(cost, "tracing")
    out.insert(0, "Region", cost["region"].fillna("—").to_numpy())
    environment = cost["environment"].map(labels.ENVIRONMENT).fillna(cost["environment"])
    out.insert(0, "Environment", environment.fillna("—").to_numpy())
    return out


def _ms(value: float) -> str:
    return f"{value:+,.0f} ms" if abs(value) >= 100 else f"{value:+.3g} ms"


def _moves(cost: pd.DataFrame, memory_mb: int, xray: str, target: str, metric: str) -> list[float]:
    """Per probe group at `memory_mb` that measured both: p50 of `target` minus p50 of `xray` (ms)."""
    at = cost[(cost["memory_mb"] == memory_mb) & (cost["metric"] == metric)]
    group = [*PLACE, *compare.HELD, "held"]
    moves = []
    for _, rows in at.groupby(group, dropna=False, sort=True):
        p50 = dict(zip(rows["value"], rows["p50"], strict=True))
        if xray in p50 and target in p50:
            moves.append(float(p50[target]) - float(p50[xray]))
    return moves


def _said(moves: list[float]) -> str:
    """ "+412 ms" for one group; "+412 ms (median of 3 probe groups, +380 to +450 ms)" for several."""
    middle = statistics.median(moves)
    if len(moves) == 1:
        return f"**{_ms(middle)}**"
    return f"**{_ms(middle)}** (median of {len(moves)} probe groups, {_ms(min(moves))} to {_ms(max(moves))})"


def headline(cost: pd.DataFrame, memory_mb: int = HEADLINE_MB) -> str | None:
    """One sentence from `table`: at `memory_mb`, what INIT and the warm hit's p50 move by from the X-Ray SDK
    (`subsegments`, the default; else `patch_all`) to the OpenTelemetry SDK and to the ADOT layer, in the
    probe groups that measured both. None when no group at that tier measured an X-Ray mode and an
    OpenTelemetry mode."""
    if cost.empty:
        return None
    at = cost[cost["memory_mb"] == memory_mb]
    xray = next((m for m in labels.XRAY_SDK if m in set(at["value"])), None)
    if xray is None:
        return None
    parts = []
    for target in labels.OPENTELEMETRY:
        said = []
        for metric, name in (("init", "INIT"), ("warm_hit", "a warm hit's p50")):
            moves = _moves(cost, memory_mb, xray, target, metric)
            if moves:
                said.append(f"{name} by {_said(moves)}")
        if said:
            parts.append(f"to the {labels.tracing(target)} moves {' and '.join(said)}")
    if not parts:
        return None
    return (
        f"At {memory_mb} MB, moving from the X-Ray SDK ({labels.tracing(xray)}) "
        + "; ".join(parts)
        + " (p50s, each probe group with everything else held equal)."
    )


def left_out_line(left: LeftOut) -> str | None:
    """What the page says about the samples it left out (None: none)."""
    said = []
    if left.off_before_fix:
        said.append(
            f"{left.off_before_fix:,} samples of {left.off_before_fix_probes} `off` probe(s) recorded "
            "before `off` was really off (they still ran with Lambda's Active tracing; their cold starts "
            "recorded no INIT)"
        )
    if left.cold_unknown:
        said.append(f"{left.cold_unknown:,} cold misses of older rows that may have been cache hits")
    return "Left out: " + "; ".join(said) + "." if said else None
