"""Fixtures for the lab's integration tests: the lab endpoint itself (TLS, keep-alive) on a free port."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from lab.endpoint import EndpointInfo, start_endpoint, stop_endpoint
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
    config: Any
    deployment: Any
    service: Any
    xray: Any
    schedules: list[Any]
    result: Any
    started: dt.datetime
    artifacts: Path

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint.url, verify=self.endpoint.ca_bundle)


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


@pytest.fixture(scope="session")
def lab_round(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabRound]:
    """Endpoint → terraform apply envs/local → Lambda service → one round of every scheduled probe."""
    from lab import cli

    state = Path(tmp_path_factory.mktemp("lab-round"))
    artifacts = _artifacts_with_test_functions(state / "artifacts")
    endpoint = start_endpoint(state, port=free_port())
    console = cli.Console()
    config = cli.LabConfig(state_dir=state, port=endpoint.port, artifacts_dir=artifacts, idle_timeout_s=600)
    service = xray = None
    try:
        with cli.pointed_at(endpoint):
            deployment = cli.terraform_apply(endpoint, config, console)
            service, xray = cli.open_service(endpoint, config, console, "runtime")
            schedules = cli.read_fleet_schedules(deployment, console)
            started = dt.datetime.now(dt.UTC)
            result = cli.run_rounds(service, schedules, deployment, 1, config, console)
            yield LabRound(endpoint, config, deployment, service, xray, schedules, result, started, artifacts)
    finally:
        if service is not None:
            service.close()
        if xray is not None:
            xray.close()
        stop_endpoint(state)
