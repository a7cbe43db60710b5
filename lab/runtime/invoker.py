"""One invocation (RequestResponse) in an environment of the pool: cold start if needed, run, result."""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from lab.logsafe import loggable

from .environment import ExecutionEnvironment, RawOutcome
from .pool import EnvironmentPool
from .results import InvocationResult, decode_payload
from .spec import FunctionSpec


class SegmentSink(Protocol):
    """Where functions send X-Ray segments (`lab.xray.XRayListener`), and where the service adds its own."""

    @property
    def address(self) -> str: ...

    def add(self, document: dict[str, Any]) -> None: ...


def trace_header(sampled: bool) -> tuple[str, str, str]:
    """A fresh X-Ray trace header (Root, Parent, Sampled) as Lambda passes in Lambda-Runtime-Trace-Id;
    returns (header, root, parent)."""
    root = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    parent = secrets.token_hex(8)
    return f"Root={root};Parent={parent};Sampled={1 if sampled else 0}", root, parent


class Invoker:
    """Runs invocations on the pool's environments; at most `max_concurrent_probes` probes at a time."""

    def __init__(
        self,
        pool: EnvironmentPool,
        xray: SegmentSink | None,
        log: Callable[[str], None],
        max_concurrent_probes: int = 1,
    ) -> None:
        if max_concurrent_probes < 1:
            raise ValueError("max_concurrent_probes must be at least 1")
        self.pool = pool
        self.xray = xray
        self._emit = log
        self._probe_slots = threading.BoundedSemaphore(max_concurrent_probes)

    def run(self, spec: FunctionSpec, request_id: str, body: bytes, force_cold: bool) -> InvocationResult:
        """Run `spec` (as read for this invocation) on `body`. Function failures come back as a result; the
        lab's own failures (code mismatch, closed service, cgroups) are raised."""
        slot = self._probe_slots if spec.is_probe else None
        if slot is not None:
            slot.acquire()
        try:
            return self._run_in_env(spec, request_id, body, force_cold)
        finally:
            if slot is not None:
                slot.release()

    def _run_in_env(
        self, spec: FunctionSpec, request_id: str, body: bytes, force_cold: bool
    ) -> InvocationResult:
        env, cold = self.pool.acquire(spec, force_cold)
        init_ms: float | None = None
        if cold:
            group = env.group
            self._emit(
                f"{spec.name}: cold start ({env.cold_cause}) in environment {env.env_id}, "
                f"{spec.memory_mb} MB, {spec.runtime} (python {env.python.version_text}), CPU {group.mode}"
                + (f" quota {group.quota_us} us / {group.manager.period_us} us" if group.path else "")
                + (f", extension port {env.extension_port}" if spec.layers else "")
            )
            try:
                failed = env.start()
            except BaseException:
                self.pool.retire(env, "failure")  # a half-started tree must not be left running
                raise
            init_ms = env.init_ms
            if failed is not None:
                self.pool.retire(env, "failure")
                return self._result(spec, request_id, failed, env, cold, init_ms)
        header, root, parent = trace_header(spec.tracing_active)
        started = time.time()
        try:
            outcome = env.invoke(request_id, body, header)
        except BaseException:
            self.pool.retire(env, "failure")
            raise
        if env.state == "stopped":
            self.pool.retire(env, env.stop_reason or "failure")
        if self.xray is not None and spec.tracing_active:
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
        """The outcome as Invoke returns it: status 200; `Unhandled` and the error type on failure."""
        payload = decode_payload(outcome.body)
        error_type = outcome.error_type
        if outcome.status != "ok" and error_type is None and isinstance(payload, dict):
            error_type = payload.get("errorType")
        if outcome.status != "ok":
            self._emit(
                f"{spec.name}: request {request_id} failed: {loggable(error_type)} (log: {env.log_path})"
            )
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
