"""datastore.sketch: DDSketch bins at 1 % relative accuracy, mergeable, with a compact wire form."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from datastore.sketch import RELATIVE_ACCURACY, Sketch, SketchError, key_of, value_of

QS = (0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)


def _samples(seed: int, n: int) -> list[float]:
    rng = random.Random(seed)
    # CFS-quantised hits (20/40/60 ms), sub-microsecond dict hits and a heavy tail, as the fleet measures
    return (
        [rng.choice((20.0, 40.0, 60.0)) - rng.random() * 0.6 for _ in range(n)]
        + [0.0004 + rng.random() * 0.0001 for _ in range(n // 2)]
        + [rng.lognormvariate(1, 1.5) for _ in range(n // 3)]
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_quantile_is_within_the_stated_accuracy_of_numpy(seed: int) -> None:
    values = _samples(seed, 3000)
    sketch = Sketch()
    sketch.add_all(values)
    assert sketch.count == len(values)
    for q in QS:
        exact = float(np.percentile(values, q * 100))
        got = sketch.quantile(q)
        assert got is not None and abs(got - exact) <= RELATIVE_ACCURACY * exact + 1e-12, (q, got, exact)


def test_a_bin_stands_for_its_values_within_one_percent() -> None:
    for value in (1e-6, 0.0004, 0.5, 1.0, 19.4, 20.0, 39.7, 1234.5):
        assert abs(value_of(key_of(value)) - value) <= RELATIVE_ACCURACY * value
    # 1 % of 20 ms is 0.2 ms: 19.4 and 20.0 ms land in different bins, 20 and 40 ms far apart
    assert key_of(19.4) != key_of(20.0) and key_of(40.0) - key_of(20.0) > 30


def test_a_merge_is_the_sketch_of_the_union() -> None:
    a, b, both = Sketch(), Sketch(), Sketch()
    xs, ys = _samples(4, 500), _samples(5, 700)
    a.add_all(xs)
    b.add_all(ys)
    both.add_all(xs + ys)
    a.merge(b)
    assert a == both


def test_the_wire_form_round_trips_through_json_and_is_small() -> None:
    sketch = Sketch()
    sketch.add_all([*_samples(6, 10000), 0.0, 0.0])
    wire = json.loads(json.dumps(sketch.to_wire()))
    assert Sketch.from_wire(wire) == sketch
    assert wire[0] == 2  # exact zeros
    assert len(json.dumps(wire)) < 4000  # ~17,000 samples in a few hundred bins
    assert Sketch.from_wire(Sketch().to_wire()) == Sketch()
    with pytest.raises(SketchError):
        Sketch.from_wire([0, [1, 2], [3]])
    with pytest.raises(SketchError):
        Sketch.from_wire("nonsense")


def test_the_library_reads_the_same_bins() -> None:
    values = _samples(7, 2000)
    sketch = Sketch()
    sketch.add_all(values)
    library = sketch.to_ddsketch()
    assert library.count == len(values)
    ordered = sorted(values)
    for q in QS:
        # the library reports the lower rank's bin; ours interpolates: both within 1 % of their rank
        lower = ordered[int(q * (len(values) - 1))]
        assert abs(library.get_quantile_value(q) - lower) <= RELATIVE_ACCURACY * lower + 1e-12


def test_empty_zero_and_negative() -> None:
    sketch = Sketch()
    assert sketch.quantile(0.5) is None
    sketch.add(0.0)
    assert sketch.quantile(0.5) == 0.0
    with pytest.raises(SketchError):
        sketch.add(-1.0)
    with pytest.raises(SketchError):
        sketch.quantile(1.5)
