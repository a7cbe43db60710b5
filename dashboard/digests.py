"""Digests as long-form frames: what every page but Runs works from.

Pure (no Streamlit, no AWS). `to_frames` turns `datastore.digest.ProbeDigest`s — read from the table for
closed days, or made from rows for days not digested yet — into (`wires_to_frames` from their wire form, read
through `datastore.digest_wire`, the one place that knows its keys):
- `probes`: one row per (bucket, probe): identity (with `runtime` and `tracing`), invocations, not ok, cold
  starts, CPU and throttling totals, last invocation, the values seen (`seen_<field>`, `|`-joined) and when
  each was first seen in the bucket (`first_<field>`, value → ts text; None in digests written before it was
  recorded); the lab host's CPU model and reference-workload time are among the values seen
  (`seen_host_cpu`, `seen_host_ref_ms`);
- `stores`: one row per (bucket, probe, store): identity, rows per status, error types, API calls, the cold
  misses left out as possibly hits (`cold_unknown`; <NA> for a digest from before cold misses were split by
  cold start), and per latency metric its exact `<metric>_n`, `_min`, `_max`, `_sum`;
- `bins`: per metric, the sketches' bins as three flat arrays (`row` = the stores row they belong to, `key`,
  `count`), so merging any group of sketches is one vectorised group-by (`dashboard.sketches`).
Filtering keeps the stores frame's index, so a subset still finds its bins.

`strategy` is the strategy as the dashboard shows it: a `cloud_extensions` probe with prefetch on is the
variant `variants.PREFETCH_VARIANT`, never pooled with the probe without (`prefetch` says which; digests from
before the field read as not prefetch unless the probe key ends in `-prefetch`).

Digests written before runtime and tracing were part of a probe's identity (no runtime or tracing stored) load
with the one runtime their rows recorded (`seen.runtime`, when the bucket saw exactly one; else None) and
tracing `subsegments`, the only mode there was; digests without host values have None there.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from datastore import digest_wire
from datastore.digest import METRICS, SEEN_FIELDS, ProbeDigest
from datastore.digest_wire import ProbeFields
from datastore.sketch import split_wire
from datastore.vocabulary import STATUSES

from . import variants

ZERO_KEY = np.iinfo(np.int32).min  # the bin of exact zeros
HOST_FIELDS = ("host_cpu", "host_ref_ms")  # lab rows only; absent from the values seen of older digests
SEEN = tuple(dict.fromkeys((*SEEN_FIELDS, *HOST_FIELDS)))  # the values seen the frames carry
IDENTITY = (
    "probe_key",
    "strategy",  # as shown: a prefetch probe is its own variant (`dashboard.variants`)
    "prefetch",
    "memory_mb",
    "architecture",
    "runtime",
    "tracing",
    "environment",
    "region",
)
PROBE_COLUMNS = (
    "bucket",
    "hours",
    *IDENTITY,
    "invocations",
    "not_ok",
    "cold_starts",
    "cpu_time_ms",
    "cpu_measured",
    "throttled_periods",
    "total_periods",
    "throttle_measured",
    "last_ts",
    "last_status",
    "last_error_types",
    *(f"seen_{name}" for name in SEEN),
    *(f"first_{name}" for name in SEEN),
)
STORE_COLUMNS = (
    "bucket",
    "hours",
    *IDENTITY,
    "store",
    "rows",
    *STATUSES,
    "error_types",
    "warm_n",
    "api_calls",
    "api_rows",
    "api_fetches",
    "cold_unknown",  # cold misses left out as possibly hits (older rows); <NA>: an unsplit (older) digest
    *(f"{m}_{part}" for m in METRICS for part in ("n", "min", "max", "sum")),
)


@dataclass(frozen=True)
class Bins:
    """The bins of one metric's sketches: parallel arrays, `row` naming the stores-frame row."""

    row: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    key: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    count: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def subset(self, rows: pd.Index) -> Bins:
        keep = np.isin(self.row, rows.to_numpy())
        return Bins(self.row[keep], self.key[keep], self.count[keep])


@dataclass(frozen=True)
class DigestFrames:
    """Probes, stores and the bins of their sketches (see the module docstring)."""

    probes: pd.DataFrame
    stores: pd.DataFrame
    bins: dict[str, Bins]

    @property
    def empty(self) -> bool:
        return self.probes.empty

    def where(self, probes_mask: pd.Series, stores_mask: pd.Series) -> DigestFrames:
        """The rows the masks keep (bins are selected lazily by the stores' index when used)."""
        return DigestFrames(self.probes[probes_mask], self.stores[stores_mask], self.bins)

    def stores_where(self, mask: pd.Series) -> DigestFrames:
        """The same probes, only the stores rows `mask` keeps."""
        return DigestFrames(self.probes, self.stores[mask], self.bins)

    def bins_of(self, metric: str, stores: pd.DataFrame | None = None) -> Bins:
        """The bins of `metric` that belong to `stores` (default: this view's stores)."""
        chosen = self.stores if stores is None else stores
        return self.bins[metric].subset(chosen.index)


def _typed_probes(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(PROBE_COLUMNS))
    frame["bucket"] = pd.to_datetime(frame["bucket"], utc=True, format="ISO8601")
    frame["last_ts"] = pd.to_datetime(frame["last_ts"], utc=True, format="ISO8601")
    for name in ("hours", "memory_mb", "invocations", "not_ok", "cold_starts", "cpu_measured",
                 "throttle_measured"):  # fmt: skip
        frame[name] = frame[name].astype("int64")
    for name in ("throttled_periods", "total_periods"):
        frame[name] = frame[name].astype("Int64")
    frame["cpu_time_ms"] = frame["cpu_time_ms"].astype("float64")
    frame["prefetch"] = frame["prefetch"].astype(bool)
    return frame


def _typed_stores(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(STORE_COLUMNS))
    frame["bucket"] = pd.to_datetime(frame["bucket"], utc=True, format="ISO8601")
    for name in ("hours", "memory_mb", "rows", *STATUSES, "warm_n", "api_rows", "api_fetches"):
        frame[name] = frame[name].astype("int64")
    frame["api_calls"] = frame["api_calls"].astype("Int64")
    frame["cold_unknown"] = frame["cold_unknown"].astype("Int64")
    frame["prefetch"] = frame["prefetch"].astype(bool)
    for metric in METRICS:
        frame[f"{metric}_n"] = frame[f"{metric}_n"].astype("int64")
        for part in ("min", "max", "sum"):
            frame[f"{metric}_{part}"] = frame[f"{metric}_{part}"].astype("float64")
    return frame


def _runtime(fields: ProbeFields) -> str | None:
    """The digest's runtime; in older digests (none stored) the one runtime its rows recorded, if only one."""
    if fields.runtime:
        return str(fields.runtime)
    recorded = fields.seen.get("runtime") or []
    return str(recorded[0]) if len(recorded) == 1 else None


def to_frames(digests: Iterable[ProbeDigest]) -> DigestFrames:
    """The frames of these digests (any mix of days and hours)."""
    return wires_to_frames(digest_wire.encode(d) for d in digests)


def wires_to_frames(wires: Iterable[Mapping[str, Any]]) -> DigestFrames:
    """The frames of digests in their wire form (as `datastore.digest_table` reads them), read field by
    field by `datastore.digest_wire.read_fields`: no objects in between, the sketches' bins go straight into
    arrays."""
    probes: list[dict] = []
    stores: list[dict] = []
    deltas: dict[str, list[list[int]]] = {m: [] for m in METRICS}
    counts: dict[str, list[list[int]]] = {m: [] for m in METRICS}
    rows_of: dict[str, list[int]] = {m: [] for m in METRICS}
    zeros: dict[str, list[tuple[int, int]]] = {m: [] for m in METRICS}
    for wire in wires:
        f = digest_wire.read_fields(wire)
        prefetch = variants.is_prefetch(f.strategy, getattr(f, "prefetch", None), f.probe_key)
        ident = {
            "bucket": f.start,
            "hours": f.hours,
            "probe_key": f.probe_key,
            "strategy": variants.PREFETCH_VARIANT if prefetch else f.strategy,
            "prefetch": prefetch,
            "memory_mb": f.memory_mb,
            "architecture": f.architecture,
            "runtime": _runtime(f),
            "tracing": f.tracing,
            "environment": f.environment,
            "region": f.region,
        }
        probes.append(
            {
                **ident,
                "invocations": f.invocations,
                "not_ok": f.not_ok,
                "cold_starts": f.cold_starts,
                "cpu_time_ms": f.cpu_time_ms,
                "cpu_measured": f.cpu_measured,
                "throttled_periods": f.throttled_periods,
                "total_periods": f.total_periods,
                "throttle_measured": f.throttle_measured,
                "last_ts": f.last_ts or None,
                "last_status": f.last_status,
                "last_error_types": f.last_error_types,
                **{f"seen_{name}": "|".join(f.seen.get(name) or []) or None for name in SEEN},
                **{f"first_{name}": f.first_seen.get(name) for name in SEEN},
            }
        )
        for st in f.stores:
            row = len(stores)
            record: dict[str, Any] = {
                **ident,
                "store": st.store,
                "rows": sum(st.statuses.values()),
                **{status: st.statuses.get(status, 0) for status in STATUSES},
                "error_types": ",".join(f"{k}:{v}" for k, v in sorted(st.error_types.items())),
                "warm_n": st.warm_n,
                "api_calls": st.api_calls,
                "api_rows": st.api_rows,
                "api_fetches": st.api_fetches,
                "cold_unknown": st.cold_unknown,
            }
            for metric in METRICS:
                m = st.metrics.get(metric)
                if m is None:
                    record.update(
                        {f"{metric}_n": 0, f"{metric}_min": None, f"{metric}_max": None, f"{metric}_sum": 0.0}
                    )
                    continue
                record.update({f"{metric}_n": m.n, f"{metric}_min": m.min, f"{metric}_max": m.max,
                               f"{metric}_sum": m.sum})  # fmt: skip
                zero, d_keys, d_counts = split_wire(m.sketch)
                if d_keys:
                    deltas[metric].append(d_keys)
                    counts[metric].append(d_counts)
                    rows_of[metric].append(row)
                if zero:
                    zeros[metric].append((row, zero))
            stores.append(record)
    bins = {m: _bins(deltas[m], counts[m], rows_of[m], zeros[m]) for m in METRICS}
    return DigestFrames(_typed_probes(probes), _typed_stores(stores), bins)


def _bins(
    deltas: list[list[int]], counts: list[list[int]], rows: list[int], zeros: list[tuple[int, int]]
) -> Bins:
    """Flat arrays from many sketches' wire bins: keys are cumulative sums within each sketch."""
    lengths = np.fromiter((len(x) for x in deltas), dtype=np.int64, count=len(deltas))
    total = int(lengths.sum())
    flat = np.fromiter(itertools.chain.from_iterable(deltas), dtype=np.int64, count=total)
    cum = np.cumsum(flat)
    starts = np.cumsum(lengths) - lengths
    offsets = cum[starts] - flat[starts] if total else np.empty(0, dtype=np.int64)
    keys = cum - np.repeat(offsets, lengths)
    count = np.fromiter(itertools.chain.from_iterable(counts), dtype=np.int64, count=total)
    row = np.repeat(np.asarray(rows, dtype=np.int64), lengths)
    if zeros:
        z_rows, z_counts = zip(*zeros, strict=True)
        row = np.concatenate([row, np.asarray(z_rows, dtype=np.int64)])
        keys = np.concatenate([keys, np.full(len(zeros), ZERO_KEY, dtype=np.int64)])
        count = np.concatenate([count, np.asarray(z_counts, dtype=np.int64)])
    return Bins(row, keys, count)


def concat(parts: Sequence[DigestFrames]) -> DigestFrames:
    """One frame set from several (closed days, then today): store rows renumbered, bins with them."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return to_frames([])
    offset = 0
    bins: dict[str, list[Bins]] = {m: [] for m in METRICS}
    stores = []
    for part in parts:
        size = int(part.stores.index.max()) + 1 if len(part.stores) else 0
        renumber = np.full(size, -1, dtype=np.int64)
        renumber[part.stores.index.to_numpy()] = np.arange(len(part.stores)) + offset
        for m in METRICS:
            b = part.bins[m].subset(part.stores.index)
            bins[m].append(Bins(renumber[b.row], b.key, b.count))
        stores.append(part.stores.reset_index(drop=True))
        offset += len(part.stores)
    merged = {
        m: Bins(
            np.concatenate([b.row for b in bins[m]]),
            np.concatenate([b.key for b in bins[m]]),
            np.concatenate([b.count for b in bins[m]]),
        )
        for m in METRICS
    }
    probes = pd.concat([p.probes for p in parts], ignore_index=True)
    return DigestFrames(probes, pd.concat(stores, ignore_index=True), merged)
