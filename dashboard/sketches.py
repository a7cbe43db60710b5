"""Merged sketches, vectorised: quantiles, trimmed means and distributions of any grouping of digests.

Pure numpy. A group's sketch is the sum of its members' bin counts (DDSketch's merge); its quantiles walk the
cumulative counts and interpolate between adjacent ranks exactly as `datastore.sketch.Sketch.quantile` does,
so every figure is within the sketch's 1 % of `numpy.percentile` of the raw samples. All groups are merged
and queried at once: one lexsort and a few searchsorted calls, however many days and probes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from datastore.sketch import RELATIVE_ACCURACY, value_of

from .digests import ZERO_KEY, Bins

ACCURACY = RELATIVE_ACCURACY


@functools.lru_cache(maxsize=65536)
def _value(key: int) -> float:
    return 0.0 if key == ZERO_KEY else value_of(key)


def key_values(keys: np.ndarray) -> np.ndarray:
    """The value each bin stands for (the library's mapping; a few hundred distinct keys at most)."""
    if not len(keys):
        return np.empty(0)
    unique, inverse = np.unique(keys, return_inverse=True)
    return np.array([_value(int(k)) for k in unique])[inverse]


@dataclass(frozen=True)
class Merged:
    """Per group, its merged bins sorted by value: `starts[g]:starts[g + 1]` slices group g."""

    key: np.ndarray
    count: np.ndarray
    value: np.ndarray
    starts: np.ndarray
    totals: np.ndarray

    @property
    def groups(self) -> int:
        return len(self.totals)

    def slice(self, group: int) -> tuple[np.ndarray, np.ndarray]:
        """(values, counts) of one group."""
        lo, hi = self.starts[group], self.starts[group + 1]
        return self.value[lo:hi], self.count[lo:hi]


def merge(bins: Bins, row_group: np.ndarray, groups: int) -> Merged:
    """Merge the bins of every group: `row_group[row]` is the group of a stores row (-1: not chosen)."""
    if len(bins.row):
        in_range = bins.row < len(row_group)
        g = np.full(len(bins.row), -1, dtype=np.int64)
        g[in_range] = row_group[bins.row[in_range]]
    else:
        g = np.empty(0, dtype=np.int64)
    keep = g >= 0
    g, k, c = g[keep], bins.key[keep], bins.count[keep]
    order = np.lexsort((k, g))
    g, k, c = g[order], k[order], c[order]
    if len(g):
        new = np.ones(len(g), dtype=bool)
        new[1:] = (g[1:] != g[:-1]) | (k[1:] != k[:-1])
        first = np.flatnonzero(new)
        c = np.add.reduceat(c, first)
        g, k = g[first], k[first]
    starts = np.searchsorted(g, np.arange(groups + 1))
    cum = np.concatenate([[0], np.cumsum(c)])
    totals = cum[starts[1:]] - cum[starts[:-1]]
    return Merged(k, c, key_values(k), starts, totals)


def quantiles(merged: Merged, qs: list[float]) -> np.ndarray:
    """(groups × len(qs)) quantiles (q in 0-1), interpolated between adjacent ranks; NaN for empty groups."""
    out = np.full((merged.groups, len(qs)), np.nan)
    if not merged.groups or not len(merged.count):
        return out
    cum = np.cumsum(merged.count)
    base = np.concatenate([[0], cum])[merged.starts[:-1]]
    has = merged.totals > 0
    last = len(cum) - 1
    for j, q in enumerate(qs):
        rank = q * (merged.totals - 1)
        lo, hi = np.floor(rank), np.ceil(rank)
        at_lo = np.minimum(np.searchsorted(cum, base + lo, side="right"), last)
        at_hi = np.minimum(np.searchsorted(cum, base + hi, side="right"), last)
        low, high = merged.value[at_lo], merged.value[at_hi]
        out[has, j] = (low + (rank - lo) * (high - low))[has]
    return out


def trimmed_means(merged: Merged, proportion: float = 0.1) -> np.ndarray:
    """Per group, the mean after dropping `proportion` of the values at each end (bin values)."""
    out = np.full(merged.groups, np.nan)
    for g in range(merged.groups):
        values, counts = merged.slice(g)
        n = int(counts.sum())
        if not n:
            continue
        cut = int(np.floor(n * proportion))
        cum = np.cumsum(counts)
        before = cum - counts
        kept = np.clip(np.minimum(cum, n - cut) - np.maximum(before, cut), 0, None)
        out[g] = float((values * kept).sum() / kept.sum()) if kept.sum() else float(values[0])
    return out


def ecdf(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bin values and the share (0-1] of values at or below each: the ECDF of a sketch (1 % steps)."""
    if not len(values):
        return values, values
    cum = np.cumsum(counts)
    return values, cum / cum[-1]


def histogram(values: np.ndarray, counts: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share (0-1) of the values per linear bin of `edges`, each sketch bin counted at its value."""
    total = counts.sum()
    if not total:
        return np.zeros(len(edges) - 1)
    hist, _ = np.histogram(values, bins=edges, weights=counts)
    return hist / total
