"""A mergeable quantile sketch: DDSketch's logarithmic bins at 1 % relative accuracy, and their wire form.

The bins are those of the `ddsketch` library (DataDog's DDSketch, VLDB 2019): its `LogarithmicMapping` maps a
value to the integer key `ceil(log_gamma(value))` and a key back to the value that represents its bin, so any
value the sketch reports is within RELATIVE_ACCURACY of the value it stands for. A sketch here is those keys
with their counts (plus exact zeros), which is all a DDSketch's store holds; merging two sketches adds the
counts of equal keys, so a week is the merge of its days. `to_ddsketch()` hands the same bins to the library's
own `DDSketch` class (tests check both agree).

Quantiles interpolate linearly between the two adjacent ranks, as numpy's default percentile does, so a
quantile from a sketch is within RELATIVE_ACCURACY of `numpy.percentile` of the raw samples (each of the two
ranks is, and so is any weighted mean of them).

Wire form (JSON-ready, compact): `[zeros, [first_key, delta, delta, ...], [count, count, ...]]` with keys in
ascending order, so a day of warm hits is a few hundred small integers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from typing import Any

from ddsketch import LogarithmicMapping

RELATIVE_ACCURACY = 0.01
MAPPING = LogarithmicMapping(RELATIVE_ACCURACY)
MIN_POSITIVE = MAPPING.min_possible  # values at or below this are zeros, as in the library

Wire = list[Any]


class SketchError(ValueError):
    """A wire form that is not a sketch of this accuracy."""


def key_of(value: float) -> int:
    """The bin key of a positive value (the library's mapping)."""
    return int(MAPPING.key(value))


def value_of(key: int) -> float:
    """The value that represents bin `key`: within RELATIVE_ACCURACY of every value in the bin."""
    return float(MAPPING.value(key))


def split_wire(wire: Wire) -> tuple[int, list[int], list[int]]:
    """A wire form's parts: (zeros, [first key, deltas...], [counts...]), neither checked nor decoded."""
    zeros, deltas, counts = wire
    return zeros, deltas, counts


class Sketch:
    """Counts per DDSketch bin, plus exact zeros. Mergeable; quantiles to RELATIVE_ACCURACY.

    A sketch read from its wire form keeps that form until its bins are needed (`counts`): the dashboard
    reads thousands of them straight into arrays (`wire_bins`) without building a dict for each.
    """

    __slots__ = ("_counts", "_wire", "zeros")

    def __init__(self, counts: dict[int, int] | None = None, zeros: int = 0) -> None:
        self._counts: dict[int, int] | None = counts if counts is not None else {}
        self._wire: tuple[list[int], list[int]] | None = None
        self.zeros = zeros

    @property
    def counts(self) -> dict[int, int]:
        """Bin key -> count (decoded from the wire form on first use)."""
        if self._counts is None:
            assert self._wire is not None
            deltas, counts = self._wire
            decoded: dict[int, int] = {}
            key = 0
            for i, (delta, count) in enumerate(zip(deltas, counts, strict=True)):
                if i and delta <= 0:
                    raise SketchError("sketch keys must ascend")
                key = int(delta) if i == 0 else key + int(delta)
                decoded[key] = int(count)
            self._counts, self._wire = decoded, None
        return self._counts

    @counts.setter
    def counts(self, value: dict[int, int]) -> None:
        self._counts, self._wire = value, None

    def wire_bins(self) -> tuple[list[int], list[int]]:
        """(first key then deltas, counts): the bins as stored, without decoding them."""
        if self._wire is not None:
            return self._wire
        keys = sorted(self.counts)
        deltas = [keys[0]] + [b - a for a, b in itertools.pairwise(keys)] if keys else []
        return deltas, [self.counts[k] for k in keys]

    @property
    def count(self) -> int:
        """How many values the sketch holds."""
        if self._wire is not None:
            return self.zeros + sum(self._wire[1])
        return self.zeros + sum(self.counts.values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sketch) and self.zeros == other.zeros and self.counts == other.counts

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Sketch(n={self.count}, bins={len(self.counts)}, zeros={self.zeros})"

    def add(self, value: float) -> None:
        """Add one value (>= 0; negative values are not latencies and are refused)."""
        if value > MIN_POSITIVE:
            key = key_of(value)
            self.counts[key] = self.counts.get(key, 0) + 1
        elif value >= 0:
            self.zeros += 1
        else:
            raise SketchError("a latency sketch holds no negative values")

    def add_all(self, values: Iterable[float]) -> None:
        """Add many values (the hot loop of a compaction: one mapping call per value)."""
        counts = self.counts
        key = MAPPING.key
        for value in values:
            if value > MIN_POSITIVE:
                k = key(value)
                counts[k] = counts.get(k, 0) + 1
            elif value >= 0:
                self.zeros += 1
            else:
                raise SketchError("a latency sketch holds no negative values")

    def merge(self, other: Sketch) -> None:
        """Add the other sketch's counts to this one (same bins: same accuracy)."""
        counts = self.counts
        for k, c in other.counts.items():
            counts[k] = counts.get(k, 0) + c
        self.zeros += other.zeros

    def copy(self) -> Sketch:
        return Sketch(dict(self.counts), self.zeros)

    def _value_at_ranks(self, ranks: list[int]) -> list[float]:
        """Values at ascending 0-based ranks, walking the bins once."""
        out: list[float] = []
        i = 0
        seen = self.zeros
        while i < len(ranks) and ranks[i] < seen:
            out.append(0.0)
            i += 1
        for k in sorted(self.counts):
            seen += self.counts[k]
            while i < len(ranks) and ranks[i] < seen:
                out.append(value_of(k))
                i += 1
            if i == len(ranks):
                break
        return out

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0-1), linearly interpolated between adjacent ranks; None when empty."""
        if not 0.0 <= q <= 1.0:
            raise SketchError(f"quantile must be within 0-1, got {q}")
        n = self.count
        if n == 0:
            return None
        rank = q * (n - 1)
        lo, hi = math.floor(rank), math.ceil(rank)
        low, high = self._value_at_ranks([lo, hi])
        return low + (rank - lo) * (high - low)

    def to_wire(self) -> Wire:
        """`[zeros, [first_key, deltas...], [counts...]]`, keys ascending."""
        deltas, counts = self.wire_bins()
        return [self.zeros, list(deltas), list(counts)]

    @classmethod
    def from_wire(cls, wire: Any) -> Sketch:
        """Inverse of to_wire; the bins are decoded when first needed."""
        try:
            zeros, deltas, counts = split_wire(wire)
            if not isinstance(deltas, list) or not isinstance(counts, list):
                raise SketchError("a sketch's keys and counts are lists")
            if len(deltas) != len(counts):
                raise SketchError("a sketch needs one count per key")
            sketch = cls(None, int(zeros))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, SketchError):
                raise
            raise SketchError(f"not a sketch: {exc}") from None
        sketch._counts, sketch._wire = None, (deltas, counts)
        return sketch

    def to_ddsketch(self) -> Any:
        """The same bins as the library's own DDSketch (count right; min, max and sum are not kept here)."""
        from ddsketch.ddsketch import BaseDDSketch
        from ddsketch.store import DenseStore

        store = DenseStore()
        for k, c in self.counts.items():
            store.add(k, c)
        return BaseDDSketch(
            mapping=LogarithmicMapping(RELATIVE_ACCURACY),
            store=store,
            negative_store=DenseStore(),
            zero_count=float(self.zeros),
        )
