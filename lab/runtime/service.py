"""The lab's Lambda service: runs the functions deployed at the lab endpoint in local execution environments.

`invoke` is RequestResponse; `invoke_async` is Event (a queue, retries per the function's event invoke config,
OnSuccess / OnFailure destinations and the function's dead-letter queue). Environments are reused while warm,
retired after `idle_timeout_s`, and killed at the function's timeout. This module only composes the parts
(see the table in lab/runtime/README.md).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .artifacts import ArtifactIndex
from .async_invoke import AsyncInvoker
from .cgroups import CFS_PERIOD_MS, V1_ROOT, V2_ROOT, CgroupManager
from .control_plane import ClientFactory, ControlPlane
from .interpreters import Interpreter
from .invoker import Invoker, SegmentSink
from .pool import EnvironmentPool
from .results import AsyncOutcome, InvocationResult
from .spec import EnvSettings, FunctionSpec
from .venvs import RuntimeEnvironments

LOG = logging.getLogger("lab.runtime")


class LambdaService:
    """Runs the functions deployed at `clients.endpoint_url` from the zips in `artifacts_dir`. Thread-safe;
    close() it (or use it as a context manager)."""

    def __init__(
        self,
        clients: ClientFactory,
        artifacts_dir: Path = Path("build"),
        work_dir: Path = Path(".lab/runtime"),
        cpu_period_ms: float = CFS_PERIOD_MS,
        idle_timeout_s: float = 300.0,
        max_concurrent_probes: int = 1,
        xray: SegmentSink | None = None,
        log: Callable[[str], None] | None = None,
        *,
        cgroup_mode: str = "auto",
        cgroup_v1_root: Path = V1_ROOT,
        cgroup_v2_root: Path = V2_ROOT,
        retry_delays_s: tuple[float, ...] = (1.0, 2.0),
        init_timeout_s: float = 10.0,
        runtimes: Callable[[str], Interpreter] | None = None,
        host_cpu: str | None = None,
        host_ref_ms: float | None = None,
    ) -> None:
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._emit = log or (lambda message: LOG.info("%s", message))
        self._control = ControlPlane(clients, self._emit)
        with contextlib.ExitStack() as stack:  # what is made is undone, last first, if a later step fails
            self.cgroups = CgroupManager(
                period_ms=cpu_period_ms,
                mode=cgroup_mode,
                v1_root=cgroup_v1_root,
                v2_root=cgroup_v2_root,
                log=self._emit,
            )
            stack.callback(self.cgroups.close)
            settings = EnvSettings(
                endpoint_url=clients.endpoint_url,
                ca_bundle=clients.ca_bundle,
                xray_address=xray.address if xray is not None else None,
                runtime_python=runtimes or RuntimeEnvironments(log=self._emit),
                extension_python=str(Path(getattr(sys, "_base_executable", sys.executable)).resolve()),
                init_timeout_s=init_timeout_s,
                host_cpu=host_cpu,
                host_ref_ms=host_ref_ms,
                otlp_endpoint=getattr(xray, "otlp_endpoint", None),  # lab.xray.XRayListener's OTLP receiver
            )
            self._pool = EnvironmentPool(
                ArtifactIndex(Path(artifacts_dir)),
                self.work_dir,
                self.cgroups,
                settings,
                self._control.layer_sha,
                idle_timeout_s,
                self._emit,
            )
            stack.callback(self._pool.close)
            self._invoker = Invoker(self._pool, xray, self._emit, max_concurrent_probes)
            self._events = AsyncInvoker(self._control, self._run, clients, retry_delays_s, self._emit)
            stack.callback(self._events.close)
            self._cleanup = stack.pop_all()
        self._emit(
            f"lab runtime: each function under its runtime's interpreter, CPU tiers: {self.cgroups.mode}, "
            f"period {self.cgroups.period_us / 1000:g} ms"
        )

    @property
    def outcomes(self) -> list[AsyncOutcome]:
        """How each async event ended, oldest first (the last 1,000)."""
        return self._events.outcomes

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
        spec = self._control.function_spec(function_name)
        return self._run(spec, request_id or str(uuid.uuid4()), payload, force_cold)

    def function_environment(self, function_name: str) -> dict[str, str]:
        """The function's environment variables as deployed (FunctionNotFoundError if it is not)."""
        return dict(self._control.function_spec(function_name).environment)

    def _run(self, spec: FunctionSpec, request_id: str, payload: Any, force_cold: bool) -> InvocationResult:
        body = json.dumps(payload if payload is not None else {}).encode()
        return self._invoker.run(spec, request_id, body, force_cold)

    def invoke_async(self, function_name: str, payload: Any = None, *, force_cold: bool = False) -> str:
        """Event: queue the invocation and return its request id; retries and destinations follow."""
        return self._events.invoke_async(
            function_name, payload if payload is not None else {}, force_cold=force_cold
        )

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until every queued async event (retries and destination deliveries included) is done."""
        return self._events.wait_idle(timeout_s)

    def redeliver(self, request_id: str) -> bool:
        """Deliver an async request's destination record once more, as Lambda's at-least-once delivery may:
        lets a test show that a repeated delivery does not double anything downstream. False if the request
        has no delivered record (yet)."""
        return self._events.redeliver(request_id)

    def status(self) -> list[dict[str, Any]]:
        """One dict per live environment: function, environment_id, state, cgroup, pid, quota, log..."""
        return self._pool.status()

    def retire_all(self, function_name: str | None = None) -> int:
        """Shut down idle environments (of one function, or all); the next invocation is cold (`forced`)."""
        return self._pool.retire_all(function_name)

    def close(self) -> None:
        """Stop the async queue, SHUTDOWN every environment and kill what remains, remove every cgroup.
        Idempotent."""
        self._cleanup.close()

    def __enter__(self) -> LambdaService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
