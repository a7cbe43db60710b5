"""The published reference run as the cost estimate (`tools.cost`) reads it: its cold-miss and warm-hit
latencies per strategy at 128 and 1,769 MB (docs/reference/seed-2022-measurements.json), and the latency at
any memory tier between them. Pure: the table in, milliseconds out."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SEED_PATH = Path(__file__).resolve().parent.parent / "docs" / "reference" / "seed-2022-measurements.json"


class ReferenceRunError(Exception):
    """The reference run's table lacks a figure the estimate needs."""


def interpolate(at_128: float, at_1769: float, memory_mb: float) -> float:
    """Latency at a memory tier: log-linear between the reference run's 128 MB and 1,769 MB figures (CPU share
    grows with memory up to one vCPU at 1,769 MB), flat outside that range."""
    if memory_mb <= 128:
        return at_128
    if memory_mb >= 1769:
        return at_1769
    weight = (math.log(memory_mb) - math.log(128)) / (math.log(1769) - math.log(128))
    return float(at_128 * (at_1769 / at_128) ** weight)


def reference_latencies(seed: Mapping[str, Any]) -> dict[str, dict[int, float]]:
    """{'extension_miss': {128: ms, 1769: ms}, 'extension_hit': ..., 'sdk_miss': ..., 'dict_hit': ...}."""
    table: dict[str, dict[int, float]] = {}
    for entry in seed["cold_miss_ms"]:
        table.setdefault(f"{entry['strategy']}_miss", {})[int(entry["memory_mb"])] = float(entry["ms"])
    for entry in seed["warm_hit_ms"]:
        table.setdefault(f"{entry['strategy']}_hit", {})[int(entry["memory_mb"])] = float(entry["mean"])
    for key in ("extension_miss", "extension_hit", "sdk_miss", "dict_hit"):
        if set(table.get(key, {})) != {128, 1769}:
            raise ReferenceRunError(f"{SEED_PATH.name} lacks {key} at 128 and 1769 MB")
    return table
