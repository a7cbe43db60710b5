"""The lab's records in `.lab/`: what `up` deployed (`deployment.json`) and the running `up` (`up.json`).

Also what the commands that work against a running lab require of it: an endpoint that answers, a deployment.
(The endpoint's own record, `endpoint.json`, is `lab.endpoint`'s.)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from lab.endpoint import EndpointInfo, endpoint_status
from lab.endpoint.background import probe_endpoint
from lab.errors import LabError
from lab.processes import supervisor

UP_FILE = "up.json"
DEPLOYMENT_FILE = "deployment.json"


@dataclass
class Deployment:
    """What `terraform apply` of envs/local created, as far as the lab needs it (its outputs)."""

    table_name: str
    probe_function_names: dict[str, str]
    collector_function_name: str
    dead_letter_queue_url: str
    fleet: dict[str, Any] = field(default_factory=dict)
    compactor_function_name: str = ""  # the daily digests' job ("" for a deployment from before it)

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
            fleet=dict(value("fleet", {}) or {}),
            compactor_function_name=value("compactor_function_name", "") or "",
        )

    def save(self, state_dir: Path) -> None:
        (state_dir / DEPLOYMENT_FILE).write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, state_dir: Path) -> Deployment | None:
        """The recorded deployment, or None; fields an older lab recorded and this one does not know are
        ignored."""
        try:
            data = json.loads((state_dir / DEPLOYMENT_FILE).read_text())
            known = {f.name for f in fields(cls)}
            return cls(**{k: v for k, v in data.items() if k in known})
        except (OSError, ValueError, TypeError, AttributeError):
            return None


@dataclass(frozen=True)
class UpRecord:
    """The running `lab up`: its pid, the dashboard it serves, this host's speed when it started and the
    runtimes it runs (in `.lab/up.json`)."""

    pid: int
    started_at: str
    endpoint_url: str
    dashboard_url: str | None
    dashboard_pid: int | None
    host_cpu: str | None = None
    host_ref_ms: float | None = None
    runtimes: list[str] = field(default_factory=list)


def read_up(state_dir: Path) -> UpRecord | None:
    """The recorded `lab up` if its process is alive; a stale record is removed."""
    return supervisor.running_record(state_dir / UP_FILE, UpRecord)


def write_up(state_dir: Path, record: UpRecord) -> None:
    supervisor.save_record(state_dir / UP_FILE, record)


def remove_up(state_dir: Path) -> None:
    (state_dir / UP_FILE).unlink(missing_ok=True)


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
    """The recorded deployment, or LabError saying how to make one."""
    deployment = Deployment.load(state_dir)
    if deployment is None:
        raise LabError("nothing is deployed in the lab yet: `python -m lab up` applies terraform/envs/local")
    return deployment
