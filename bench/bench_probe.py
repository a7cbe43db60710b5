"""The harness floor: the `dict` strategy's warm-hit p50 and the bare timer overhead, in nanoseconds.

The reference run (docs/reference/seed-2022-measurements.json) read a dict hit at a median of 0.41 µs with
`time.perf_counter()`; the probe must read no more than that on this machine, or it could not tell a dict
from anything faster. The dict hits go through the probe's own protocol (`Probe.invoke`, the same loop the
Lambda runs, X-Ray off) with an in-process client that answers the one miss, so nothing but the hit is timed.
Everything is measured in this run; nothing is asserted.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from functions.probe.cgroup import CgroupReader
from functions.probe.config import ProbeConfig
from functions.probe.strategies.dict_cache import DictStrategy
from functions.probe.timing import Probe
from functions.probe.tracing import Tracer

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "reference" / "seed-2022-measurements.json"
ROUNDS = 20
HITS_PER_ROUND = 1000
TIMER_PAIRS = 200_000


class _InProcessClient:
    """Answers GetSecretValue / GetParameter from memory: the miss costs nothing worth timing."""

    class meta:  # mimics botocore's client.meta.events, which the API-call counter hooks
        class events:
            @staticmethod
            def register(*_: Any, **__: Any) -> None:
                return None

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        return {"SecretString": "bench-value"}

    def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, dict[str, str]]:
        return {"Parameter": {"Value": "bench-value"}}


def _config() -> ProbeConfig:
    return ProbeConfig.from_env({
        "OBSERVATORY_STRATEGY": "dict", "OBSERVATORY_ARCHITECTURE": "x86_64",
        "OBSERVATORY_ENVIRONMENT": "lab",
        "OBSERVATORY_CPU_EMULATION": "none", "OBSERVATORY_SECRET_ID": "bench-secret",
        "OBSERVATORY_PARAMETER_NAME": "/bench/parameter", "OBSERVATORY_WARM_SAMPLES": str(HITS_PER_ROUND),
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769", "AWS_REGION": "us-east-1",
    })  # fmt: skip


def dict_hit_ns() -> tuple[list[float], list[float]]:
    """Per-round p50 and min of dict warm hits (ns), from the records the probe itself builds."""
    import contextlib
    import io

    config = _config()
    client = _InProcessClient()
    strategy = DictStrategy(config, clients={"secretsmanager": client, "ssm": client})
    probe = Probe(config, strategy=strategy, tracer=Tracer("off"), cgroup=CgroupReader(proc="/nonexistent"))
    p50s: list[float] = []
    mins: list[float] = []
    for round_index in range(ROUNDS + 1):
        with contextlib.redirect_stdout(io.StringIO()):  # the probe's log lines
            record = probe.invoke(f"bench-{round_index}", cold=round_index == 0)
        if round_index == 0:
            continue  # warm-up round: imports, first allocations
        for store in record["stores"]:
            p50s.append(store["warm_summary"]["p50"] * 1e6)
            mins.append(store["warm_summary"]["min"] * 1e6)
    return p50s, mins


def timer_overhead_ns() -> tuple[float, float, float]:
    """Median of back-to-back perf_counter_ns() pairs, its minimum, and the same for perf_counter() (ns)."""
    clock = time.perf_counter_ns
    pairs = []
    for _ in range(TIMER_PAIRS):
        start = clock()
        pairs.append(clock() - start)
    float_clock = time.perf_counter
    float_pairs = []
    for _ in range(TIMER_PAIRS):
        start_s = float_clock()
        float_pairs.append((float_clock() - start_s) * 1e9)
    return float(statistics.median(pairs)), float(min(pairs)), float(statistics.median(float_pairs))


def main() -> None:
    reference = json.loads(REFERENCE.read_text())
    dict_rows = [row for row in reference["warm_hit_ms"] if row["strategy"] == "dict"]
    reference_ns = min(row["median"] for row in dict_rows) * 1e6
    timer_p50, timer_min, float_timer_p50 = timer_overhead_ns()
    p50s, mins = dict_hit_ns()
    hit_p50 = statistics.median(p50s)
    print(
        f"timer overhead, perf_counter_ns pair: p50 {timer_p50:.0f} ns, min {timer_min:.0f} ns "
        f"({TIMER_PAIRS:,} pairs)"
    )
    print(f"timer overhead, perf_counter pair (reference run's timer): p50 {float_timer_p50:.0f} ns")
    print(
        f"dict warm hit through Probe.invoke: p50 {hit_p50:.0f} ns (median of {len(p50s)} per-store p50s; "
        f"range {min(p50s):.0f}..{max(p50s):.0f} ns), min {min(mins):.0f} ns "
        f"({ROUNDS} rounds x 2 stores x {HITS_PER_ROUND} hits)"
    )
    print(f"dict warm hit minus timer overhead: {hit_p50 - timer_p50:.0f} ns")
    print(
        f"reference dict hit median (2022, {', '.join(str(r['memory_mb']) for r in dict_rows)} MB): "
        f"{reference_ns:.0f} ns"
    )
    verdict = "at most" if hit_p50 <= reference_ns else "ABOVE"
    print(f"ratio probe/reference: {hit_p50 / reference_ns:.2f} ({verdict} the reference's 0.41 µs)")
    print(f"ratio dict hit/timer overhead: {hit_p50 / timer_p50:.2f}")


if __name__ == "__main__":
    main()
