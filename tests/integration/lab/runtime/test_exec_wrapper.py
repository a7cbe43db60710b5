"""The lab runtime honours AWS_LAMBDA_EXEC_WRAPPER as Lambda does, freezes idle environments, and runs the
lab's ADOT layer (built by tools.build) the way AWS's layer runs: spans of every invocation in the trace store
before the invocation returns."""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from lab.runtime import LambdaService
from lab.xray import XRayListener

from .conftest import Deployer

REPO = Path(__file__).resolve().parents[4]

WRAPPER = """#!/bin/sh
export WRAPPED_ARGS="$*"
export WRAPPED_CGROUP="$(cat /proc/self/cgroup)"
export WRAPPED_HANDLER="$_HANDLER"
export _HANDLER="other.handler"
exec "$@"
"""

REPORTING = """
import os
def handler(event, context):
    return {k: os.environ.get(k) for k in ("WRAPPED_ARGS", "WRAPPED_CGROUP", "WRAPPED_HANDLER", "_HANDLER")}
"""


def test_the_wrapper_starts_the_runtime_with_the_original_command_inside_the_cgroup(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    layer = deployer.layer({"wrap": (WRAPPER, 0o755), "python/other.py": (REPORTING, 0o644)})
    name = deployer.function(
        "def handler(event, context):\n    return 'not wrapped'\n",
        layers=[layer],
        env={"AWS_LAMBDA_EXEC_WRAPPER": "/opt/wrap"},
    )
    service = make_service()
    result = service.invoke(name, {})
    assert result.ok, result.payload
    seen = result.payload
    python, bootstrap = seen["WRAPPED_ARGS"].split(" ")
    assert Path(python).name.startswith("python") and bootstrap.endswith("/runtime/bootstrap.py")
    assert seen["WRAPPED_HANDLER"] == "h.handler"  # what Lambda's bootstrap would have run
    assert seen["_HANDLER"] == "other.handler"  # the wrapper's choice is the one the runtime ran
    [status] = service.status()
    if status["cgroup"]:  # cgroups need root; the wrapper's set-up is inside the environment's group
        assert status["environment_id"] in seen["WRAPPED_CGROUP"]


def test_a_missing_wrapper_fails_init_as_a_runtime_exit(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    name = deployer.function(
        "def handler(event, context):\n    return 1\n",
        env={"AWS_LAMBDA_EXEC_WRAPPER": "/opt/no-such-wrapper"},
    )
    result = make_service().invoke(name, {})
    assert result.function_error == "Unhandled"
    assert result.error_type == "Runtime.ExitError"
    assert "exit status 12" in result.payload["errorMessage"]  # 126 or 127, as a shell says


TICKER = """
import threading, time, os
PATH = os.environ["TICK_FILE"]
def tick():
    while True:
        with open(PATH, "a") as f:
            f.write("x")
        time.sleep(0.02)
threading.Thread(target=tick, daemon=True).start()
def handler(event, context):
    time.sleep(0.2)
    return os.path.getsize(PATH)
"""


def test_an_idle_environment_is_frozen_until_its_next_invocation(
    deployer: Deployer, make_service: Callable[..., LambdaService], tmp_path: Path
) -> None:
    ticks = tmp_path / "ticks"
    name = deployer.function(TICKER, env={"TICK_FILE": str(ticks)}, memory=1769)
    service = make_service()
    first = service.invoke(name, {})
    assert first.ok, first.payload
    assert service.status()[0]["frozen"] is True
    time.sleep(0.2)  # let a stop signal land even on a process that was mid-write
    frozen_at = ticks.stat().st_size
    time.sleep(1.0)
    assert ticks.stat().st_size == frozen_at  # nothing ran while idle
    second = service.invoke(name, {})
    assert second.ok and not second.cold
    assert second.payload > frozen_at  # thawed: the background thread ran during the invocation


def built_adot_layer() -> Path:
    found = sorted((REPO / "build").glob("adot-layer-python3.11-*.zip"))
    if not found:
        pytest.skip("no build/adot-layer-python3.11-*.zip: run `make build-lab` (tools.build, adot-layer)")
    return found[0]


def settled(store: XRayListener) -> int:
    """How many spans the store holds once UDP datagrams in flight have landed (no change for 0.3 s)."""
    seen, unchanged = len(store.spans()), 0
    while unchanged < 3:
        time.sleep(0.1)
        now = len(store.spans())
        seen, unchanged = now, (unchanged + 1 if now == seen else 0)
    return seen


BOTO_FUNCTION = """
import boto3
client = boto3.client("sts")
def handler(event, context):
    return client.get_caller_identity()["Account"]
"""


@pytest.mark.slow
def test_the_adot_layer_exports_each_invocation_before_it_returns(
    deployer: Deployer, make_service: Callable[..., LambdaService], tmp_path: Path
) -> None:
    zip_path = built_adot_layer()
    copy = deployer.artifacts / f"adot-{uuid.uuid4().hex[:6]}.zip"
    shutil.copyfile(zip_path, copy)
    layer = deployer.lambda_client.publish_layer_version(
        LayerName="adot", Content={"ZipFile": copy.read_bytes()}
    )["LayerVersionArn"]
    name = deployer.function(
        BOTO_FUNCTION,
        layers=[layer],
        tracing=True,
        env={"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument"},
        memory=512,
        timeout=30,
    )
    with XRayListener(path=tmp_path / "segments.jsonl") as store:
        service = make_service(xray=store, init_timeout_s=30)
        counts = []
        for _ in range(3):
            result = service.invoke(name, {})
            assert result.ok, result.payload
            counts.append(settled(store))  # frozen now: only datagrams already sent can still land

    # each invocation: the Lambda handler's span and the botocore call's, flushed before it returned
    kinds = [(s["name"], s["transport"]) for s in store.spans()]
    assert counts == [2, 4, 6], kinds
    names = {s["name"] for s in store.spans()}
    assert "STS.GetCallerIdentity" in names
    assert all(s["resource"].get("faas.name") == name for s in store.spans())
