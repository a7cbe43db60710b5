"""The built probe code zip's `extension` strategy, on its dependency layer, against the built extension
layer, all run as Lambda would.

The layer is unpacked and its `extensions/slo-parameters-secrets` started (standalone: no Extensions API),
fetching from the local AWS endpoint over HTTP; the probe runs from its unpacked zip with no site-packages.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import boto3
import pytest
import requests

from tests.conftest import free_port
from tools import build as b

RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
CANARY = "layer-canary-0b7e"
TOKEN = "layer-test-session-token"

RUN_HANDLER = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]  # /var/task, then /opt/python
from probe.handler import handler
print(json.dumps(handler({"source": "observatory.schedule"}, None)))
"""


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(/var/task, /opt): the probe code zip, its dependency layer and the extension layer for x86_64, built
    and unpacked (both layers into /opt, as Lambda does)."""
    root = tmp_path_factory.mktemp("lambda")
    out = root / "build"
    # The dependency cache `make build` fills (reproducibility from fresh caches is tested beside this).
    cache = b.REPO / "build" / ".cache"
    b.build(out, RUNTIME, ["x86_64"], ["probe", "extension-layer"], cache=cache, say=lambda _: None)
    task, opt = root / "task", root / "opt"
    for name, target in (
        ("probe-code.zip", task),
        (f"deps-current-{RUNTIME}-x86_64.zip", opt),
        ("extension-layer-x86_64.zip", opt),
    ):
        with zipfile.ZipFile(out / name) as archive:
            for info in archive.infolist():
                archive.extract(info, target)
                (target / info.filename).chmod((info.external_attr >> 16) & 0o777)
    return task, opt


@pytest.mark.slow
def test_extension_strategy_through_the_built_layer(
    unpacked: tuple[Path, Path], aws_endpoint: str, tmp_path: Path
) -> None:
    task, opt = unpacked
    for client, call in (
        ("secretsmanager", lambda c: c.create_secret(Name="layer-canary", SecretString=CANARY)),
        ("ssm", lambda c: c.put_parameter(Name="/layer/canary", Value=CANARY, Type="SecureString")),
    ):
        call(boto3.client(client, endpoint_url=aws_endpoint, region_name="us-east-1"))
    port = free_port()
    base_env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": str(port),
    }
    launcher = opt / "extensions" / "slo-parameters-secrets"
    assert os.access(launcher, os.X_OK)
    extension = subprocess.Popen(
        [str(launcher), "--standalone"],
        env={**base_env, "SLO_EXTENSION_PYTHON": sys.executable},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/ping", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening, or listening but not serving yet
                pass
            assert extension.poll() is None, "the extension exited early"
            assert time.monotonic() < deadline, "the extension did not start listening"
            time.sleep(0.1)
        probe_env = {
            **base_env,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "OBSERVATORY_STRATEGY": "extension",
            "OBSERVATORY_ARCHITECTURE": "x86_64",
            "OBSERVATORY_ENVIRONMENT": "lab",
            "OBSERVATORY_CPU_EMULATION": "none",
            "OBSERVATORY_SECRET_ID": "layer-canary",
            "OBSERVATORY_PARAMETER_NAME": "/layer/canary",
            "OBSERVATORY_WARM_SAMPLES": "20",
        }
        done = subprocess.run(
            [sys.executable, "-S", "-c", RUN_HANDLER, str(task), str(opt / "python")],
            env=probe_env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.killpg(extension.pid, signal.SIGTERM)
        try:
            extension_output, _ = extension.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(extension.pid, signal.SIGKILL)
            extension_output, _ = extension.communicate()
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout.strip().splitlines()[-1])
    digest = hashlib.sha256(CANARY.encode()).hexdigest()
    for store in record["stores"]:
        assert store["errors"] == [], store["errors"]
        assert store["value_sha256"] == digest
        assert store["warm_summary"]["n"] == 20 and store["api_calls"] is None
    assert CANARY not in done.stdout + done.stderr + extension_output
