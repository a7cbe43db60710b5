"""The lab against the reference run: warm-hit p50 of `extension` and `dict` at 128 MB and 1,769 MB emulated.

Runs the real lab — endpoint over TLS, `terraform apply` of envs/local (extension and dict strategies only),
the lab's Lambda service with CPU tiers, the scheduler's events, destinations, collector, table — then reads
the rows back and prints, beside the reference run (docs/reference/seed-2022-measurements.json, Secrets
Manager): warm-hit p50 per strategy × memory, the extension's 128 MB / 1,769 MB ratio, and the share of the
extension's 128 MB hits that land within ±2 ms of a multiple of 20 ms (the CFS period: a hit that waited for
the next period). `BENCH_LAB_ROUNDS` (default 1) rounds; each probe takes 100 warm hits per store.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import statistics
import tempfile
from pathlib import Path
from typing import Any

from lab.runtime.cgroups import CFS_PERIOD_MS

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE = REPO_ROOT / "docs" / "reference" / "seed-2022-measurements.json"
PERIOD_MS = CFS_PERIOD_MS  # the period the lab enforces the CPU quota over, as Lambda
WINDOW_MS = 2.0


def near_period_share(
    samples: list[float], period_ms: float = PERIOD_MS, window_ms: float = WINDOW_MS
) -> float:
    """Share of samples within ±window of k·period for k ≥ 1 (a hit that waited for the next CFS period)."""
    if not samples:
        return float("nan")
    near = 0
    for value in samples:
        k = max(1, round(value / period_ms))
        if abs(value - k * period_ms) <= window_ms:
            near += 1
    return near / len(samples)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _reference() -> dict[tuple[str, int], dict[str, float]]:
    data = json.loads(REFERENCE.read_text())
    return {(r["strategy"], int(r["memory_mb"])): r for r in data["warm_hit_ms"]}


def _fmt(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    return f"{value:.4f}" if value < 0.1 else f"{value:.2f}"


def _run_lab(state: Path, rounds: int) -> tuple[Any, str]:
    from datastore.reads import read_rows
    from lab.cli.console import Console
    from lab.endpoint import start_endpoint, stop_endpoint
    from lab.endpoint.clients import EndpointClients
    from lab.fleet.harness import open_service, read_fleet_schedules
    from lab.fleet.rounds import run_rounds
    from lab.settings import LabConfig
    from lab.up import terraform_apply

    console = Console(quiet=True)
    endpoint = start_endpoint(state, port=_free_port())
    clients = EndpointClients.for_endpoint(endpoint)
    config = LabConfig(state_dir=state, port=endpoint.port)
    service = xray = None
    try:
        print("applying terraform/envs/local (extension, dict × 128, 1769 MB) …", flush=True)
        fleet = {"strategies": ["extension", "dict"]}
        deployment = terraform_apply(clients, config, console, {"fleet": fleet})
        service, xray = open_service(clients, config, console, "runtime")
        schedules = read_fleet_schedules(clients, deployment, console)
        print(f"running {rounds} round(s) of {len(schedules)} probes …", flush=True)
        started = dt.datetime.now(dt.UTC)
        run_rounds(service, clients, schedules, deployment, rounds, config, Console())
        end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        frame = read_rows(
            started - dt.timedelta(minutes=1),
            end,
            client=clients.client("dynamodb"),
            table_name=deployment.table_name,
        )
        mode = ",".join(sorted(set(frame["cpu_emulation"].dropna()))) if len(frame) else "?"
        return frame, mode
    finally:
        if service is not None:
            service.close()
        if xray is not None:
            xray.close()
        stop_endpoint(state)


def main() -> None:
    """Run the lab, print its warm-hit figures beside the reference run's, and the ratios."""
    rounds = int(os.environ.get("BENCH_LAB_ROUNDS", "1"))
    state = Path(tempfile.mkdtemp(prefix="bench-lab-"))
    try:
        frame, mode = _run_lab(state, rounds)
    finally:
        shutil.rmtree(state, ignore_errors=True)
    reference = _reference()
    print(
        f"\nCPU emulation of the rows: {mode} (period {PERIOD_MS:g} ms); {rounds} round(s); "
        "store: secretsmanager"
    )
    print(
        f"{'strategy':<10} {'memory':>7} {'n':>5} {'lab p50 ms':>11} {'lab p90':>9} {'ref p50 ms':>11} "
        f"{'ref p90':>9} {'lab/ref':>8}"
    )
    p50: dict[tuple[str, int], float] = {}
    samples: dict[tuple[str, int], list[float]] = {}
    ok = frame[(frame["store"] == "secretsmanager") & (frame["status"] == "ok")] if len(frame) else frame
    for strategy in ("extension", "dict"):
        for memory in (128, 1769):
            rows = ok[(ok["strategy"] == strategy) & (ok["memory_mb"] == memory)] if len(ok) else ok
            values = [float(v) for warm in rows["warm_ms"] for v in warm] if len(rows) else []
            samples[(strategy, memory)] = values
            lab50 = statistics.median(values) if values else float("nan")
            lab90 = statistics.quantiles(values, n=10)[-1] if len(values) >= 10 else float("nan")
            p50[(strategy, memory)] = lab50
            ref = reference[(strategy, memory)]
            print(
                f"{strategy:<10} {memory:>5} MB {len(values):>5} {_fmt(lab50):>11} {_fmt(lab90):>9} "
                f"{_fmt(ref['median']):>11} {_fmt(ref['p90']):>9} {lab50 / ref['median']:>7.2f}×"
            )
    ext_ratio = p50[("extension", 128)] / p50[("extension", 1769)]
    ref_ratio = reference[("extension", 128)]["median"] / reference[("extension", 1769)]["median"]
    dict_ratio = p50[("dict", 128)] / p50[("dict", 1769)]
    ref_dict = reference[("dict", 128)]["median"] / reference[("dict", 1769)]["median"]
    print(f"\nextension p50 128 MB / 1769 MB: lab {ext_ratio:.1f}×   reference {ref_ratio:.1f}×")
    print(f"dict      p50 128 MB / 1769 MB: lab {dict_ratio:.2f}×  reference {ref_dict:.2f}× (flat)")
    share = near_period_share(samples[("extension", 128)])
    print(f"extension 128 MB hits within ±{WINDOW_MS:g} ms of k×{PERIOD_MS:g} ms (k ≥ 1): lab {share:.0%}")
    ref_ext = reference[("extension", 128)]
    print(
        f"   reference (summary only: min {ref_ext['min']:.1f}, p50 {ref_ext['median']:.1f}, "
        f"p90 {ref_ext['p90']:.1f} ms — all near 20 or 40 ms)"
    )
    not_ok = frame[frame["status"] != "ok"] if len(frame) else frame
    if len(not_ok):
        print(f"rows not ok: {len(not_ok)}: {sorted(set(not_ok['probe_key']))}")
