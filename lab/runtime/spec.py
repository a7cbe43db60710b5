"""What an execution environment is told: its function's configuration and the machine-wide settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .interpreters import Interpreter


@dataclass(frozen=True)
class FunctionSpec:
    """A function's configuration as the endpoint has it (read by `control_plane.ControlPlane`)."""

    name: str
    arn: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: float
    code_sha256: str
    last_modified: str
    environment: dict[str, str]
    layers: tuple[str, ...]
    tracing_active: bool
    dead_letter_arn: str | None = None

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]

    @property
    def account_id(self) -> str:
        return self.arn.split(":")[4]

    @property
    def is_probe(self) -> bool:
        """Probes carry OBSERVATORY_STRATEGY (contract §1); the collector and others do not."""
        return "OBSERVATORY_STRATEGY" in self.environment

    def same_code(self, other: FunctionSpec) -> bool:
        """True when `other` is the same deployment (code and configuration): a warm environment serves it."""
        return (self.code_sha256, self.last_modified) == (other.code_sha256, other.last_modified)


@dataclass(frozen=True)
class EnvSettings:
    """Machine-wide settings the service passes to every environment.

    `runtime_python` gives the interpreter that runs a runtime's functions (`venvs.RuntimeEnvironments`);
    `extension_python` runs the extension emulator whatever the runtime (the real extension is a binary).
    `host_cpu` / `host_ref_ms` describe this machine (`lab.fleet.hostspeed`); None: not told (as on AWS).
    `otlp_endpoint` is the lab's OTLP/HTTP trace store (`http://127.0.0.1:PORT`), told to every function as
    `OTEL_EXPORTER_OTLP_ENDPOINT`; None: no store.
    """

    endpoint_url: str | None
    ca_bundle: str | None
    xray_address: str | None
    runtime_python: Callable[[str], Interpreter]
    extension_python: str
    init_timeout_s: float = 10.0
    host_cpu: str | None = None
    host_ref_ms: float | None = None
    otlp_endpoint: str | None = None
