"""The lab's Lambda service: runs the functions deployed at the lab endpoint in local execution environments.

`invoke` is RequestResponse; `invoke_async` is Event (a queue, retries per the function's event invoke config,
OnSuccess / OnFailure destinations and the function's dead-letter queue). Environments are reused while warm,
retired after `idle_timeout_s`, and killed at the function's timeout. See lab/runtime/README.md.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import datetime as dt
import heapq
import itertools
import json
import logging
import secrets
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .artifacts import ArtifactIndex, CodeMismatchError, unpack
from .cgroups import V1_ROOT, V2_ROOT, CgroupManager
from .environment import EnvSettings, ExecutionEnvironment, FunctionSpec, RawOutcome, new_env_id

LOG = logging.getLogger("lab.runtime")

DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_EVENT_AGE_S = 21600
LAMBDA_RETRY_DELAYS_S = (60.0, 120.0)  # what Lambda waits before the 1st and 2nd retry of an async event


class LambdaServiceError(Exception):
    """The lab could not run an invocation (bad configuration, missing function, closed service)."""


class FunctionNotFoundError(LambdaServiceError):
    """The endpoint has no function of that name."""


@dataclass(frozen=True)
class InvocationResult:
    """One invocation's outcome, shaped as Lambda's Invoke response plus what the lab knows about the run."""

    request_id: str
    function_name: str
    status_code: int
    payload: Any
    function_error: str | None  # "Unhandled" when the function failed (raised, timed out, crashed), else None
    error_type: str | None
    cold: bool
    cold_cause: str | None
    environment_id: str | None
    duration_ms: float
    init_ms: float | None
    log_path: Path | None
    executed_version: str = "$LATEST"

    @property
    def ok(self) -> bool:
        return self.function_error is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view (for `lab invoke` and logs)."""
        data = dataclasses.asdict(self)
        data["log_path"] = str(self.log_path) if self.log_path else None
        return data


@dataclass
class AsyncOutcome:
    """How an async event ended (Success | RetriesExhausted | EventAgeExceeded) and where it went."""

    request_id: str
    function_name: str
    condition: str
    attempts: int
    destination: str | None
    delivered: bool
    error: str | None = None
    record: dict[str, Any] | None = field(default=None, repr=False)


@dataclass(order=True)
class _Event:
    due: float
    seq: int
    request_id: str = field(compare=False)
    function_name: str = field(compare=False)
    payload: Any = field(compare=False)
    enqueued: float = field(compare=False)
    attempts: int = field(default=0, compare=False)
    force_cold: bool = field(default=False, compare=False)


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _trace_header(sampled: bool) -> tuple[str, str, str]:
    """A fresh X-Ray trace header (Root, Parent, Sampled) as Lambda passes in Lambda-Runtime-Trace-Id."""
    root = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    parent = secrets.token_hex(8)
    return f"Root={root};Parent={parent};Sampled={1 if sampled else 0}", root, parent


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body.decode("utf-8", "replace")


def destination_record(
    request_id: str,
    function_arn: str,
    condition: str,
    attempts: int,
    request_payload: Any,
    result: InvocationResult | None,
) -> dict[str, Any]:
    """The record Lambda sends to an OnSuccess / OnFailure destination (version 1.0).

    `condition` is Success, RetriesExhausted or EventAgeExceeded; without a result (the event expired before
    any attempt) there is no responseContext / responsePayload.
    """
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": _now_iso(),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function_arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": request_payload,
    }
    if result is not None:
        response_context: dict[str, Any] = {
            "statusCode": result.status_code,
            "executedVersion": result.executed_version,
        }
        if result.function_error:
            response_context["functionError"] = result.function_error
        record["responseContext"] = response_context
        record["responsePayload"] = result.payload
    return record


class LambdaService:
    """Runs functions deployed at `endpoint_url` from the zips in `artifacts_dir`. Thread-safe; close() it."""

    def __init__(
        self,
        endpoint_url: str | None,
        artifacts_dir: Path = Path("build"),
        work_dir: Path = Path(".lab/runtime"),
        ca_bundle: str | Path | None = None,
        cpu_period_ms: float = 20.0,
        idle_timeout_s: float = 300.0,
        max_concurrent_probes: int = 1,
        xray: Any = None,
        log: Callable[[str], None] | None = None,
        *,
        cgroup_mode: str = "auto",
        cgroup_v1_root: Path = V1_ROOT,
        cgroup_v2_root: Path = V2_ROOT,
        retry_delays_s: tuple[float, ...] = (1.0, 2.0),
        init_timeout_s: float = 10.0,
        region: str | None = None,
        lambda_client: Any = None,
        sqs_client: Any = None,
    ) -> None:
        if max_concurrent_probes < 1:
            raise ValueError("max_concurrent_probes must be at least 1")
        if idle_timeout_s <= 0:
            raise ValueError("idle_timeout_s must be positive")
        self.endpoint_url = endpoint_url
        self.artifacts = ArtifactIndex(Path(artifacts_dir))
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.ca_bundle = str(ca_bundle) if ca_bundle else None
        self.idle_timeout_s = idle_timeout_s
        self.retry_delays_s = tuple(retry_delays_s) or (0.0,)
        self.region = region
        self.xray = xray
        self._emit = log or (lambda message: LOG.info("%s", message))
        self._lambda = lambda_client
        self._sqs = sqs_client
        self._clients_lock = threading.Lock()
        self.cgroups = CgroupManager(
            period_ms=cpu_period_ms,
            mode=cgroup_mode,
            v1_root=cgroup_v1_root,
            v2_root=cgroup_v2_root,
            log=self._emit,
        )
        self.runtime_python = sys.executable
        self.runtime_name = f"python{sys.version_info.major}.{sys.version_info.minor}"
        base = Path(getattr(sys, "_base_executable", sys.executable))
        self.settings = EnvSettings(
            endpoint_url=endpoint_url,
            ca_bundle=self.ca_bundle,
            xray_address=getattr(xray, "address", None),
            runtime_python=self.runtime_python,
            extension_python=str(base.resolve()),
            init_timeout_s=init_timeout_s,
        )
        self._lock = threading.RLock()
        self._envs: dict[str, list[ExecutionEnvironment]] = {}
        self._next_cause: dict[str, str] = {}
        self._probe_slots = threading.BoundedSemaphore(max_concurrent_probes)
        self._warned_runtime: set[str] = set()
        self._closed = False
        # async machinery
        self._queue: list[_Event] = []
        self._seq = itertools.count()
        self._pending = 0
        self._queue_cond = threading.Condition(self._lock)
        self._function_locks: dict[str, threading.Lock] = {}
        self.outcomes: list[AsyncOutcome] = []
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="lab-async", daemon=True)
        self._dispatcher.start()
        self._stop_reaper = threading.Event()
        self._reaper = threading.Thread(target=self._reap_loop, name="lab-reaper", daemon=True)
        self._reaper.start()
        self._emit(
            f"lab runtime: {self.runtime_name} ({self.runtime_python}), CPU tiers: {self.cgroups.mode}, "
            f"period {self.cgroups.period_us / 1000:g} ms"
        )

    # --- AWS clients ------------------------------------------------------------------------------
    def _client(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        kwargs: dict[str, Any] = {"config": Config(retries={"max_attempts": 3, "mode": "standard"})}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        if self.ca_bundle:
            kwargs["verify"] = self.ca_bundle
        if self.region:
            kwargs["region_name"] = self.region
        return boto3.client(service, **kwargs)

    @property
    def lambda_client(self) -> Any:
        with self._clients_lock:
            if self._lambda is None:
                self._lambda = self._client("lambda")
            return self._lambda

    @property
    def sqs_client(self) -> Any:
        with self._clients_lock:
            if self._sqs is None:
                self._sqs = self._client("sqs")
            return self._sqs

    # --- configuration ------------------------------------------------------------------------------
    def function_spec(self, function_name: str) -> FunctionSpec:
        """The function's configuration as the endpoint has it now."""
        from botocore.exceptions import ClientError

        try:
            config = self.lambda_client.get_function_configuration(FunctionName=function_name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise FunctionNotFoundError(
                    f"function {function_name!r} is not deployed at the endpoint {self.endpoint_url}"
                ) from exc
            raise LambdaServiceError(
                f"cannot read function {function_name!r} from {self.endpoint_url}: {exc}"
            ) from exc
        if config.get("PackageType", "Zip") != "Zip":
            raise LambdaServiceError(f"{function_name}: only Zip functions can run in the lab")
        runtime = config.get("Runtime", "")
        if runtime != self.runtime_name and runtime not in self._warned_runtime:
            self._warned_runtime.add(runtime)
            self._emit(
                f"warning: {function_name} is deployed for {runtime or 'no runtime'} but the lab runs "
                f"{self.runtime_name} ({self.runtime_python}); deploy {self.runtime_name} to match"
            )
        return FunctionSpec(
            name=config["FunctionName"],
            arn=config["FunctionArn"],
            handler=config["Handler"],
            runtime=runtime,
            memory_mb=int(config.get("MemorySize", 128)),
            timeout_s=float(config.get("Timeout", 3)),
            code_sha256=config["CodeSha256"],
            last_modified=str(config.get("LastModified", "")),
            environment=dict(config.get("Environment", {}).get("Variables", {})),
            layers=tuple(layer["Arn"] for layer in config.get("Layers", [])),
            tracing_active=config.get("TracingConfig", {}).get("Mode") == "Active",
            dead_letter_arn=config.get("DeadLetterConfig", {}).get("TargetArn"),
        )

    def _layer_sha(self, arn: str) -> str:
        """The CodeSha256 of a layer version. GetLayerVersion first: it answers the same question as
        GetLayerVersionByArn, which moto does not implement (it fails with a 500 that botocore retries)."""
        from botocore.exceptions import ClientError

        parts = arn.split(":")
        if len(parts) != 8 or parts[5] != "layer" or not parts[7].isdigit():
            raise LambdaServiceError(f"not a layer version ARN: {arn}")
        try:
            response = self.lambda_client.get_layer_version(LayerName=parts[6], VersionNumber=int(parts[7]))
        except ClientError as first:
            try:
                response = self.lambda_client.get_layer_version_by_arn(Arn=arn)
            except ClientError as exc:
                raise LambdaServiceError(f"cannot read layer {arn}: {first}; {exc}") from exc
        return str(response["Content"]["CodeSha256"])

    def event_invoke_config(self, function_name: str) -> dict[str, Any]:
        """MaximumRetryAttempts, MaximumEventAgeInSeconds, destinations (Lambda's defaults if unset)."""
        from botocore.exceptions import ClientError

        try:
            config = dict(self.lambda_client.get_function_event_invoke_config(FunctionName=function_name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise LambdaServiceError(
                    f"cannot read the event invoke config of {function_name}: {exc}"
                ) from exc
            config = {}
        return {
            "MaximumRetryAttempts": int(config.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)),
            "MaximumEventAgeInSeconds": int(config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S)),
            "OnSuccess": config.get("DestinationConfig", {}).get("OnSuccess", {}).get("Destination"),
            "OnFailure": config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
        }

    # --- environments ---------------------------------------------------------------------------------
    def _create_environment(self, spec: FunctionSpec, cause: str) -> ExecutionEnvironment:
        """Check the code, unpack it and its layers, and make the cgroup (INIT runs in `start`)."""
        code_zip = self.artifacts.find(spec.code_sha256, f"function {spec.name}")
        layer_zips = [
            self.artifacts.find(self._layer_sha(arn), f"layer {arn} of {spec.name}") for arn in spec.layers
        ]
        env_id = new_env_id()
        directory = self.work_dir / "envs" / f"{spec.name}-{env_id}"
        try:
            unpack(code_zip, directory / "task")
            (directory / "opt").mkdir(parents=True, exist_ok=True)
            for layer_zip in layer_zips:  # in order: a later layer overwrites an earlier one, as Lambda
                unpack(layer_zip, directory / "opt")
        except Exception:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        group = self.cgroups.create(env_id, spec.memory_mb)
        log_path = self.work_dir / "logs" / spec.name / f"{env_id}.log"
        return ExecutionEnvironment(
            spec=spec,
            env_id=env_id,
            directory=directory,
            log_path=log_path,
            group=group,
            cold_cause=cause,
            settings=self.settings,
        )

    def _retire(self, env: ExecutionEnvironment, reason: str) -> None:
        with self._lock:
            envs = self._envs.get(env.spec.name, [])
            if env in envs:
                envs.remove(env)
        env.stop(reason)

    def _acquire(self, spec: FunctionSpec, force_cold: bool) -> tuple[ExecutionEnvironment, bool]:
        """A warm idle environment of the same code, or a new one (returned busy). Returns (env, cold)."""
        stale: list[ExecutionEnvironment] = []
        chosen: ExecutionEnvironment | None = None
        with self._lock:
            if self._closed:
                raise LambdaServiceError("the lab's Lambda service is closed")
            for env in list(self._envs.get(spec.name, [])):
                if env.state != "idle":
                    continue
                if force_cold or (env.spec.code_sha256, env.spec.last_modified) != (
                    spec.code_sha256,
                    spec.last_modified,
                ):
                    stale.append(env)
                    self._envs[spec.name].remove(env)
                    continue
                if chosen is None:
                    chosen = env
                    env.state = "busy"
            if chosen is None:
                cause = "forced" if force_cold else self._next_cause.get(spec.name, "first_start")
                self._next_cause[spec.name] = "first_start"
        for env in stale:
            env.stop("spindown")
        if chosen is not None:
            return chosen, False
        env = self._create_environment(spec, cause)
        with self._lock:
            closed = self._closed
            if not closed:
                self._envs.setdefault(spec.name, []).append(env)
        if closed:  # close() ran while this environment was being prepared: it must not outlive the service
            env.stop("spindown")
            raise LambdaServiceError("the lab's Lambda service is closed")
        return env, True

    def _reap_loop(self) -> None:
        interval = min(1.0, self.idle_timeout_s / 4)
        while not self._stop_reaper.wait(interval):
            expired: list[ExecutionEnvironment] = []
            with self._lock:
                now = time.monotonic()
                for name, envs in self._envs.items():
                    for env in list(envs):
                        if env.state == "idle" and now - env.last_used >= self.idle_timeout_s:
                            envs.remove(env)
                            expired.append(env)
                            self._next_cause[name] = "idle_expiry"
            for env in expired:
                self._emit(
                    f"{env.spec.name}: environment {env.env_id} idle for {self.idle_timeout_s:g} s, retired"
                )
                env.stop("spindown")

    # --- invocation ---------------------------------------------------------------------------------------
    def invoke(
        self,
        function_name: str,
        payload: Any = None,
        *,
        force_cold: bool = False,
        request_id: str | None = None,
    ) -> InvocationResult:
        """RequestResponse: run the function on `payload` (JSON-serialisable) and return its outcome.

        Raises FunctionNotFoundError / CodeMismatchError / LambdaServiceError when the lab cannot run it;
        function failures (raise, timeout, crash, INIT error) come back as a result with `function_error`.
        """
        request_id = request_id or str(uuid.uuid4())
        body = json.dumps(payload if payload is not None else {}).encode()
        spec = self.function_spec(function_name)
        slot = self._probe_slots if spec.is_probe else None
        if slot is not None:
            slot.acquire()
        try:
            return self._invoke_in_env(spec, request_id, body, force_cold)
        finally:
            if slot is not None:
                slot.release()

    def _invoke_in_env(
        self, spec: FunctionSpec, request_id: str, body: bytes, force_cold: bool
    ) -> InvocationResult:
        env, cold = self._acquire(spec, force_cold)
        init_ms: float | None = None
        if cold:
            self._emit(
                f"{spec.name}: cold start ({env.cold_cause}) in environment {env.env_id}, "
                f"{spec.memory_mb} MB, CPU {env.group.mode}"
                + (f" quota {env.group.quota_us} us / {self.cgroups.period_us} us" if env.group.path else "")
                + (f", extension port {env.extension_port}" if spec.layers else "")
            )
            try:
                failed = env.start()
            except BaseException:
                self._retire(env, "failure")  # a half-started tree must not be left running
                raise
            init_ms = env.init_ms
            if failed is not None:
                self._retire(env, "failure")
                return self._result(spec, request_id, failed, env, cold, init_ms)
        sampled = spec.tracing_active
        header, root, parent = _trace_header(sampled)
        started = time.time()
        try:
            outcome = env.invoke(request_id, body, header)
        except BaseException:
            self._retire(env, "failure")
            raise
        if env.state == "stopped":
            self._retire(env, env.stop_reason or "failure")
        if self.xray is not None and sampled:
            with contextlib.suppress(Exception):
                self.xray.add(
                    {
                        "name": spec.name,
                        "id": parent,
                        "trace_id": root,
                        "start_time": started,
                        "end_time": time.time(),
                        "origin": "AWS::Lambda::Function",
                        "fault": outcome.status != "ok",
                        "aws": {"request_id": request_id, "function_arn": spec.arn},
                    }
                )
        return self._result(spec, request_id, outcome, env, cold, init_ms)

    def _result(
        self,
        spec: FunctionSpec,
        request_id: str,
        outcome: RawOutcome,
        env: ExecutionEnvironment,
        cold: bool,
        init_ms: float | None,
    ) -> InvocationResult:
        payload = _decode(outcome.body)
        error_type = outcome.error_type
        if outcome.status != "ok" and error_type is None and isinstance(payload, dict):
            error_type = payload.get("errorType")
        if outcome.status != "ok":
            self._emit(f"{spec.name}: request {request_id} failed: {error_type} (log: {env.log_path})")
        return InvocationResult(
            request_id=request_id,
            function_name=spec.name,
            status_code=200,
            payload=payload,
            function_error=None if outcome.status == "ok" else "Unhandled",
            error_type=error_type,
            cold=cold,
            cold_cause=env.cold_cause if cold else None,
            environment_id=env.env_id,
            duration_ms=outcome.duration_ms,
            init_ms=init_ms,
            log_path=env.log_path,
        )

    # --- async (Event) invocation -------------------------------------------------------------------------
    def invoke_async(self, function_name: str, payload: Any = None, *, force_cold: bool = False) -> str:
        """Event: queue the invocation and return its request id; retries and destinations follow."""
        self.function_spec(function_name)  # a missing function fails now, as Invoke does
        return self._enqueue(function_name, payload if payload is not None else {}, force_cold=force_cold)

    def _enqueue(self, function_name: str, payload: Any, force_cold: bool = False) -> str:
        request_id = str(uuid.uuid4())
        now = time.monotonic()
        with self._queue_cond:
            if self._closed:
                raise LambdaServiceError("the lab's Lambda service is closed")
            heapq.heappush(
                self._queue,
                _Event(now, next(self._seq), request_id, function_name, payload, now, force_cold=force_cold),
            )
            self._pending += 1
            self._queue_cond.notify_all()
        return request_id

    def _dispatch_loop(self) -> None:
        while True:
            with self._queue_cond:
                while not self._closed and (not self._queue or self._queue[0].due > time.monotonic()):
                    timeout = None if not self._queue else max(0.0, self._queue[0].due - time.monotonic())
                    self._queue_cond.wait(timeout)
                if self._closed:
                    return
                event = heapq.heappop(self._queue)
                lock = self._function_locks.setdefault(event.function_name, threading.Lock())
            threading.Thread(
                target=self._run_event,
                args=(event, lock),
                daemon=True,
                name=f"lab-event-{event.request_id[:8]}",
            ).start()

    def _run_event(self, event: _Event, lock: threading.Lock) -> None:
        """One attempt of an async event. Events of one function run one at a time (Lambda's async poller)."""
        try:
            with lock:
                if self._closed:
                    return
                self._attempt(event)
        except Exception as exc:  # never lose an event silently
            LOG.exception("async event %s of %s", event.request_id, event.function_name)
            self._emit(f"{event.function_name}: async event {event.request_id} could not be handled: {exc}")
            self._record(
                AsyncOutcome(
                    event.request_id, event.function_name, "LabError", event.attempts, None, False, str(exc)
                )
            )
        finally:
            with self._queue_cond:
                self._pending -= 1
                self._queue_cond.notify_all()

    def _record_not_found(self, event: _Event, exc: FunctionNotFoundError) -> None:
        """An async event whose function does not exist (any more) ends here, as Lambda drops it."""
        self._record(
            AsyncOutcome(
                event.request_id,
                event.function_name,
                "FunctionNotFound",
                event.attempts,
                None,
                False,
                str(exc),
            )
        )

    def _attempt(self, event: _Event) -> None:
        try:
            config = self.event_invoke_config(event.function_name)
        except FunctionNotFoundError as exc:
            self._record_not_found(event, exc)
            return
        age = time.monotonic() - event.enqueued
        spec: FunctionSpec | None = None
        if age > config["MaximumEventAgeInSeconds"]:
            self._finish(event, config, None, "EventAgeExceeded", spec)
            return
        try:
            spec = self.function_spec(event.function_name)
            result: InvocationResult | None = self.invoke(
                event.function_name,
                event.payload,
                force_cold=event.force_cold and event.attempts == 0,
                request_id=event.request_id,
            )
        except (CodeMismatchError, LambdaServiceError) as exc:
            if isinstance(exc, FunctionNotFoundError):
                self._record_not_found(event, exc)
                return
            self._emit(f"{event.function_name}: async request {event.request_id} not run: {exc}")
            result = InvocationResult(
                event.request_id,
                event.function_name,
                200,
                {"errorType": f"Lab.{type(exc).__name__}", "errorMessage": str(exc)},
                "Unhandled",
                f"Lab.{type(exc).__name__}",
                False,
                None,
                None,
                0.0,
                None,
                None,
            )
        event.attempts += 1
        assert result is not None
        if result.ok:
            self._finish(event, config, result, "Success", spec)
            return
        if event.attempts <= config["MaximumRetryAttempts"]:
            delay = self.retry_delays_s[min(event.attempts - 1, len(self.retry_delays_s) - 1)]
            if age + delay <= config["MaximumEventAgeInSeconds"]:
                self._emit(
                    f"{event.function_name}: async request {event.request_id} failed "
                    f"({result.error_type}), retry {event.attempts} of {config['MaximumRetryAttempts']} "
                    f"in {delay:g} s"
                )
                with self._queue_cond:
                    event.due = time.monotonic() + delay
                    event.seq = next(self._seq)
                    heapq.heappush(self._queue, event)
                    self._pending += 1
                    self._queue_cond.notify_all()
                return
            self._finish(event, config, result, "EventAgeExceeded", spec)
            return
        self._finish(event, config, result, "RetriesExhausted", spec)

    def _finish(
        self,
        event: _Event,
        config: dict[str, Any],
        result: InvocationResult | None,
        condition: str,
        spec: FunctionSpec | None,
    ) -> None:
        success = condition == "Success"
        destination = config["OnSuccess"] if success else config["OnFailure"]
        function_arn = spec.arn if spec else self._function_arn(event.function_name)
        delivered = True
        error = None
        record: dict[str, Any] | None = None
        if destination:
            record = destination_record(
                event.request_id, function_arn, condition, event.attempts, event.payload, result
            )
            try:
                self._deliver(destination, record)
            except Exception as exc:
                delivered, error = False, str(exc)
                self._emit(
                    f"{event.function_name}: could not deliver {event.request_id} to {destination}: {exc}"
                )
        if not success and spec is not None and spec.dead_letter_arn:
            try:
                self._deliver_dlq(spec.dead_letter_arn, event, result)
            except Exception as exc:
                delivered, error = False, str(exc)
                self._emit(f"{event.function_name}: could not send {event.request_id} to DLQ: {exc}")
        if not success and not destination and not (spec and spec.dead_letter_arn):
            self._emit(
                f"{event.function_name}: async request {event.request_id} dropped after {condition} "
                "(no OnFailure destination or DLQ configured, as on Lambda)"
            )
        self._record(
            AsyncOutcome(
                event.request_id,
                event.function_name,
                condition,
                event.attempts,
                destination,
                delivered and bool(destination),
                error,
                record,
            )
        )

    def redeliver(self, request_id: str) -> bool:
        """Deliver an async request's destination record once more, as Lambda's at-least-once delivery may:
        lets a test show that a repeated delivery does not double anything downstream. False if the request
        has no delivered record (yet)."""
        with self._lock:
            found = [o for o in self.outcomes if o.request_id == request_id and o.record and o.destination]
        if not found:
            return False
        outcome = found[-1]
        assert outcome.destination is not None and outcome.record is not None
        self._emit(f"{outcome.function_name}: delivering {request_id} to {outcome.destination} again")
        self._deliver(outcome.destination, outcome.record)
        return True

    def _function_arn(self, function_name: str) -> str:
        try:
            return self.function_spec(function_name).arn
        except LambdaServiceError:
            return function_name

    def _deliver(self, destination: str, record: dict[str, Any]) -> None:
        parts = destination.split(":")
        service = parts[2] if len(parts) > 5 else ""
        if service == "lambda":
            self._enqueue(parts[6], record)
        elif service == "sqs":
            self._send_sqs(destination, json.dumps(record))
        else:
            raise LambdaServiceError(
                f"destination {destination} is not supported by the lab (Lambda or SQS only)"
            )

    def _send_sqs(self, queue_arn: str, body: str, attributes: dict[str, Any] | None = None) -> None:
        parts = queue_arn.split(":")
        url = self.sqs_client.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
        kwargs: dict[str, Any] = {"QueueUrl": url, "MessageBody": body}
        if attributes:
            kwargs["MessageAttributes"] = attributes
        self.sqs_client.send_message(**kwargs)

    def _deliver_dlq(self, target_arn: str, event: _Event, result: InvocationResult | None) -> None:
        """The function's DeadLetterConfig gets the original event, with Lambda's error attributes."""
        if target_arn.split(":")[2] != "sqs":
            raise LambdaServiceError(
                f"dead-letter target {target_arn} is not supported by the lab (SQS only)"
            )
        message = ""
        if result is not None and isinstance(result.payload, dict):
            message = str(result.payload.get("errorMessage", ""))[:256]
        attributes = {
            "RequestID": {"DataType": "String", "StringValue": event.request_id},
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
            "ErrorMessage": {"DataType": "String", "StringValue": message or "(none)"},
        }
        self._send_sqs(target_arn, json.dumps(event.payload), attributes)

    def _record(self, outcome: AsyncOutcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)
            del self.outcomes[:-1000]

    # --- control -------------------------------------------------------------------------------------------
    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until every queued async event (retries and destination deliveries included) is done."""
        deadline = time.monotonic() + timeout_s
        with self._queue_cond:
            while self._pending > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue_cond.wait(min(remaining, 0.5))
        return True

    def status(self) -> list[dict[str, Any]]:
        """One dict per live environment: function, environment_id, state, cgroup, pid, quota, log..."""
        with self._lock:
            envs = [env for envs in self._envs.values() for env in envs]
        return [env.status() for env in envs]

    def retire_all(self, function_name: str | None = None) -> int:
        """Shut down idle environments (of one function, or all); the next invocation is cold (`forced`)."""
        with self._lock:
            chosen = [
                env
                for name, envs in self._envs.items()
                for env in envs
                if env.state == "idle" and function_name in (None, name)
            ]
            for env in chosen:
                self._envs[env.spec.name].remove(env)
                self._next_cause[env.spec.name] = "forced"
        for env in chosen:
            env.stop("spindown")
        return len(chosen)

    def close(self) -> None:
        """SHUTDOWN to every environment, kill what remains, remove every cgroup. Idempotent."""
        with self._queue_cond:
            if self._closed:
                return
            self._closed = True
            self._queue_cond.notify_all()
        self._stop_reaper.set()
        with self._lock:
            envs = [env for envs in self._envs.values() for env in envs]
            self._envs.clear()
        for env in envs:
            try:
                env.stop("spindown")
            except Exception as exc:  # keep going: every environment must be stopped
                self._emit(f"could not stop environment {env.env_id} cleanly: {exc}")
        self.cgroups.close()
        atexit.unregister(self.close)
        self._dispatcher.join(timeout=5)
        self._reaper.join(timeout=5)

    def __enter__(self) -> LambdaService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
