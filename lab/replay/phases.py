"""`lab replay 2022`: the 2022 run's configuration deployed in the lab, measured once, and printed beside the
2022 tables, then the same probes with today's defaults.

Each configuration gets a lab of its own, started and stopped on one `ExitStack`: the endpoint, `terraform
apply` of envs/local with the configuration's variables, the Lambda service, one round (each probe once: a
real cold start, a cold miss, 100 warm hits), the rows read back from the table. The comparison itself is
`lab/replay/report.py` (pure). Nothing is tuned here: the lab runs with its defaults, Lambda's CPU limits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import math
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.errors import LabError
from lab.fleet.hostspeed import CPUINFO, read_cpu_model
from lab.processes.interrupts import interruptible
from lab.replay import report
from lab.settings import REPO_ROOT

if TYPE_CHECKING:
    from lab.cli.console import Console
    from lab.settings import LabConfig
    from lab.up import Prerequisites

YEARS = ("2022",)
REFERENCE_PATH = REPO_ROOT / "docs" / "reference" / "seed-2022-measurements.json"
RUNTIME_2022 = "python3.9"
TRACING_2022 = "patch_all"
ARCHITECTURE_2022 = "x86_64"
DEPS_2022 = f"deps-2022-{RUNTIME_2022}-{ARCHITECTURE_2022}.zip"
BUILD_2022 = (
    "python -m tools.build --out build --runtime-from terraform/envs/local --dependency-set 2022 "
    "--arch x86_64 --only deps"
)

# The probes both configurations share: the 2022 run's strategies, memory sizes, store and sample counts.
SAME_FLEET: dict[str, Any] = {
    "strategies": list(report.STRATEGIES),
    "memory_sizes": list(report.MEMORY_SIZES),
    "stores": [report.STORE],
}
SAME_SAMPLES: dict[str, Any] = {"warm_samples": 100, "sdk_warm_samples": 100}
# The 2022 run: python3.9, patch_all() around every requests and botocore call, its libraries, x86_64.
VARIABLES_2022: dict[str, Any] = {
    "fleet": {
        **SAME_FLEET,
        "runtimes": [RUNTIME_2022],
        "tracing": [TRACING_2022],
        "architectures": [ARCHITECTURE_2022],
    },
    "dependency_set": "2022",
    **SAME_SAMPLES,
}
# Today's defaults: envs/local's own runtime, tracing, architecture and dependency set (not passed, so its
# defaults hold).
VARIABLES_TODAY: dict[str, Any] = {"fleet": dict(SAME_FLEET), **SAME_SAMPLES}


@dataclass(frozen=True)
class Phase:
    """One configuration to deploy and measure."""

    label: str  # as the report names it
    tag: str  # the service's work dir under the state dir
    variables: dict[str, Any]


PHASE_2022 = Phase("lab, 2022 config", "replay-2022", VARIABLES_2022)
PHASE_TODAY = Phase("lab, today", "replay-today", VARIABLES_TODAY)

Rows = list[dict[str, Any]]
PhaseRunner = Callable[["LabConfig", "Console", Phase], Rows]


def check_replay(config: LabConfig, console: Console, machine: str) -> Prerequisites | None:
    """Refuse, before anything starts, what would make the replay fail half-way; what the lab's own checks
    found (the runtimes' interpreters — python3.9 among them, or the command that installs it — and this
    host's speed)."""
    from lab.up import check_prerequisites

    check_2022_build(config, machine)
    # terraform, build output, nothing up, the port free, an interpreter for every runtime, the host timed
    return check_prerequisites(config, console, dashboard=False, variables=VARIABLES_2022)


def check_2022_build(config: LabConfig, machine: str) -> None:
    """Refuse a machine that cannot run the 2022 configuration (it was x86_64) and a build without its
    dependency layer, saying what builds it (no build at all is the lab's own check, which says so)."""
    if machine not in ("x86_64", "amd64", "AMD64"):
        raise LabError(f"the 2022 run was x86_64 and this machine is {machine}: the lab runs only functions "
                       "built for its own architecture, so it cannot run that configuration here")
    try:
        manifest = json.loads((config.artifacts_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return
    if not any(entry.get("path") == DEPS_2022 for entry in manifest.values() if isinstance(entry, dict)):
        raise LabError(f"the build in {config.artifacts_dir} has no 2022 dependency layer ({DEPS_2022}: "
                       f"requests 2.28.1, aws-xray-sdk 2.10.0): run `{BUILD_2022}` (`make replay` and "
                       "`make up-2022` build it first)")


def shown(variables: dict[str, Any]) -> str:
    """Terraform variables as the console names them: `name=<JSON value>`, comma-separated."""
    return ", ".join(f"{name}={json.dumps(value)}" for name, value in variables.items())


def _stop_quietly(console: Console, what: str, stop: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            stop()
        except Exception as exc:
            console.say(f"could not stop {what}: {type(exc).__name__}: {exc}")

    return run


def run_phase(
    config: LabConfig, console: Console, phase: Phase, prepared: Prerequisites | None = None
) -> Rows:
    """Start a lab, deploy `phase`'s configuration, run one round, and return the rows it produced; every
    step's stop is on one ExitStack, so the lab is down again when this returns or raises. `prepared` is what
    the checks found (the host's speed, the runtimes' environments), so neither is measured or made twice."""
    from lab.endpoint import start_endpoint, stop_endpoint
    from lab.endpoint.clients import EndpointClients
    from lab.fleet.harness import open_service, read_fleet_schedules
    from lab.fleet.rounds import count_rows, report_rounds, run_rounds
    from lab.up import terraform_apply

    with contextlib.ExitStack() as stack:
        console.say(f"{phase.label}: starting the local AWS endpoint on port {config.port} …")
        endpoint = start_endpoint(config.state_dir, port=config.port)
        stack.callback(_stop_quietly(console, "the endpoint", lambda: stop_endpoint(config.state_dir)))
        clients = EndpointClients.for_endpoint(endpoint)
        console.say(f"{phase.label}: terraform apply terraform/envs/local with {shown(phase.variables)} …")
        # Terraform's output would bury the report; a failed apply's error still carries its tail
        deployment = terraform_apply(clients, config, console, phase.variables, echo=False)
        service, xray = open_service(
            clients,
            config,
            console,
            phase.tag,
            host=prepared.host if prepared else None,
            environments=prepared.environments if prepared else None,
        )
        stack.callback(_stop_quietly(console, "the X-Ray listener", xray.close))
        stack.callback(_stop_quietly(console, "the Lambda service", service.close))
        schedules = read_fleet_schedules(clients, deployment, console)
        console.say(f"{phase.label}: one round of {len(schedules)} probes (each: a cold start, a cold miss, "
                    "100 warm hits) …")
        started = dt.datetime.now(dt.UTC)
        report_rounds(run_rounds(service, clients, schedules, deployment, 1, config, console), console)
        _, frame = count_rows(clients.client("dynamodb"), deployment, started)
        rows = [dict(row) for row in frame.to_dict("records")]
    return rows


def replay(
    config: LabConfig,
    console: Console,
    year: str = "2022",
    *,
    machine: str | None = None,
    run: PhaseRunner | None = None,
    check: Callable[[LabConfig, Console, str], Prerequisites | None] = check_replay,
    reference_path: Path = REFERENCE_PATH,
    cpuinfo: Path = CPUINFO,
    out: Callable[[str], None] = print,
) -> int:
    """Replay `year`'s run and print the comparison; 0 if every RESULT figure was measured, the rows say
    they ran the 2022 configuration and today's defaults ran too, else 1 (the report still prints what was
    measured)."""
    if year not in YEARS:
        raise LabError(f"no reference run for {year}: the lab can replay {', '.join(YEARS)}")
    with interruptible():  # from the checks on: their `terraform init` is stopped by an interrupt too
        prepared = check(config, console, machine or platform.machine())
        run = run or functools.partial(run_phase, prepared=prepared)
        reference = report.Reference.from_json(json.loads(reference_path.read_text()))
        config.state_dir.mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        replayed = report.measure(run(config, console, PHASE_2022), PHASE_2022.label)
        wrong = report.configuration_problems(replayed, RUNTIME_2022, TRACING_2022)
        replayed.problems[:0] = wrong
        console.say(f"{PHASE_2022.label}: measured in {time.monotonic() - began:.0f} s")
        today: report.Measured | None = None
        today_error: str | None = None
        began = time.monotonic()
        try:
            today = report.measure(run(config, console, PHASE_TODAY), PHASE_TODAY.label)
            console.say(f"{PHASE_TODAY.label}: measured in {time.monotonic() - began:.0f} s")
        except LabError as exc:  # the 2022 comparison stands alone; say why today's is not
            today_error = str(exc)
            console.say(f"{PHASE_TODAY.label}: {exc}")
    lines = report.render(reference, replayed, today, read_cpu_model(cpuinfo), config.cpu_period_ms,
                          today_error)
    for line in lines:
        out(line)
    figures = report.result_figures(replayed)
    measured = all(math.isfinite(v) for v in figures.values())
    return 0 if measured and not wrong and today_error is None else 1
