"""One execution environment: a process tree (extensions + `python -m awslambdaric`) in its own cgroup.

Lifecycle as on Lambda: INIT (extensions started and registered, then the runtime, until the runtime and every
extension wait in `next`; unthrottled), INVOKE (quota applied before the first event; INVOKE to subscribed
extensions and the event to the runtime; done when the runtime posts and the extensions are back in `next`),
SHUTDOWN (event to subscribed extensions, SIGTERM to the runtime, then SIGKILL and the cgroup removed).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import lambda_errors, launch, variables
from .api import ApiServer, ApiState, Invocation
from .cgroups import CpuGroup
from .interpreters import Interpreter
from .spec import EnvSettings, FunctionSpec
from .variables import CLOUD_EXTENSIONS_PORT_VARIABLE, EXTENSION_PORT_VARIABLE

__all__ = ["CLOUD_EXTENSIONS_PORT_VARIABLE", "EXTENSION_PORT_VARIABLE", "ExecutionEnvironment", "RawOutcome"]

SHUTDOWN_GRACE_S = 2.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RawOutcome:
    """What one invocation produced, before the service shapes it as Lambda would."""

    status: str  # ok | error | timeout | crashed | init_error | init_timeout
    body: bytes
    error_type: str | None
    duration_ms: float
    init_ms: float | None = None

    @classmethod
    def failure(
        cls, status: str, error: lambda_errors.ErrorBody, duration_ms: float, init_ms: float | None = None
    ) -> RawOutcome:
        """An outcome the lab observed (timeout, crash, INIT failure), with Lambda's error body for it."""
        return cls(status, error.encode(), error.error_type, duration_ms, init_ms)


@dataclass
class ExecutionEnvironment:
    """A live environment. `state` is initializing | idle | busy | stopped."""

    spec: FunctionSpec
    env_id: str
    directory: Path
    log_path: Path
    group: CpuGroup
    cold_cause: str
    settings: EnvSettings
    python: Interpreter  # the runtime's (settings.runtime_python(spec.runtime)), resolved by the pool
    state: str = "initializing"
    created: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    invocations: int = 0
    init_ms: float | None = None
    stop_reason: str | None = None
    frozen: bool = False  # between invocations, as on Lambda (launch.freeze)
    _api: ApiServer | None = None
    _runtime: subprocess.Popen[bytes] | None = None
    _extensions: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _registered_procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _log: IO[bytes] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    extension_port: int = field(default_factory=free_port)
    cloud_extensions_port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        while self.cloud_extensions_port == self.extension_port:  # two emulators, two ports
            self.cloud_extensions_port = free_port()

    # --- process tree ----------------------------------------------------------------------------
    @property
    def task_dir(self) -> Path:
        return self.directory / "task"

    @property
    def opt_dir(self) -> Path:
        return self.directory / "opt"

    @property
    def pid(self) -> int | None:
        return self._runtime.pid if self._runtime else None

    @property
    def api_address(self) -> str:
        """host:port of this environment's Runtime API (AWS_LAMBDA_RUNTIME_API)."""
        return self._api.address if self._api else ""

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        """The runtime and the extensions started (each the leader of its process group)."""
        return [*self._extensions, *([self._runtime] if self._runtime else [])]

    @property
    def extension_names(self) -> list[str]:
        return [] if self._api is None else [e.name for e in self._api.state.extensions.values()]

    def process_env(self) -> dict[str, str]:
        """The variables of every process in this environment (Lambda's, the function's, the lab's)."""
        return variables.environment_variables(self)

    def _spawn(self, argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
        assert self._log is not None
        return subprocess.Popen(
            self.group.wrap(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def write_log(self, line: str) -> None:
        """Append a platform line (START/END/REPORT, errors) to the environment's log, as Lambda does."""
        if self._log is not None:
            with contextlib.suppress(ValueError, OSError):
                self._log.write((line.rstrip("\n") + "\n").encode())
                self._log.flush()

    def start(self) -> RawOutcome | None:
        """Run INIT. Returns None when ready, or the outcome of a failed INIT (environment stopped)."""
        started = time.perf_counter()
        state = ApiState(self.spec.name, self.spec.handler, self.spec.account_id)
        self._api = ApiServer(state)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        bin_dir = self.directory / "bin"
        bin_dir.mkdir(parents=True, exist_ok=True)
        for name in ("python3", "python"):
            link = bin_dir / name
            if not link.exists():
                link.symlink_to(self.settings.extension_python)
        env = self.process_env()
        self.write_log(
            f"INIT_START Runtime Version: {self.spec.runtime} (lab: python {self.python.version_text} "
            f"{self.python.executable}) "
            f"Environment: {self.env_id} CPU: {self.group.mode} cold_cause: {self.cold_cause}"
        )
        deadline = time.monotonic() + self.settings.init_timeout_s
        ext_dir = self.opt_dir / "extensions"
        executables = (
            sorted(p for p in ext_dir.iterdir() if p.is_file() and os.access(p, os.X_OK))
            if ext_dir.is_dir()
            else []
        )
        for path in executables:
            self._extensions.append(self._spawn([str(path)], env, self.task_dir))
        with state.cond:
            # Lambda starts the runtime once every extension has registered (or exited)
            while not state.closed and time.monotonic() < deadline:
                alive = [p for p in self._extensions if p.poll() is None]
                if len(state.extensions) >= len(alive):
                    break
                state.cond.wait(0.05)
            state.registration_open = False
        command = launch.runtime_command(
            self.python.executable, launch.write_bootstrap(self.directory), env, self.task_dir, self.opt_dir
        )
        try:  # through the function's wrapper script, if it names one (AWS_LAMBDA_EXEC_WRAPPER)
            self._runtime = self._spawn(command, env, self.task_dir)
        except OSError as exc:  # a wrapper that is missing or not executable: the runtime never starts
            self.write_log(f"cannot start the runtime: {command[0]}: {exc.strerror}")
            exit_status = 127 if isinstance(exc, FileNotFoundError) else 126
            failed = lambda_errors.runtime_exit(exit_status)
            outcome = RawOutcome.failure("init_error", failed, 0.0, (time.perf_counter() - started) * 1000)
            self.init_ms = outcome.init_ms
            self.stop("failure")
            return outcome

        def init_ms() -> float:
            return (time.perf_counter() - started) * 1000

        with state.cond:
            while True:
                if state.init_error is not None:  # the runtime posted its own error (e.g. an import failed)
                    posted = state.init_error
                    outcome = RawOutcome("init_error", posted.body, posted.error_type, 0.0, init_ms())
                    break
                if state.runtime_waiting and state.extensions_idle():
                    self.init_ms = init_ms()
                    self._registered_procs = [p for p in self._extensions if p.poll() is None]
                    self.write_log(
                        f"INIT_REPORT Init Duration: {self.init_ms:.2f} ms Phase: init Status: success"
                    )
                    return None
                if self._runtime.poll() is not None:
                    outcome = RawOutcome.failure(
                        "init_error", lambda_errors.runtime_exit(self._runtime.returncode), 0.0, init_ms()
                    )
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = lambda_errors.init_timed_out(self.settings.init_timeout_s)
                    outcome = RawOutcome.failure("init_timeout", timed_out, 0.0, init_ms())
                    break
                state.cond.wait(min(0.05, remaining))
        self.init_ms = outcome.init_ms
        self.write_log(
            f"INIT_REPORT Init Duration: {outcome.init_ms:.2f} ms Phase: init Status: error "
            f"Error Type: {outcome.error_type}"
        )
        self.stop("failure")
        return outcome

    def _crashed_extension(self) -> int | None:
        """The exit status of an extension that was running after INIT and has exited since, if any."""
        for proc in self._registered_procs:
            if proc.poll() is not None:
                return proc.returncode
        return None

    def invoke(self, request_id: str, payload: bytes, trace_id: str) -> RawOutcome:
        """Deliver one event and wait for its outcome; on timeout or crash the environment is stopped."""
        assert self._api is not None and self._runtime is not None
        state = self._api.state
        self.state = "busy"
        self._thaw()
        self.invocations += 1
        timeout_s = self.spec.timeout_s
        deadline_ms = int(time.time() * 1000 + timeout_s * 1000)
        invocation = Invocation(request_id, payload, deadline_ms, self.spec.arn, trace_id)
        event = {
            "eventType": "INVOKE",
            "deadlineMs": deadline_ms,
            "requestId": request_id,
            "invokedFunctionArn": self.spec.arn,
            "tracing": {"type": "X-Amzn-Trace-Id", "value": trace_id},
        }
        self.write_log(f"START RequestId: {request_id} Version: $LATEST")
        self.group.throttle()  # the quota applies from the first INVOKE on; INIT ran unthrottled
        started = time.perf_counter()
        deadline = time.monotonic() + timeout_s
        state.deliver(invocation, event)
        outcome: RawOutcome | None = None
        with state.cond:
            while outcome is None:
                result = state.outcomes.pop(request_id, None)
                elapsed = (time.perf_counter() - started) * 1000
                if result is not None:
                    if result.kind == "response":
                        outcome = RawOutcome("ok", result.body, None, elapsed)
                    else:
                        outcome = RawOutcome("error", result.body, result.error_type, elapsed)
                    break
                if self._runtime.poll() is not None:
                    exited = lambda_errors.runtime_exit(self._runtime.returncode, request_id)
                    outcome = RawOutcome.failure("crashed", exited, elapsed)
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = lambda_errors.task_timed_out(request_id, timeout_s)
                    outcome = RawOutcome.failure("timeout", timed_out, elapsed)
                    break
                state.cond.wait(min(0.05, remaining))
            if outcome.status in ("ok", "error"):
                # the environment is free once every extension is back in /event/next (or the deadline passes)
                while not state.extensions_idle() and time.monotonic() < deadline:
                    if self._crashed_extension() is not None:
                        break
                    state.cond.wait(min(0.05, max(deadline - time.monotonic(), 0.001)))
                crashed = self._crashed_extension()
                if crashed is not None:
                    crash = lambda_errors.extension_crash(request_id, crashed)
                    outcome = RawOutcome.failure("crashed", crash, outcome.duration_ms)
                elif not state.extensions_idle():
                    late = lambda_errors.task_timed_out(request_id, timeout_s, "extensions did not finish")
                    outcome = RawOutcome.failure("timeout", late, outcome.duration_ms)
        self.last_used = time.monotonic()
        stat = self.group.cpu_stat()
        throttled = f" Throttled: {stat.nr_throttled}/{stat.nr_periods} periods" if stat else ""
        if outcome.status == "timeout":
            self.write_log(
                f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {request_id} "
                f"Task timed out after {timeout_s:.2f} seconds"
            )
        self.write_log(f"END RequestId: {request_id}")
        self.write_log(
            f"REPORT RequestId: {request_id} Duration: {outcome.duration_ms:.2f} ms "
            f"Memory Size: {self.spec.memory_mb} MB{throttled}"
        )
        if outcome.status in ("timeout", "crashed"):
            self.stop("timeout" if outcome.status == "timeout" else "failure")
        else:
            self._freeze(state, deadline)
            self.state = "idle"
        return outcome

    def _freeze(self, state: ApiState, deadline: float) -> None:
        """Freeze the environment once its runtime waits for its next event (where Lambda freezes it)."""
        with state.cond:
            while not state.runtime_waiting and time.monotonic() < deadline:
                if self._runtime is None or self._runtime.poll() is not None:
                    break
                state.cond.wait(min(0.05, max(deadline - time.monotonic(), 0.001)))
        launch.freeze(self.processes)
        self.frozen = True

    def _thaw(self) -> None:
        if self.frozen:
            launch.thaw(self.processes)
            self.frozen = False

    def stop(self, reason: str = "spindown") -> None:
        """SHUTDOWN: tell subscribed extensions, stop the runtime, kill what is left, remove the cgroup."""
        with self._lock:
            if self.state == "stopped":
                return
            self.state = "stopped"
            self.stop_reason = reason
        self._thaw()  # SHUTDOWN thaws the environment: its runtime and extensions see the signal and event
        grace = SHUTDOWN_GRACE_S if reason == "spindown" else 0.5
        api = self._api
        if self._runtime is not None and self._runtime.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._runtime.pid, signal.SIGKILL if reason != "spindown" else signal.SIGTERM)
        if api is not None:
            deadline_ms = int(time.time() * 1000 + grace * 1000)
            names = api.state.shutdown_event(
                {"eventType": "SHUTDOWN", "shutdownReason": reason, "deadlineMs": deadline_ms}
            )
            if names:
                deadline = time.monotonic() + grace
                with api.state.cond:
                    # an extension is done with SHUTDOWN when it calls next again or exits
                    while time.monotonic() < deadline:
                        done = all(ext.waiting and not ext.queue for ext in api.state.extensions.values())
                        if done or all(p.poll() is not None for p in self._extensions):
                            break
                        api.state.cond.wait(0.05)
        for proc in [*self._extensions, *([self._runtime] if self._runtime else [])]:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
        for proc in [*self._extensions, *([self._runtime] if self._runtime else [])]:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        try:
            self.group.remove()
        finally:
            if api is not None:
                api.close()
            self.write_log(f"SHUTDOWN Environment: {self.env_id} Reason: {reason}")
            if self._log is not None:
                self._log.close()
            shutil.rmtree(self.directory, ignore_errors=True)  # the log lives elsewhere and is kept

    def status(self) -> dict[str, Any]:
        """A snapshot for `LambdaService.status()`."""
        try:
            quota, period = self.group.read_limits()
        except (OSError, ValueError):  # stopped meanwhile
            quota, period = -1, self.group.manager.period_us
        return {
            "function": self.spec.name,
            "environment_id": self.env_id,
            "state": self.state,
            "frozen": self.frozen,
            "memory_mb": self.spec.memory_mb,
            "cpu_emulation": self.group.mode,
            "cgroup": str(self.group.path) if self.group.path else None,
            "cfs_quota_us": quota,
            "cfs_period_us": period,
            "pid": self.pid,
            "extension_port": self.extension_port if self.spec.layers else None,
            "cloud_extensions_port": self.cloud_extensions_port if self.spec.layers else None,
            "extensions": self.extension_names,
            "invocations": self.invocations,
            "idle_s": round(time.monotonic() - self.last_used, 1),
            "cold_cause": self.cold_cause,
            "init_ms": self.init_ms,
            "log": str(self.log_path),
        }


def new_env_id() -> str:
    """A short unique environment id (used in cgroup, directory and log names)."""
    return uuid.uuid4().hex[:12]
