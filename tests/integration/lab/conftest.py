"""Fixtures for the lab's integration tests: the lab endpoint itself (TLS, keep-alive) on a free port."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lab.endpoint import EndpointInfo, start_endpoint, stop_endpoint
from lab.endpoint.clients import EndpointClients
from tests.conftest import free_port


@pytest.fixture(scope="module")
def lab_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EndpointInfo]:
    """A lab endpoint process (moto over TLS) on a free port, stopped by pid afterwards."""
    state = Path(tmp_path_factory.mktemp("lab-state"))
    info = start_endpoint(state, port=free_port())
    try:
        yield info
    finally:
        stop_endpoint(state)


# --- one deployed lab with one round run, shared by the round tests -------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[3]
BUILD_DIR = REPO_ROOT / "build"

RAISER_CODE = '''
def handler(event, context):
    raise RuntimeError("the probe fell over on purpose")
'''
SLEEPER_CODE = '''
import time

def handler(event, context):
    time.sleep(30)
    return {"never": "returned"}
'''


@dataclass
class LabRound:
    """A lab applied to its own endpoint, with its service, after one round of the whole fleet."""

    endpoint: EndpointInfo
    clients: EndpointClients
    config: Any
    deployment: Any
    service: Any
    xray: Any
    schedules: list[Any]
    result: Any
    started: dt.datetime
    artifacts: Path

    def client(self, service: str) -> Any:
        return self.clients.client(service)


def _artifacts_with_test_functions(dest: Path) -> Path:
    """build/ plus two zips of our own (a handler that raises, one that outlives its timeout)."""
    manifest = BUILD_DIR / "manifest.json"
    if not manifest.is_file():
        pytest.fail("no build output: run `make build` (python -m tools.build --out build) first")
    shutil.copytree(BUILD_DIR, dest)
    for name, code in (("raiser", RAISER_CODE), ("sleeper", SLEEPER_CODE)):
        with zipfile.ZipFile(dest / f"test-{name}.zip", "w") as archive:
            archive.writestr(f"{name}.py", code)
    return dest


# Every strategy once, at the tier whose probes are quick (1,769 MB: a whole vCPU), and the direct SDK and the
# dict cache at 128 MB as well, so a CPU-limited environment runs in the round too. Not the default fleet
# (18 probes, about 2 minutes a round): tests/e2e's clean-clone `make up` runs that one, and
# tests/integration/terraform's local apply checks what it deploys.
ROUND_VARIABLES: dict[str, Any] = {
    "fleet": {"memory_sizes": [1769]},
    "tracing_comparison": {"strategies": ["dict", "sdk"], "memory_sizes": [128], "tracing": ["subsegments"]},
}


@pytest.fixture(scope="session")
def lab_round(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabRound]:
    """Endpoint → terraform apply envs/local (ROUND_VARIABLES' fleet) → Lambda service → one round of every
    scheduled probe."""
    from lab.cli.console import Console
    from lab.fleet.harness import open_service, read_fleet_schedules
    from lab.fleet.rounds import run_rounds
    from lab.settings import LabConfig
    from lab.up import terraform_apply

    state = Path(tmp_path_factory.mktemp("lab-round"))
    artifacts = _artifacts_with_test_functions(state / "artifacts")
    endpoint = start_endpoint(state, port=free_port())
    clients = EndpointClients.for_endpoint(endpoint)
    console = Console()
    config = LabConfig(state_dir=state, port=endpoint.port, artifacts_dir=artifacts, idle_timeout_s=600)
    service = xray = None
    try:
        deployment = terraform_apply(clients, config, console, ROUND_VARIABLES)
        service, xray = open_service(clients, config, console, "runtime")
        schedules = read_fleet_schedules(clients, deployment, console)
        started = dt.datetime.now(dt.UTC)
        result = run_rounds(service, clients, schedules, deployment, 1, config, console)
        yield LabRound(endpoint, clients, config, deployment, service, xray, schedules, result, started,
                       artifacts)
    finally:
        if service is not None:
            service.close()
        if xray is not None:
            xray.close()
        stop_endpoint(state)
