"""`lab up`: the whole observatory on this machine, started in order and stopped in reverse.

Prerequisites first (Terraform, build output, free ports, nothing already up, an interpreter for every
runtime the fleet deploys, this host's speed), then: the endpoint, `terraform apply` of envs/local to it (the
runtimes' environments are made meanwhile, in a thread), the Lambda service and X-Ray listener, the
dashboard, the `up.json` record, optional rounds now, and the scheduler until Ctrl-C or SIGTERM. Every step
that starts something registers how to stop it on one `ExitStack`; each step says how long it took.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.endpoint import EndpointError, endpoint_status, noted_requests, start_endpoint, stop_endpoint
from lab.endpoint.background import check_port_free
from lab.endpoint.clients import EndpointClients
from lab.errors import LabError
from lab.fleet.deployed_runtimes import fleet_runtimes
from lab.fleet.harness import open_service, read_fleet_schedules, read_job_schedules
from lab.fleet.hostspeed import HostSpeed, measure
from lab.fleet.rounds import report_rounds, run_rounds, watch
from lab.processes import dashboard_server as lab_dashboard
from lab.processes.interrupts import describe_signal, exit_status, interruptible, signal_of
from lab.runtime.lambda_errors import RuntimeEnvironmentError
from lab.runtime.unpacked import UnpackedZips
from lab.runtime.venvs import RuntimeEnvironments
from lab.scheduler import Schedule, Scheduler
from lab.settings import LOCAL_ENV, LOOPBACK, LabConfig
from lab.state import Deployment, UpRecord, read_up, remove_up, write_up
from tools import terraform as tf

if TYPE_CHECKING:
    from lab.cli.console import Console
    from lab.runtime import LambdaService

STEPS = 5
RUNTIMES_DIR = "runtimes"  # in the state dir: one environment per runtime (lab/runtime/venvs.py)
SERVICE_TAG = "runtime"  # the service's work dir in the state dir


class StepClock:
    """`[n/5] what …` when a step starts, `[n/5] done in 12.3 s` when it ends; the time since `up` began."""

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.clock = clock
        self.started = clock()
        self._step_started = self.started
        self._step = ""
        self.last = ""  # the step that started last, `[2/5] terraform apply …`: what an interrupt cut short

    def start(self, number: int, text: str) -> None:
        self.end()
        self._step, self._step_started = f"[{number}/{STEPS}]", self.clock()
        self.last = f"{self._step} {text}"
        self.console.say(f"{self._step} {text} …")

    def end(self) -> None:
        if self._step:
            self.console.say(f"{self._step} done in {self.clock() - self._step_started:.1f} s")
            self._step = ""

    def elapsed(self) -> float:
        return self.clock() - self.started


def duration(seconds: float) -> str:
    """`2 min 31 s`, `41.2 s`."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


@dataclass(frozen=True)
class Prerequisites:
    """What the checks found: the runtimes the fleet deploys (each with an interpreter), and this host."""

    runtimes: list[str]
    environments: RuntimeEnvironments
    host: HostSpeed


class RuntimePreparation:
    """The runtimes' environments made, and the build's zips unpacked, in a thread while the endpoint starts
    and Terraform applies (both were on the path of the first cold starts)."""

    def __init__(self, environments: RuntimeEnvironments, runtimes: list[str],
                 unpack: Callable[[], object] = lambda: None) -> None:
        self._environments = environments
        self._runtimes = runtimes
        self._unpack = unpack
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="lab-runtimes", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for runtime in self._runtimes:
                self._environments.ensure(runtime)
            self._unpack()
        except BaseException as exc:  # handed to the main thread by wait()
            self._error = exc

    def wait(self) -> None:
        """Block until every environment is made; LabError if one could not be."""
        self._thread.join()
        if self._error is not None:
            raise LabError(f"a runtime's environment could not be made: {self._error}") from self._error


def local_workspace(
    config: LabConfig, clients: EndpointClients | None, variables: Mapping[str, Any] | None = None
) -> tf.Workspace:
    """terraform/envs/local as the lab applies it: its state in `.lab/terraform/`, its providers in
    `.lab/terraform-data/` (kept between runs: `init` is then quick); `clients` None before the endpoint
    runs (enough to evaluate variables). A `fleet` passed is every probe: envs/local's default
    `tracing_comparison` is dropped with it unless one is passed too (a benchmark's or the replay's fleet is
    what it measures)."""
    endpoint = {"endpoint": clients.endpoint_url, "ca_bundle": clients.ca_bundle} if clients else {}
    passed = dict(variables or {})
    if "fleet" in passed:
        passed.setdefault("tracing_comparison", {})
    return tf.Workspace(
        env_dir=LOCAL_ENV,
        variables={**endpoint, "artifacts_dir": str(config.artifacts_dir.resolve()), **passed},
        state=config.state_dir / "terraform" / "terraform.tfstate",
        data_dir=config.state_dir / "terraform-data",
        env=clients.child_process_environment(os.environ) if clients else None,
    )


def check_runtimes(config: LabConfig, console: Console, variables: Mapping[str, Any] | None) -> tuple[
        list[str], RuntimeEnvironments]:
    """The runtimes the fleet deploys, each with an interpreter on this machine (else LabError naming the
    install command of every missing one). Terraform is asked in the lab's own workspace of envs/local, so
    the `init` it needs is the one `terraform_apply` would run anyway (and then is quick)."""

    def ask(env_dir: Path, expression: str) -> Any:
        workspace = local_workspace(config, None)
        try:
            tf.init(workspace)
            return tf.console(workspace, expression)
        except tf.TerraformError as exc:
            raise LabError(f"cannot read the runtimes terraform/envs/local deploys: {exc}") from exc

    environments = RuntimeEnvironments(config.state_dir / RUNTIMES_DIR, console.say)
    runtimes = fleet_runtimes(config.state_dir / RUNTIMES_DIR, variables, evaluate=ask)
    try:
        found = environments.check(runtimes)
    except RuntimeEnvironmentError as exc:
        raise LabError(str(exc)) from exc
    console.say("      runtimes: " + ", ".join(f"{i.runtime} (python {i.version_text}, {i.executable})"
                                                for i in found))
    return runtimes, environments


def check_prerequisites(
    config: LabConfig, console: Console, dashboard: bool, variables: Mapping[str, Any] | None = None
) -> Prerequisites:
    """Fail early, and clearly, on what would make `up` fail half-way: terraform, build output, ports, a
    runtime without an interpreter; and time this host (before anything of the lab runs beside it)."""
    try:
        tf.binary()
    except tf.TerraformError as exc:
        raise LabError(str(exc)) from exc
    manifest = config.artifacts_dir / "manifest.json"
    if not manifest.is_file():
        raise LabError(f"no build output at {manifest}: run `make build` (python -m tools.build --out build)")
    running = read_up(config.state_dir)
    if running is not None:
        raise LabError(f"the lab is already up (pid {running.pid}); stop it with `python -m lab down`")
    if endpoint_status(config.state_dir) is not None:
        raise LabError("a lab endpoint from an earlier run is still running: `python -m lab down` first")
    try:
        check_port_free(LOOPBACK, config.port)
        if dashboard:
            check_port_free(LOOPBACK, config.dashboard_port)
    except EndpointError as exc:
        raise LabError(str(exc).replace("--port", "--port / --dashboard-port")) from exc
    host = measure()
    console.say(f"      {host.describe()}")
    runtimes, environments = check_runtimes(config, console, variables)
    return Prerequisites(runtimes, environments, host)


def terraform_apply(
    clients: EndpointClients,
    config: LabConfig,
    console: Console,
    variables: dict[str, Any] | None = None,
    echo: bool | None = None,
) -> Deployment:
    """Apply terraform/envs/local to the endpoint (fresh state: the endpoint starts empty); its outputs.

    `variables` override envs/local's defaults (e.g. a smaller fleet for a benchmark); `echo` shows
    Terraform's own output (default: unless the console is quiet; a failure's message carries its error tail).
    """
    # The endpoint keeps everything in memory: state from an earlier endpoint describes nothing that exists.
    workspace = local_workspace(config, clients, variables)
    assert workspace.state is not None
    shutil.rmtree(workspace.state.parent, ignore_errors=True)
    workspace.state.parent.mkdir(parents=True)
    try:
        tf.init(workspace)
        outputs = tf.apply(workspace, echo=not console.quiet if echo is None else echo)
    except tf.TerraformError as exc:
        noted = noted_requests(config.state_dir)
        said = "\nthe lab endpoint noted:\n" + "\n".join(noted) if noted else ""
        raise LabError(f"terraform apply of terraform/envs/local failed: {exc}{said}") from exc
    deployment = Deployment.from_outputs(outputs)
    deployment.save(config.state_dir)
    return deployment


def _on_exit(stack: contextlib.ExitStack, console: Console, what: str, stop: Callable[[], object]) -> None:
    """Stop `what` when the stack unwinds; if that fails, say so and go on stopping the rest."""

    def run() -> None:
        try:
            stop()
        except Exception as exc:
            console.say(f"could not stop {what}: {type(exc).__name__}: {exc}")

    stack.callback(run)


@dataclass(frozen=True)
class Running:
    """What `up` has started and the later steps use."""

    clients: EndpointClients
    deployment: Deployment
    service: LambdaService
    schedules: list[Schedule]  # the probes'
    dashboard_url: str | None
    jobs: list[Schedule] = field(default_factory=list)  # the compactor's: scheduled, never in rounds


def up(
    config: LabConfig, console: Console, *, rounds: int, exit_after_rounds: bool, dashboard: bool,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """Everything: endpoint, terraform apply (`variables` override envs/local's), service, dashboard,
    scheduler; until Ctrl-C (or, with `exit_after_rounds`, until `rounds` rounds are done). The exit status is
    that of the rounds, if any; interrupted (SIGINT, SIGTERM) before the lab is up or during its rounds, it is
    128 + the signal's number (130, 143), after it stopped what it started. Ctrl-C while the lab serves on its
    schedule is how an interactive `up` ends: the status stays the rounds'. An error (LabError) is raised once
    everything started is stopped: `python -m lab` says it in one line."""
    clock = StepClock(console)
    status = 0
    serving = False
    with interruptible(), contextlib.ExitStack() as stack:
        try:
            clock.start(0, "checking prerequisites (terraform, build, ports, runtimes, host speed)")
            config.state_dir.mkdir(parents=True, exist_ok=True)
            prerequisites = check_prerequisites(config, console, dashboard, variables)
            lab = start(stack, config, console, dashboard, prerequisites, clock, variables)
            if rounds:
                clock.start(5, f"running {rounds} round(s) of {len(lab.schedules)} probes now")
                result = run_rounds(lab.service, lab.clients, lab.schedules, lab.deployment, rounds,
                                    config, console, first_row=lambda: first_row(clock, console))
                clock.end()
                console.say(f"{rounds} round(s) done {duration(clock.elapsed())} after `lab up` started")
                status = report_rounds(result, console)
                if exit_after_rounds:
                    return status
            serving = True
            schedule_and_watch(stack, lab, console, fire_at_start=not rounds,
                               first_row=None if rounds else lambda: first_row(clock, console))
        except KeyboardInterrupt as exc:
            signum = signal_of(exc)
            if serving:
                cause = "Ctrl-C" if signum == signal.SIGINT else describe_signal(signum)
                console.say(f"stopping ({cause}) …")
            else:
                status = exit_status(exc)
                console.say(f"interrupted by {describe_signal(signum)} during {clock.last or 'start-up'}: "
                            "stopping everything the lab started …")
    return status


def first_row(clock: StepClock, console: Console) -> None:
    """Say when the first row landed, counted from the start of `lab up`."""
    console.say(f"first row in the table {duration(clock.elapsed())} after `lab up` started")


def start(
    stack: contextlib.ExitStack, config: LabConfig, console: Console, dashboard: bool,
    prerequisites: Prerequisites, clock: StepClock, variables: Mapping[str, Any] | None = None,
) -> Running:
    """Steps 1-4: endpoint, terraform apply (the runtimes' environments made meanwhile), Lambda service,
    dashboard, and the `up.json` record; each registers how to stop it on `stack`."""
    unpacked = UnpackedZips(config.state_dir / SERVICE_TAG / "unpacked")  # the service's own (pool.py)
    preparation = RuntimePreparation(
        prerequisites.environments, prerequisites.runtimes,
        lambda: unpacked.prefetch(config.artifacts_dir, prerequisites.runtimes))
    clock.start(1, f"starting the local AWS endpoint on port {config.port}")
    endpoint = start_endpoint(config.state_dir, port=config.port)
    stack.callback(console.say, "everything the lab started is stopped")
    _on_exit(stack, console, "the endpoint", lambda: stop_endpoint(config.state_dir))
    console.say(f"      {endpoint.url} (pid {endpoint.pid}, TLS, CA {endpoint.ca_bundle})")
    clients = EndpointClients.for_endpoint(endpoint)

    clock.start(2, "terraform apply terraform/envs/local (fixtures, table, functions, schedules)")
    deployment = terraform_apply(clients, config, console, dict(variables) if variables else None)
    console.say(f"      {len(deployment.probe_function_names)} probes, collector "
                f"{deployment.collector_function_name}, table {deployment.table_name}")

    clock.start(3, "starting the lab's Lambda service and X-Ray listener "
                   f"(runtimes {', '.join(prerequisites.runtimes)})")
    preparation.wait()
    service, xray = open_service(clients, config, console, SERVICE_TAG, prerequisites.host,
                                 prerequisites.environments)
    _on_exit(stack, console, "the X-Ray listener", xray.close)
    _on_exit(stack, console, "the Lambda service", service.close)
    schedules = read_fleet_schedules(clients, deployment, console)
    jobs = read_job_schedules(clients, deployment, console)

    dashboard_url = dashboard_pid = None
    if dashboard:
        clock.start(4, f"starting the dashboard on port {config.dashboard_port}")
        started = lab_dashboard.start_dashboard(clients, deployment, config, schedules)
        _on_exit(stack, console, "the dashboard", lambda: lab_dashboard.stop_dashboard(started))
        dashboard_url, dashboard_pid = lab_dashboard.dashboard_url(config), started.pid
    else:
        clock.start(4, "dashboard skipped (--no-dashboard)")
    host = prerequisites.host
    write_up(config.state_dir, UpRecord(os.getpid(), dt.datetime.now(dt.UTC).isoformat(), endpoint.url,
                                        dashboard_url, dashboard_pid, host.cpu, host.reference_ms,
                                        list(prerequisites.runtimes)))
    _on_exit(stack, console, "the lab record", lambda: remove_up(config.state_dir))
    clock.end()
    if dashboard_url:
        console.say(f"      dashboard: {dashboard_url} ({duration(clock.elapsed())} after `lab up` started)")
    return Running(clients, deployment, service, schedules, dashboard_url, jobs)


def schedule_and_watch(
    stack: contextlib.ExitStack, lab: Running, console: Console, fire_at_start: bool,
    first_row: Callable[[], None] | None = None,
) -> None:
    """Step 5: run the scheduler (stopped by `stack`) and report what it does until interrupted."""
    expressions = sorted({s.expression_text for s in lab.schedules})
    first = "the first round starts now" if fire_at_start else "the next round comes on schedule"
    console.say(f"[5/{STEPS}] scheduler: {len(lab.schedules)} schedules ({', '.join(expressions)}); {first}")
    for job in lab.jobs:
        console.say(
            f"      and {job.function_name} ({job.expression_text}): digests of closed days and of today's "
            "closed hours"
        )
    scheduler = Scheduler([*lab.schedules, *lab.jobs], lab.service.invoke_async, log=console.log,
                          fire_at_start=fire_at_start)
    scheduler.start()
    _on_exit(stack, console, "the scheduler", scheduler.stop)
    console.say("the lab is up" + (f" — open {lab.dashboard_url}" if lab.dashboard_url else "")
                + "; Ctrl-C stops everything")
    watch(lab.service, lab.clients, scheduler, lab.deployment, console, first_row=first_row)
