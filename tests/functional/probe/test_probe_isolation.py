"""Checks that need a fresh interpreter: which libraries a strategy imports, and what reaches X-Ray."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CANARY, probe_env

REPO = Path(__file__).resolve().parents[3]

SCRIPT = r"""
import json, os, socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
sock.settimeout(0.5)
os.environ["AWS_XRAY_DAEMON_ADDRESS"] = "127.0.0.1:%d" % sock.getsockname()[1]
import boto3
from moto import mock_aws
before = set(sys.modules)
from functions.probe import handler as module
from functions.probe import tracing
patched_at_init = tracing.patched()
with mock_aws():
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    sm.create_secret(Name=sys.argv[1], SecretString=sys.argv[3])
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name=sys.argv[2], Value=sys.argv[3], Type="SecureString")
    record = module.handler({"source": "observatory.schedule"}, None)
datagrams = []
try:
    while True:
        datagrams.append(sock.recv(65536).decode())
except socket.timeout:
    pass
print(json.dumps({
    "modules": sorted(set(sys.modules) - before), "record": record, "xray": datagrams,
    "patched_at_init": patched_at_init, "xray_loaded": "aws_xray_sdk" in sys.modules,
}))
"""


def _run(strategy: str, **extra: str) -> tuple[dict, str]:
    key = (strategy, tuple(sorted(extra.items())))
    if key not in _RUNS:
        _RUNS[key] = _run_fresh(strategy, **extra)
    return _RUNS[key]


_RUNS: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[dict, str]] = {}


def _run_fresh(strategy: str, **extra: str) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OBSERVATORY_", "_X_AMZN", "AWS_XRAY"))}
    env.update(probe_env(strategy, OBSERVATORY_WARM_SAMPLES="3"))
    env.update(extra)
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            env["OBSERVATORY_SECRET_ID"],
            env["OBSERVATORY_PARAMETER_NAME"],
            CANARY,
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]), done.stdout + done.stderr


@pytest.mark.parametrize(
    ("strategy", "forbidden"),
    [
        ("sdk", ("aws_lambda_powertools", "aws_secretsmanager_caching", "requests")),
        ("dict", ("aws_lambda_powertools", "aws_secretsmanager_caching", "requests")),
        ("caching_lib", ("aws_lambda_powertools",)),
        ("powertools", ("aws_secretsmanager_caching",)),
    ],
)
def test_strategy_imports_only_its_own_library(strategy: str, forbidden: tuple[str, ...]) -> None:
    result, output = _run(strategy)
    assert result["record"]["errors"] == []
    loaded = {name.split(".")[0] for name in result["modules"]}
    assert not loaded & set(forbidden), f"{strategy} imported {sorted(loaded & set(forbidden))}"
    assert CANARY not in output


def test_no_noise_without_xray() -> None:
    """Locally (no Lambda, no trace, no daemon) the probe works and writes only its own log lines."""
    result, output = _run("dict")
    assert result["xray"] == []
    lines = [line for line in output.splitlines() if line and not line.startswith('{"modules"')]
    assert len(lines) == 1 and lines[0].startswith('{"level":"INFO","event":"probe.measured"'), lines


def test_one_subsegment_per_series_annotated_without_values() -> None:
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    result, output = _run("sdk", LAMBDA_TASK_ROOT="/var/task", _X_AMZN_TRACE_ID=trace)
    documents = [json.loads(datagram.split("\n", 1)[1]) for datagram in result["xray"]]
    names = [(doc["name"], doc["annotations"]["store"]) for doc in documents]
    assert sorted(names) == sorted(
        [
            ("cold_miss", "secretsmanager"),
            ("warm_hits", "secretsmanager"),
            ("cold_miss", "ssm"),
            ("warm_hits", "ssm"),
        ]
    )
    for doc in documents:
        assert doc["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
        assert doc["annotations"]["strategy"] == "sdk" and doc["annotations"]["memory_mb"] == 128
    assert all(CANARY not in datagram for datagram in result["xray"])
    assert CANARY not in output


def test_tracing_off_never_imports_the_xray_sdk() -> None:
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    result, output = _run(
        "dict",
        OBSERVATORY_TRACING="off",
        OBSERVATORY_PROBE_KEY="dict-128-x86_64-off",
        LAMBDA_TASK_ROOT="/var/task",
        _X_AMZN_TRACE_ID=trace,
    )
    assert result["record"]["errors"] == [] and result["record"]["identity"]["tracing"] == "off"
    assert not result["xray_loaded"] and result["xray"] == []
    assert CANARY not in output


def _documents(datagrams: list[str]) -> list[dict]:
    """Every X-Ray document sent, with the subsegments nested in each, flattened."""
    found: list[dict] = []
    pending = [json.loads(datagram.split("\n", 1)[1]) for datagram in datagrams]
    while pending:
        doc = pending.pop()
        found.append(doc)
        pending.extend(doc.get("subsegments", []))
    return found


def test_patch_all_traces_every_aws_call_beside_the_probes_subsegments() -> None:
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    result, output = _run(
        "sdk",
        OBSERVATORY_TRACING="patch_all",
        OBSERVATORY_PROBE_KEY="sdk-128-x86_64-patch_all",
        LAMBDA_TASK_ROOT="/var/task",
        _X_AMZN_TRACE_ID=trace,
    )
    record = result["record"]
    assert record["errors"] == [] and record["identity"]["tracing"] == "patch_all"
    assert result["patched_at_init"], "patch_all() did not run when the handler module was imported (INIT)"
    documents = _documents(result["xray"])
    own = sorted((d["name"], d["annotations"]["store"]) for d in documents if "annotations" in d)
    assert own == sorted(
        [
            ("cold_miss", "secretsmanager"),
            ("warm_hits", "secretsmanager"),
            ("cold_miss", "ssm"),
            ("warm_hits", "ssm"),
        ]
    )
    # the script's own fixture calls (CreateSecret, PutParameter) are traced too: count the probe's reads
    reads = [d for d in documents if d.get("aws", {}).get("operation") in ("GetSecretValue", "GetParameter")]
    assert len(reads) == sum(store["api_calls"] for store in record["stores"]) == 2 * (1 + 3)
    assert all(CANARY not in datagram for datagram in result["xray"])
    assert CANARY not in output
