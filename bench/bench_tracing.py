"""What tracing costs, every mode in the lab on this host in one run: INIT, cold miss and warm hits.

Runs the real lab — endpoint over TLS, `terraform apply` of envs/local with one probe per tracing mode
(`off`, `subsegments`, `patch_all`, `otel`, `adot`) × memory tier (128 and 1,769 MB), strategy `extension`,
store Secrets Manager, the lab's default runtime — then the lab's Lambda service with its CPU tiers, the
trace store, destinations, collector and table. Every invocation is forced cold (a fresh execution
environment: process, layers, extension), so each one records one INIT (`init_ms`, docs/contract.md: process
start to the end of the handler module's import, 10 ms resolution), one cold miss and its warm hits (100 by
default). `COLD_STARTS` (5; `BENCH_TRACING_COLD_STARTS`) cold starts per mode and tier, in rounds that take
every probe once, one invocation at a time (so no two probes compete for the CPUs), modes interleaved.

Why `extension`: its warm hits are HTTP calls to localhost:2773, which `patch_all`, `otel` and `adot`
instrument (a span per hit), so a warm hit shows the per-call cost of each mode; the cold miss and INIT show
the set-up. The figures are read back from the table's rows. Prints a table per mode and tier (INIT median,
cold-miss median, warm-hit p50 and p90, each with its ratio to `off`), and ends with one line:

    RESULT init_ms_off=… init_ms_subsegments=… init_ms_patch_all=… init_ms_otel=… init_ms_adot=…
           hit128_p50_ms_off=… hit128_p50_ms_otel=… hit128_p50_ms_adot=…
           hit1769_p50_ms_off=… hit1769_p50_ms_otel=… hit1769_p50_ms_adot=…   (one line)

`init_ms_<mode>` is the median INIT at 128 MB (the tier the issue asks about; 1,769 MB is in the table);
`hit<tier>_p50_ms_<mode>` the p50 of every warm hit of that mode and tier. A figure that could not be
measured is `nan`, said on a line of its own, and the bench exits with status 1. Nothing is tuned or asserted.

    python -m bench tracing
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datastore.vocabulary import TRACING

MODES: tuple[str, ...] = TRACING  # off, subsegments, patch_all, otel, adot
TIERS = (128, 1769)
COLD_STARTS = 5  # per mode and tier: INIT is their median
STRATEGY = "extension"
STORE = "secretsmanager"
INIT_TIER = 128
RESULT_HIT_MODES = ("off", "otel", "adot")
LANDING_CHECKS, LANDING_STEP_S = 20, 0.5
INVOCATION_TIMEOUT_S = 600.0  # one cold start at 128 MB with auto-instrumentation, its destination and row


@dataclass(frozen=True)
class Cell:
    """One mode at one tier: what its rows measured."""

    mode: str
    memory_mb: int
    cold_starts: int  # rows of cold starts with an INIT
    init_ms: float  # median INIT (nan: none)
    cold_miss_ms: float  # median cold miss (nan: none)
    hits: int
    hit_p50_ms: float
    hit_p90_ms: float
    not_ok: int  # rows whose status was not ok (left out of every figure)


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def _p90(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return float(statistics.quantiles(values, n=10, method="inclusive")[-1])


def _finite(values: Iterable[Any]) -> list[float]:
    out = []
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if number == number and number not in (float("inf"), float("-inf")):
            out.append(number)
    return out


def cells(rows: Any, store: str = STORE) -> dict[tuple[str, int], Cell]:
    """Per (mode, tier) the figures of these rows (a `datastore.reads.read_rows` frame): only rows of `store`
    whose status is ok; INIT from the cold starts' rows, every warm hit of every row."""
    out: dict[tuple[str, int], Cell] = {}
    for mode in MODES:
        for memory in TIERS:
            mine = rows[(rows["tracing"] == mode) & (rows["memory_mb"] == memory) & (rows["store"] == store)]
            ok = mine[mine["status"] == "ok"]
            cold = ok[ok["cold_start"].astype(bool)]
            init = _finite(cold["init_ms"]) if "init_ms" in cold else []
            hits = sorted(v for warm in ok["warm_ms"] for v in _finite(warm if warm is not None else []))
            out[(mode, memory)] = Cell(
                mode=mode,
                memory_mb=memory,
                cold_starts=len(init),
                init_ms=_median(init),
                cold_miss_ms=_median(_finite(cold["cold_miss_ms"])),
                hits=len(hits),
                hit_p50_ms=_median(hits),
                hit_p90_ms=_p90(hits),
                not_ok=int(len(mine) - len(ok)),
            )
    return out


def _number(value: float) -> str:
    if value != value:
        return "nan"
    return f"{value:.1f}" if abs(value) >= 100 else f"{value:.4g}"


def result_values(found: dict[tuple[str, int], Cell]) -> dict[str, float]:
    """The RESULT line's figures, in its order."""
    values = {f"init_ms_{m}": found[(m, INIT_TIER)].init_ms for m in MODES}
    for memory in TIERS:
        values.update({f"hit{memory}_p50_ms_{m}": found[(m, memory)].hit_p50_ms for m in RESULT_HIT_MODES})
    return values


def result_line(values: dict[str, float]) -> str:
    """`RESULT name=value …` on one line (`nan` for a figure not measured)."""
    return "RESULT " + " ".join(f"{name}={_number(value)}" for name, value in values.items())


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×" if base == base and value == value and base > 0 else "—"


def table_lines(found: dict[tuple[str, int], Cell]) -> list[str]:
    """A table per tier: each mode's cold starts, INIT, cold miss and warm hits, with ratios to `off`."""
    lines = []
    for memory in TIERS:
        off = found[("off", memory)]
        lines.append(f"\n{memory} MB  (store {STORE}; ratios to off)")
        lines.append(f"{'mode':<12} {'cold':>4} {'INIT ms':>9} {'×off':>6} {'cold miss':>10} {'×off':>6} "
                     f"{'hits':>6} {'hit p50':>9} {'×off':>6} {'hit p90':>9} {'not ok':>6}")  # fmt: skip
        for mode in MODES:
            c = found[(mode, memory)]
            lines.append(
                f"{mode:<12} {c.cold_starts:>4} {_number(c.init_ms):>9} {_ratio(c.init_ms, off.init_ms):>6} "
                f"{_number(c.cold_miss_ms):>10} {_ratio(c.cold_miss_ms, off.cold_miss_ms):>6} {c.hits:>6} "
                f"{_number(c.hit_p50_ms):>9} {_ratio(c.hit_p50_ms, off.hit_p50_ms):>6} "
                f"{_number(c.hit_p90_ms):>9} {c.not_ok:>6}"
            )
    return lines


def missing(values: dict[str, float]) -> list[str]:
    """The RESULT figures that could not be measured."""
    return [name for name, value in values.items() if value != value]


def _run_lab(state: Path, cold_starts: int) -> Any:
    """The lab with one probe per mode × tier; every probe forced cold `cold_starts` times; its rows."""
    from bench.bench_lab import _free_port
    from lab.cli.console import Console
    from lab.endpoint import start_endpoint, stop_endpoint
    from lab.endpoint.clients import EndpointClients
    from lab.errors import LabError
    from lab.fleet.harness import open_service, read_fleet_schedules
    from lab.settings import LabConfig
    from lab.up import terraform_apply

    console = Console(quiet=True)
    endpoint = start_endpoint(state, port=_free_port())
    clients = EndpointClients.for_endpoint(endpoint)
    config = LabConfig(state_dir=state, port=endpoint.port)
    service = xray = None
    try:
        fleet = {
            "strategies": [STRATEGY],
            "memory_sizes": list(TIERS),
            "tracing": list(MODES),
            "stores": [STORE],
        }
        size = f"{STRATEGY} × {len(TIERS)} tiers × {len(MODES)} tracing modes"
        print(f"applying terraform/envs/local ({size}) …", flush=True)
        deployment = terraform_apply(clients, config, console, {"fleet": fleet})
        service, xray = open_service(clients, config, console, "runtime")
        schedules = sorted(read_fleet_schedules(clients, deployment, console), key=lambda s: s.function_name)
        total = cold_starts * len(schedules)
        print(f"{cold_starts} forced cold starts × {len(schedules)} probes, one at a time …", flush=True)
        started = dt.datetime.now(dt.UTC)
        for number in range(cold_starts):
            for i, schedule in enumerate(schedules):
                service.invoke_async(schedule.function_name, schedule.input or {}, force_cold=True)
                if not service.wait_idle(INVOCATION_TIMEOUT_S):
                    raise LabError(
                        f"{schedule.function_name} did not finish within {INVOCATION_TIMEOUT_S:.0f} s"
                    )
                done = number * len(schedules) + i + 1
                print(f"  {done}/{total} {schedule.function_name}", flush=True)
        return _landed(clients.client("dynamodb"), deployment.table_name, started, total)
    finally:
        if service is not None:
            service.close()
        if xray is not None:
            xray.close()
        stop_endpoint(state)


def _landed(client: Any, table_name: str, started: dt.datetime, expected: int) -> Any:
    """The rows since `started`, once `expected` have landed (the collector writes them from the
    destinations; a few seconds at most after the last invocation), else what there is."""
    import time

    from datastore.reads import read_rows

    for _ in range(LANDING_CHECKS):
        end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        rows = read_rows(started - dt.timedelta(minutes=1), end, client=client, table_name=table_name)
        if len(rows) >= expected:
            break
        time.sleep(LANDING_STEP_S)
    return rows


def main() -> None:
    """Run every tracing mode in the lab, print the table and the RESULT line; status 1 if a figure is
    missing."""
    cold_starts = int(os.environ.get("BENCH_TRACING_COLD_STARTS", str(COLD_STARTS)))
    if cold_starts < 1:
        raise SystemExit("bench tracing: BENCH_TRACING_COLD_STARTS must be at least 1")
    state = Path(tempfile.mkdtemp(prefix="bench-tracing-"))
    try:
        rows = _run_lab(state, cold_starts)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    found = cells(rows)
    modes = ",".join(sorted(set(rows["cpu_emulation"].dropna()))) if len(rows) else "?"
    print(f"\n{len(rows)} rows; CPU emulation {modes}; {cold_starts} forced cold starts per mode and tier; "
          f"strategy {STRATEGY}; INIT in the RESULT line at {INIT_TIER} MB")  # fmt: skip
    for line in table_lines(found):
        print(line)
    values = result_values(found)
    print(result_line(values), flush=True)
    gone = missing(values)
    if gone:
        print(f"bench tracing: not measured: {', '.join(gone)} (see the rows not ok above)", file=sys.stderr)
        raise SystemExit(1)
