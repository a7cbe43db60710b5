"""Re-export module, kept so `collector.sketch` stays importable: the sketch is `datastore.sketch` now."""

from __future__ import annotations

from datastore.sketch import (
    MAPPING,
    MIN_POSITIVE,
    RELATIVE_ACCURACY,
    Sketch,
    SketchError,
    Wire,
    key_of,
    split_wire,
    value_of,
)

__all__ = [
    "MAPPING", "MIN_POSITIVE", "RELATIVE_ACCURACY", "Sketch", "SketchError", "Wire", "key_of", "split_wire",
    "value_of",
]  # fmt: skip
