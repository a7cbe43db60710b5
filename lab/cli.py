"""`python -m lab`: bring the observatory up on this machine, run probe rounds, inspect it, take it down.

`up` starts the local AWS endpoint, applies `terraform/envs/local` to it, runs the deployed functions in the
lab's Lambda service on the schedules Terraform created, and serves the dashboard; Ctrl-C stops everything it
started. `run`, `invoke` and `status` work against a lab that `up` started; `down` stops one by its pids.
State (pids, TLS files, Terraform state, logs) lives in `.lab/`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from lab.endpoint import EndpointError, EndpointInfo, endpoint_status, start_endpoint, stop_endpoint
from lab.endpoint.process import DEFAULT_PORT, check_port_free, pid_alive, probe_endpoint
from lab.scheduler import Schedule, Scheduler, ScheduleSourceError, load_schedules

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = REPO_ROOT / ".lab"
LOCAL_ENV = REPO_ROOT / "terraform" / "envs" / "local"
DASHBOARD_APP = REPO_ROOT / "dashboard" / "streamlit_app.py"
DEFAULT_DASHBOARD_PORT = 8501
UP_FILE = "up.json"
DEPLOYMENT_FILE = "deployment.json"
LAB_REGION = "us-east-1"
# The lab never talks to AWS: its own process and everything it starts use these credentials.
LAB_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": LAB_REGION,
    "AWS_DEFAULT_REGION": LAB_REGION,
}


class LabError(Exception):
    """Something the user must fix before the lab can do what was asked; the message says what."""


# --- console ---------------------------------------------------------------------------------------------


class Console:
    """What the lab tells the user: timestamped steps, and a progress bar that redraws on a terminal."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self._lock = threading.Lock()
        self._bar_open = False
        self._last_bar = ""

    def _end_bar(self) -> None:
        if self._bar_open:
            self.stream.write("\n")
            self._bar_open = False

    def say(self, message: str) -> None:
        """One line, prefixed with the time."""
        with self._lock:
            self._end_bar()
            stamp = dt.datetime.now().strftime("%H:%M:%S")
            self.stream.write(f"[{stamp}] {message}\n")
            self.stream.flush()

    def log(self, message: str) -> None:
        """A line from a component (service, scheduler); hidden with --quiet."""
        if not self.quiet:
            self.say(message)

    def progress(self, done: int, total: int, label: str) -> None:
        """`[#####.....] done/total label` — redrawn in place on a terminal, printed on change otherwise."""
        width = 30
        filled = width * done // total if total else width
        bar = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}"
        with self._lock:
            if bar == self._last_bar:
                return
            self._last_bar = bar
            if self.tty:
                self.stream.write("\r" + bar.ljust(100))
                self._bar_open = True
            else:
                self.stream.write(bar + "\n")
            self.stream.flush()


# --- configuration and state -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LabConfig:
    """Where the lab keeps its state and how it emulates Lambda; from the command line."""

    state_dir: Path
    port: int = DEFAULT_PORT
    dashboard_port: int = DEFAULT_DASHBOARD_PORT
    artifacts_dir: Path = REPO_ROOT / "build"
    cpu_period_ms: float = 20.0
    idle_timeout_s: float = 300.0
    max_concurrent_probes: int = 1
    round_timeout_s: float = 900.0


@dataclass
class Deployment:
    """What `terraform apply` of envs/local created, as far as the lab needs it (its outputs)."""

    table_name: str
    probe_function_names: dict[str, str]
    collector_function_name: str
    dead_letter_queue_url: str
    schedule_group_name: str = ""
    fleet: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any]) -> Deployment:
        """From `terraform output -json` (values unwrapped or not)."""

        def value(name: str, default: Any = None) -> Any:
            raw = outputs.get(name, default)
            return raw["value"] if isinstance(raw, dict) and "value" in raw and "type" in raw else raw

        missing = [n for n in ("dynamodb_table_name", "probe_function_names", "collector_function_name")
                   if value(n) is None]
        if missing:
            raise LabError(f"terraform/envs/local has no output(s) {missing}; the lab needs them")
        return cls(
            table_name=value("dynamodb_table_name"),
            probe_function_names=dict(value("probe_function_names")),
            collector_function_name=value("collector_function_name"),
            dead_letter_queue_url=value("dead_letter_queue_url", "") or "",
            schedule_group_name=value("schedule_group_name", "") or "",
            fleet=dict(value("fleet", {}) or {}),
        )

    def save(self, state_dir: Path) -> None:
        (state_dir / DEPLOYMENT_FILE).write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, state_dir: Path) -> Deployment | None:
        try:
            return cls(**json.loads((state_dir / DEPLOYMENT_FILE).read_text()))
        except (OSError, ValueError, TypeError):
            return None


@dataclass(frozen=True)
class UpRecord:
    """The running `lab up`: its pid and the dashboard it serves (in `.lab/up.json`)."""

    pid: int
    started_at: str
    endpoint_url: str
    dashboard_url: str | None
    dashboard_pid: int | None


def read_up(state_dir: Path) -> UpRecord | None:
    """The recorded `lab up` if its process is alive; a stale record is removed."""
    path = state_dir / UP_FILE
    try:
        record = UpRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if pid_alive(record.pid):
        return record
    path.unlink(missing_ok=True)
    return None


def lab_environment(endpoint: EndpointInfo) -> dict[str, str]:
    """Variables every lab client needs: fake credentials, the endpoint and the CA that signs it."""
    return {**LAB_AWS_ENV, **endpoint.client_env()}


@contextlib.contextmanager
def pointed_at(endpoint: EndpointInfo) -> Iterator[None]:
    """Point this process's boto3 at the lab endpoint (and never at AWS) for the duration."""
    saved = {k: os.environ.get(k) for k in (*LAB_AWS_ENV, "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "AWS_PROFILE")}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(lab_environment(endpoint))
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def require_endpoint(state_dir: Path) -> EndpointInfo:
    """The running endpoint, or LabError saying how to start it."""
    info = endpoint_status(state_dir)
    if info is None:
        raise LabError(
            "the lab's endpoint is not running: start the lab with `python -m lab up` or `make up`"
        )
    if not probe_endpoint(info.host, info.port, info.ca_bundle):
        raise LabError(
            f"the lab's endpoint (pid {info.pid}) does not answer at {info.url}; see {info.log}, "
            "then `python -m lab down` and `python -m lab up`"
        )
    return info


def require_deployment(state_dir: Path) -> Deployment:
    deployment = Deployment.load(state_dir)
    if deployment is None:
        raise LabError("nothing is deployed in the lab yet: `python -m lab up` applies terraform/envs/local")
    return deployment


# --- the pieces `up` composes ----------------------------------------------------------------------------


def check_prerequisites(config: LabConfig, dashboard: bool) -> None:
    """Fail early, and clearly, on what would make `up` fail half-way: terraform, build output, ports."""
    from tools import terraform as tf

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
        check_port_free("127.0.0.1", config.port)
        if dashboard:
            check_port_free("127.0.0.1", config.dashboard_port)
    except EndpointError as exc:
        raise LabError(str(exc).replace("--port", "--port / --dashboard-port")) from exc


def terraform_apply(
    endpoint: EndpointInfo, config: LabConfig, console: Console, variables: dict[str, Any] | None = None
) -> Deployment:
    """Apply terraform/envs/local to the endpoint (fresh state: the endpoint starts empty); its outputs.

    `variables` override envs/local's defaults (e.g. a smaller fleet for a benchmark).
    """
    from tools import terraform as tf

    # The endpoint keeps everything in memory: state from an earlier endpoint describes nothing that exists.
    # The data dir (providers from the mirror) is kept between runs: `init` is then quick.
    state = config.state_dir / "terraform" / "terraform.tfstate"
    shutil.rmtree(state.parent, ignore_errors=True)
    state.parent.mkdir(parents=True)
    workspace = tf.Workspace(
        env_dir=LOCAL_ENV,
        variables={
            "endpoint": endpoint.url,
            "ca_bundle": endpoint.ca_bundle,
            "artifacts_dir": str(config.artifacts_dir.resolve()),
            **(variables or {}),
        },
        state=state,
        data_dir=config.state_dir / "terraform-data",
    )
    try:
        tf.init(workspace)
        outputs = tf.apply(workspace, echo=not console.quiet)
    except tf.TerraformError as exc:
        raise LabError(f"terraform apply of terraform/envs/local failed: {exc}") from exc
    deployment = Deployment.from_outputs(outputs)
    deployment.save(config.state_dir)
    return deployment


def open_service(endpoint: EndpointInfo, config: LabConfig, console: Console, tag: str) -> tuple[Any, Any]:
    """The lab's Lambda service (and its X-Ray listener) against the endpoint."""
    from lab.runtime import LambdaService
    from lab.xray import XRayListener

    xray = XRayListener(path=config.state_dir / tag / "xray-segments.jsonl")
    try:
        service = LambdaService(
            endpoint_url=endpoint.url,
            artifacts_dir=config.artifacts_dir,
            work_dir=config.state_dir / tag,
            ca_bundle=endpoint.ca_bundle,
            cpu_period_ms=config.cpu_period_ms,
            idle_timeout_s=config.idle_timeout_s,
            max_concurrent_probes=config.max_concurrent_probes,
            xray=xray,
            log=console.log,
        )
    except Exception:
        xray.close()
        raise
    return service, xray


def read_fleet_schedules(deployment: Deployment, console: Console) -> list[Schedule]:
    """The schedules at the endpoint that invoke this deployment's probes."""
    try:
        schedules = load_schedules(log=console.log)
    except ScheduleSourceError as exc:
        raise LabError(str(exc)) from exc
    ours = set(deployment.probe_function_names.values())
    fleet = [s for s in schedules if s.function_name in ours]
    if not fleet:
        raise LabError("the endpoint has no schedule that invokes a probe: did terraform/envs/local apply?")
    return fleet


def finished(service: Any, request_ids: set[str]) -> int:
    """How many of these async requests the service has finished (retries and destination included)."""
    outcomes = list(getattr(service, "outcomes", []))
    return sum(1 for outcome in outcomes if outcome.request_id in request_ids)


def count_rows(deployment: Deployment, since: dt.datetime) -> tuple[int, Any]:
    """Rows in the table taken since `since`, and the frame itself."""
    from collector.table import read_rows

    frame = read_rows(since - dt.timedelta(minutes=1), dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1),
                      table_name=deployment.table_name)
    return len(frame), frame


@dataclass
class RoundsResult:
    """What a batch of rounds produced."""

    fired: int
    failed_to_fire: int
    rows: int
    probes_without_rows: list[str]
    statuses: dict[str, int]
    problems: list[str] = field(default_factory=list)  # "probe_key/store: status (error types)"


def run_rounds(
    service: Any, schedules: Sequence[Schedule], deployment: Deployment, rounds: int, config: LabConfig,
    console: Console,
) -> RoundsResult:
    """Invoke every scheduled probe `rounds` times now (asynchronously, as the schedule does) and wait."""
    scheduler = Scheduler(schedules, service.invoke_async, log=console.log)
    started = dt.datetime.now(dt.UTC)
    total = rounds * len(schedules)
    fired = failed = 0
    request_ids: set[str] = set()
    for number in range(1, rounds + 1):
        results = scheduler.fire_round()
        request_ids |= {r.request_id for r in results if r.request_id is not None}
        fired += sum(1 for r in results if r.error is None)
        failed += sum(1 for r in results if r.error is not None)
        deadline = time.monotonic() + config.round_timeout_s
        while True:
            idle = service.wait_idle(0.5)
            done = finished(service, request_ids) + failed
            console.progress(done, total, f"invocations (round {number}/{rounds})")
            if idle:
                break
            if time.monotonic() > deadline:
                raise LabError(f"round {number} did not finish within {config.round_timeout_s:.0f} s")
    console.progress(total, total, "invocations")
    # The collector writes rows from the destinations; give the last deliveries a moment to land.
    expected = set(deployment.probe_function_names)
    rows, frame = count_rows(deployment, started)
    for _ in range(20):
        if expected <= set(frame["probe_key"]) if rows else False:
            break
        time.sleep(0.5)
        rows, frame = count_rows(deployment, started)
    keys = set(frame["probe_key"]) if rows else set()
    fired_keys = {k for k, name in deployment.probe_function_names.items()
                  if name in {s.function_name for s in schedules}}
    statuses = frame["status"].value_counts().to_dict() if rows else {}
    counts = {str(k): int(v) for k, v in statuses.items()}
    bad = frame[frame["status"] != "ok"] if rows else frame
    problems = [f"{r.probe_key}/{r.store}: {r.status} ({r.error_types or 'no error type'})"
                for r in bad.itertuples()]
    return RoundsResult(fired, failed, rows, sorted(fired_keys - keys), counts, problems)


def report_rounds(result: RoundsResult, console: Console) -> int:
    """Print what the rounds produced; exit status 0 only if every probe has rows and every fire succeeded."""
    shown = ", ".join(f"{n} {s}" for s, n in sorted(result.statuses.items())) or "none"
    console.say(f"{result.fired} invocations → {result.rows} rows in the table ({shown})")
    if result.failed_to_fire:
        console.say(f"{result.failed_to_fire} invocations could not be started (see the lines above)")
    for problem in result.problems:
        console.say(f"  {problem}")
    if result.probes_without_rows:
        console.say(f"no rows from: {', '.join(result.probes_without_rows)}")
    return 0 if result.rows and not result.probes_without_rows and not result.failed_to_fire else 1


def start_dashboard(endpoint: EndpointInfo, deployment: Deployment, config: LabConfig,
                    console: Console) -> subprocess.Popen[bytes]:
    """`streamlit run dashboard/streamlit_app.py` on the lab's table, in the background, once healthy."""
    if not DASHBOARD_APP.is_file():
        raise LabError(f"{DASHBOARD_APP.relative_to(REPO_ROOT)} does not exist yet; use --no-dashboard")
    env = {**os.environ, **lab_environment(endpoint), "OBSERVATORY_TABLE_NAME": deployment.table_name}
    log = (config.state_dir / "dashboard.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(DASHBOARD_APP),
         "--server.headless", "true", "--server.address", "127.0.0.1",
         "--server.port", str(config.dashboard_port), "--browser.gatherUsageStats", "false"],
        cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    health = f"http://127.0.0.1:{config.dashboard_port}/_stcore/health"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LabError(f"the dashboard exited with status {process.returncode}; see {log.name}")
        with contextlib.suppress(urllib.error.URLError, OSError), urllib.request.urlopen(
            health, timeout=2
        ) as response:
            if response.status == 200:
                return process
        time.sleep(0.5)
    stop_process(process)
    raise LabError(f"the dashboard did not become healthy within 60 s; see {log.name}")


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """SIGTERM the process group of a child we started in its own session, then SIGKILL; reap it."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


# --- commands --------------------------------------------------------------------------------------------


def cmd_up(args: argparse.Namespace, config: LabConfig, console: Console) -> int:
    """Everything: endpoint, terraform apply, service, scheduler, dashboard; until Ctrl-C (or --exit)."""
    dashboard = not args.no_dashboard
    check_prerequisites(config, dashboard)
    config.state_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    cleanups: list[tuple[str, Callable[[], object]]] = []
    status = 0
    try:
        console.say(f"[1/5] starting the local AWS endpoint on port {config.port} …")
        endpoint = start_endpoint(config.state_dir, port=config.port)
        cleanups.append(("the endpoint", lambda: stop_endpoint(config.state_dir)))
        console.say(f"      {endpoint.url} (pid {endpoint.pid}, TLS, CA {endpoint.ca_bundle})")
        with pointed_at(endpoint):
            console.say("[2/5] terraform apply terraform/envs/local (fixtures, table, functions, schedules)…")
            deployment = terraform_apply(endpoint, config, console)
            console.say(f"      {len(deployment.probe_function_names)} probes, collector "
                        f"{deployment.collector_function_name}, table {deployment.table_name}")
            console.say("[3/5] starting the lab's Lambda service and X-Ray listener …")
            service, xray = open_service(endpoint, config, console, "runtime")
            cleanups.append(("the X-Ray listener", xray.close))
            cleanups.append(("the Lambda service", service.close))
            schedules = read_fleet_schedules(deployment, console)
            dashboard_url = None
            dashboard_process = None
            if dashboard:
                console.say(f"[4/5] starting the dashboard on port {config.dashboard_port} …")
                dashboard_process = start_dashboard(endpoint, deployment, config, console)
                cleanups.append(("the dashboard", lambda: stop_process(dashboard_process)))
                dashboard_url = f"http://127.0.0.1:{config.dashboard_port}"
            else:
                console.say("[4/5] dashboard skipped (--no-dashboard)")
            (config.state_dir / UP_FILE).write_text(json.dumps(asdict(UpRecord(
                os.getpid(), dt.datetime.now(dt.UTC).isoformat(), endpoint.url, dashboard_url,
                dashboard_process.pid if dashboard_process else None)), indent=2))
            cleanups.append(("the lab record", lambda: (config.state_dir / UP_FILE).unlink(missing_ok=True)))
            if dashboard_url:
                console.say(f"      dashboard: {dashboard_url}")
            if args.rounds:
                console.say(f"[5/5] running {args.rounds} round(s) of {len(schedules)} probes now …")
                result = run_rounds(service, schedules, deployment, args.rounds, config, console)
                status = report_rounds(result, console)
                if args.exit:
                    return status
            expressions = sorted({s.expression_text for s in schedules})
            console.say(f"[5/5] scheduler: {len(schedules)} schedules ({', '.join(expressions)}); "
                        "the first round starts now")
            scheduler = Scheduler(schedules, service.invoke_async, log=console.log,
                                  fire_at_start=not args.rounds)
            scheduler.start()
            cleanups.append(("the scheduler", scheduler.stop))
            console.say("the lab is up" + (f" — open {dashboard_url}" if dashboard_url else "")
                        + "; Ctrl-C stops everything")
            watch(service, scheduler, deployment, console)
    except KeyboardInterrupt:
        console.say("stopping (Ctrl-C) …")
    except (LabError, EndpointError) as exc:
        console.say(f"error: {exc}")
        status = 1
    finally:
        for what, cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as exc:  # keep stopping the rest, but say what could not be stopped
                console.say(f"could not stop {what}: {type(exc).__name__}: {exc}")
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if cleanups:
            console.say("everything the lab started is stopped")
    return status


WATCH_INTERVAL_S = 10.0
ROW_LOOKBACK = dt.timedelta(minutes=20)  # longer than any invocation: a row's ts is when its invocation began


def watch(service: Any, scheduler: Scheduler, deployment: Deployment, console: Console) -> None:
    """Until interrupted: say when rounds fire, how many invocations are in flight, how many rows landed.

    Counts stay cheap however long the lab runs: only the last minutes of the table are read each time, and
    rows and finished requests already seen are remembered by id.
    """
    started = dt.datetime.now(dt.UTC)
    seen_rows: set[tuple[str, str]] = set()
    done: set[str] = set()
    last: tuple[int, int, int] | None = None
    while True:
        time.sleep(WATCH_INTERVAL_S)
        fired = {f.request_id for f in scheduler.fired if f.request_id is not None}
        done |= {o.request_id for o in list(getattr(service, "outcomes", [])) if o.request_id in fired}
        try:
            _, frame = count_rows(deployment, max(started, dt.datetime.now(dt.UTC) - ROW_LOOKBACK))
            seen_rows |= set(zip(frame["invocation_id"], frame["store"], strict=True))
        except Exception as exc:  # the table may be briefly unreadable; say so and keep watching
            console.say(f"cannot read the table: {type(exc).__name__}: {exc}")
        now = (len(scheduler.fired), len(fired - done), len(seen_rows))
        if now != last:
            nxt = scheduler.seconds_until_next()
            upcoming = f"; next round in {nxt:.0f} s" if nxt is not None else ""
            console.say(f"{now[0]} invocations fired, {now[1]} in flight, {now[2]} rows since start"
                        f"{upcoming}")
            last = now


def cmd_run(args: argparse.Namespace, config: LabConfig, console: Console) -> int:
    """Run the whole fleet N times now against a running lab, with a progress bar."""
    endpoint = require_endpoint(config.state_dir)
    deployment = require_deployment(config.state_dir)
    with pointed_at(endpoint):
        schedules = read_fleet_schedules(deployment, console)
        service, xray = open_service(endpoint, config, console, f"run-{os.getpid()}")
        try:
            console.say(f"running {args.rounds} round(s) of {len(schedules)} probes …")
            result = run_rounds(service, schedules, deployment, args.rounds, config, console)
        finally:
            service.close()
            xray.close()
    return report_rounds(result, console)


def _payload_for(function: str, deployment: Deployment, schedules: Sequence[Schedule]) -> tuple[str, Any]:
    name = deployment.probe_function_names.get(function, function)
    for schedule in schedules:
        if schedule.function_name == name:
            return name, schedule.input
    return name, {}


def cmd_invoke(args: argparse.Namespace, config: LabConfig, console: Console) -> int:
    """Invoke one function synchronously and print what it returned."""
    endpoint = require_endpoint(config.state_dir)
    deployment = require_deployment(config.state_dir)
    with pointed_at(endpoint):
        schedules = load_schedules(log=console.log)
        name, payload = _payload_for(args.function, deployment, schedules)
        if args.payload is not None:
            try:
                payload = json.loads(args.payload)
            except ValueError as exc:
                raise LabError(f"--payload is not JSON: {exc}") from exc
        service, xray = open_service(endpoint, config, console, f"invoke-{os.getpid()}")
        try:
            console.say(f"invoking {name} …")
            result = service.invoke(name, payload)
        finally:
            service.close()
            xray.close()
    cold = f"cold ({result.cold_cause}, init {result.init_ms:.0f} ms)" if result.cold else "warm"
    console.say(f"{name}: request {result.request_id}, {cold}, {result.duration_ms:.0f} ms; "
                f"log {result.log_path}")
    print(json.dumps(result.payload, indent=2, default=str))
    if not result.ok:
        console.say(f"{name} failed: {result.function_error} ({result.error_type})")
        return 1
    return 0


def cmd_status(args: argparse.Namespace, config: LabConfig, console: Console) -> int:
    """Say what runs: endpoint, `up`, dashboard, deployed functions, schedules, rows today."""
    endpoint = endpoint_status(config.state_dir)
    up = read_up(config.state_dir)
    print(f"lab state: {config.state_dir}")
    if endpoint is None:
        print("endpoint:  not running (start the lab with `python -m lab up`)")
        return 1 if up is None else 0
    reachable = probe_endpoint(endpoint.host, endpoint.port, endpoint.ca_bundle)
    print(f"endpoint:  {endpoint.url} pid {endpoint.pid}" + ("" if reachable else " — NOT ANSWERING"))
    print(f"lab up:    pid {up.pid} since {up.started_at}" if up else "lab up:    not running")
    if up and up.dashboard_url:
        print(f"dashboard: {up.dashboard_url} (pid {up.dashboard_pid})")
    deployment = Deployment.load(config.state_dir)
    if deployment is None or not reachable:
        return 0 if reachable else 1
    with pointed_at(endpoint):
        import boto3

        functions = [f["FunctionName"] for page in boto3.client("lambda").get_paginator("list_functions")
                     .paginate() for f in page["Functions"]]
        print(f"functions: {len(functions)} deployed ({len(deployment.probe_function_names)} probes)")
        schedules = load_schedules(log=lambda _: None)
        print(f"schedules: {len(schedules)} ({', '.join(sorted({s.expression_text for s in schedules}))})")
        today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        rows, frame = count_rows(deployment, today)
        statuses = frame["status"].value_counts().to_dict() if rows else {}
        print(f"rows:      {rows} today in {deployment.table_name} {statuses or ''}".rstrip())
        if deployment.dead_letter_queue_url:
            attrs = boto3.client("sqs").get_queue_attributes(
                QueueUrl=deployment.dead_letter_queue_url, AttributeNames=["ApproximateNumberOfMessages"])
            print(f"dead letters: {attrs['Attributes']['ApproximateNumberOfMessages']}")
    return 0


def _is_dashboard(pid: int) -> bool:
    try:
        return b"streamlit" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def cmd_down(args: argparse.Namespace, config: LabConfig, console: Console) -> int:
    """Stop `lab up` (it stops what it started), then anything left: dashboard, endpoint.

    Also cleans up after a `lab up` that was killed (SIGKILL, a crash) and could not stop its children.
    """
    stopped = False
    path = config.state_dir / UP_FILE
    try:
        record: UpRecord | None = UpRecord(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        record = None
    if record is not None and pid_alive(record.pid):
        console.say(f"stopping lab up (pid {record.pid}) …")
        os.kill(record.pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while pid_alive(record.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid_alive(record.pid):
            console.say(f"lab up (pid {record.pid}) did not stop within 60 s; killing it")
            os.kill(record.pid, signal.SIGKILL)
        stopped = True
    if record is not None and record.dashboard_pid and pid_alive(record.dashboard_pid) \
            and _is_dashboard(record.dashboard_pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(record.dashboard_pid, signal.SIGTERM)
        console.say(f"stopped the dashboard (pid {record.dashboard_pid})")
        stopped = True
    path.unlink(missing_ok=True)
    info = stop_endpoint(config.state_dir)
    if info is not None:
        console.say(f"stopped the endpoint (pid {info.pid})")
        stopped = True
    if not stopped:
        console.say("nothing was running")
    return 0


# --- argument parsing ------------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (1-65535)")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return value


def _env(name: str, default: Any, parse: Callable[[str], Any]) -> Any:
    """An option's default from the environment (so `make up` can be configured without arguments)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse(raw)
    except argparse.ArgumentTypeError as exc:
        raise SystemExit(f"python -m lab: error: ${name}: {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    """The `python -m lab` command line."""
    parser = argparse.ArgumentParser(
        prog="python -m lab",
        description="The Secret Latency Observatory's lab: the whole observatory on this machine, with "
                    "Lambda's CPU limits, and no AWS account.",
    )
    parser.add_argument("--state-dir", type=Path, default=Path(os.environ.get("OBSERVATORY_LAB_DIR",
                        DEFAULT_STATE_DIR)), help="where the lab keeps pids, TLS files, state, logs "
                        "(default: %(default)s, or $OBSERVATORY_LAB_DIR)")
    parser.add_argument("--quiet", action="store_true", help="only steps and results, not component logs")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def emulation(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--artifacts-dir", type=Path, default=REPO_ROOT / "build",
                         help="build output with manifest.json (default: %(default)s)")
        sub.add_argument("--cpu-period-ms", type=_positive_float, default=20.0,
                         help="CFS period of the CPU quota (default: %(default)s ms, as Lambda)")
        sub.add_argument("--idle-timeout-s", type=_positive_float, default=300.0,
                         help="retire an execution environment after this long idle (default: %(default)s s)")
        sub.add_argument("--max-concurrent-probes", type=_positive_int, default=1,
                         help="probe environments that may run at once (default: %(default)s)")
        sub.add_argument("--round-timeout-s", type=_positive_float, default=900.0,
                         help="give up on a round after this long (default: %(default)s s)")

    up = commands.add_parser("up", help="start the endpoint, deploy, run the schedule, serve the dashboard",
                             description="Start the local AWS endpoint, apply terraform/envs/local to it, "
                                         "run the deployed fleet on its schedules and serve the dashboard. "
                                         "Ctrl-C stops everything it started.")
    up.add_argument("--port", type=_port, default=_env("OBSERVATORY_LAB_PORT", DEFAULT_PORT, _port),
                    help="endpoint port (default: %(default)s, or $OBSERVATORY_LAB_PORT)")
    up.add_argument("--dashboard-port", type=_port,
                    default=_env("OBSERVATORY_DASHBOARD_PORT", DEFAULT_DASHBOARD_PORT, _port),
                    help="dashboard port (default: %(default)s, or $OBSERVATORY_DASHBOARD_PORT)")
    up.add_argument("--no-dashboard", action="store_true", help="do not start the dashboard")
    up.add_argument("--rounds", type=_positive_int, default=_env("OBSERVATORY_LAB_ROUNDS", 0, _positive_int),
                    help="run the fleet this many times right away, before the schedule takes over "
                         "(default: $OBSERVATORY_LAB_ROUNDS or 0)")
    up.add_argument("--exit", action="store_true", default=os.environ.get("OBSERVATORY_LAB_EXIT") == "1",
                    help="with --rounds: exit after those rounds (non-interactive; exit status 0 if every "
                         "probe produced rows; also OBSERVATORY_LAB_EXIT=1)")
    emulation(up)

    run = commands.add_parser("run", help="run the whole fleet N times now (needs `lab up`)",
                              description="Invoke every scheduled probe N times now, asynchronously as the "
                                          "schedule would, show progress, and exit once the rows landed.")
    run.add_argument("--rounds", type=_positive_int, default=1, help="how many rounds (default: %(default)s)")
    emulation(run)

    invoke = commands.add_parser("invoke", help="invoke one function and print its result (needs `lab up`)",
                                 description="Invoke a deployed function synchronously and print what it "
                                             "returned. A probe gets its schedule's input unless --payload.")
    invoke.add_argument("function", metavar="FUNCTION", help="function name, or a probe key such as "
                                                             "dict-128-x86_64")
    invoke.add_argument("--payload", help="JSON event (default: the function's schedule input)")
    emulation(invoke)

    commands.add_parser("status", help="what is running, deployed and measured",
                        description="Show the endpoint, the running `lab up`, the dashboard, deployed "
                                    "functions, schedules, today's rows and dead letters.")
    commands.add_parser("down", help="stop everything the lab started",
                        description="Stop `lab up` by its pid (it stops what it started), then the "
                                    "dashboard and the endpoint if they are still running.")
    return parser


def config_from(args: argparse.Namespace) -> LabConfig:
    """LabConfig from parsed arguments (subcommands without emulation options keep the defaults)."""
    values: dict[str, Any] = {"state_dir": args.state_dir.resolve()}
    for name in ("port", "dashboard_port", "artifacts_dir", "cpu_period_ms", "idle_timeout_s",
                 "max_concurrent_probes", "round_timeout_s"):
        if hasattr(args, name):
            values[name] = getattr(args, name)
    return LabConfig(**values)


COMMANDS: dict[str, Callable[[argparse.Namespace, LabConfig, Console], int]] = {
    "up": cmd_up, "run": cmd_run, "invoke": cmd_invoke, "status": cmd_status, "down": cmd_down,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m lab`; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "exit", False) and not args.rounds:
        parser.error("--exit needs --rounds N (how many rounds to run before exiting)")
    console = Console(quiet=args.quiet)
    try:
        return COMMANDS[args.command](args, config_from(args), console)
    except (LabError, EndpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
