"""The probe package compiles, imports and measures on every Python Lambda offers it, 3.9 (the 2022 run's) up.

Each interpreter found on this machine as the lab finds it (`lab.runtime.interpreters`: `python3.X` on PATH,
or a pyenv install under `$PYENV_ROOT` or `~/.pyenv`) runs the probe in isolation (`-I`: none of this
virtualenv's packages): every module of the package is compiled from source, the modules that need no
third-party library are imported, and one invocation of the `dict` strategy is measured with a fake AWS client
behind stand-ins for boto3 and botocore.config (which the deployed probe gets from its layer). X-Ray's SDK is
absent there, so `patch_all` must not stop it either. The record it prints must pass the collector's
validator. A missing interpreter is a skip that names it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from collector.contract import parse_probe_record
from datastore.vocabulary import LAB_RUNTIMES
from lab.runtime.interpreters import find_interpreter
from lab.runtime.lambda_errors import InterpreterNotFoundError

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "functions" / "probe"
SECRET = "interpreter-canary-value-0c5d"

SCRIPT = r"""
import json, os, sys, types

repo, secret = sys.argv[1], sys.argv[2]
sys.path.insert(0, repo)
package = os.path.join(repo, "functions", "probe")
compiled = 0
for folder, _, files in os.walk(package):
    for name in sorted(files):
        if name.endswith(".py"):
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as source:
                compile(source.read(), path, "exec", dont_inherit=True)
            compiled += 1

# The deployed probe has boto3 in its layer; here two stand-ins carry what the dict strategy touches.
boto3 = types.ModuleType("boto3")
boto3.session = types.SimpleNamespace(Session=None)
botocore = types.ModuleType("botocore")
botocore_config = types.ModuleType("botocore.config")
botocore_config.Config = lambda **kwargs: kwargs
sys.modules.update({"boto3": boto3, "botocore": botocore, "botocore.config": botocore_config})

from functions.probe import cgroup, log, record, stats, versions, vocabulary  # noqa: E401
from functions.probe import handler
from functions.probe import strategies
from functions.probe.config import ProbeConfig
from functions.probe.timing import Probe
from functions.probe.tracing import Tracer


class Events:
    def __init__(self):
        self.handlers = []

    def register(self, name, handler):
        self.handlers.append(handler)


class FakeClient:
    def __init__(self):
        self.meta = types.SimpleNamespace(events=Events())

    def _send(self):
        for handler in self.meta.events.handlers:
            handler()

    def get_secret_value(self, SecretId):
        self._send()
        return {"SecretString": secret}

    def get_parameter(self, Name, WithDecryption):
        self._send()
        return {"Parameter": {"Value": secret}}


env = {
    "OBSERVATORY_STRATEGY": "dict", "OBSERVATORY_ARCHITECTURE": "x86_64", "OBSERVATORY_ENVIRONMENT": "lab",
    "OBSERVATORY_CPU_EMULATION": "none", "OBSERVATORY_SECRET_ID": "slo-canary-secret",
    "OBSERVATORY_PARAMETER_NAME": "/slo/canary/secure", "OBSERVATORY_WARM_SAMPLES": "5",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_REGION": "us-east-1",
    "OBSERVATORY_TRACING": sys.argv[3], "OBSERVATORY_LAB_HOST_CPU": "Test CPU @ 1.00GHz",
    "OBSERVATORY_LAB_HOST_REF_MS": "412.3",
}
if sys.argv[3] != "subsegments":
    env["OBSERVATORY_PROBE_KEY"] = "dict-128-x86_64-" + sys.argv[3]
config = ProbeConfig.from_env(env)
clients = {"secretsmanager": FakeClient(), "ssm": FakeClient()}
probe = Probe(config, strategy=strategies.create(config, clients=clients), tracer=Tracer(config.tracing))
result = probe.invoke("req-1", True)
print(json.dumps({"compiled": compiled, "xray": "aws_xray_sdk" in sys.modules, "record": result}))
"""


def _minor(runtime: str) -> int:
    return int(runtime.split(".")[1])


@pytest.mark.parametrize("tracing", ["off", "patch_all"])
@pytest.mark.parametrize("runtime", LAB_RUNTIMES)
def test_the_probe_runs_on(runtime: str, tracing: str) -> None:
    minor = _minor(runtime)
    try:  # found the way the lab finds it: PATH, then pyenv, newest patch first, verified by running it
        python = find_interpreter(runtime).executable
    except InterpreterNotFoundError as exc:
        pytest.skip(f"{exc}, to check the probe on it")
    done = subprocess.run(
        [python, "-I", "-c", SCRIPT, str(REPO), SECRET, tracing],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, f"{python}:\n{done.stderr[-3000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["compiled"] == len(list(PACKAGE.rglob("*.py")))
    record = result["record"]
    assert record["errors"] == [] and [s["store"] for s in record["stores"]] == ["secretsmanager", "ssm"]
    assert all(len(s["warm_ms"]) == 5 and s["api_calls"] == 1 for s in record["stores"])
    identity = record["identity"]
    assert identity["runtime"] == runtime and identity["versions"]["python"].startswith(f"3.{minor}.")
    assert identity["tracing"] == tracing and identity["host"]["cpu"] == "Test CPU @ 1.00GHz"
    if tracing == "off":
        assert not result["xray"], "tracing off imported the X-Ray SDK"
    parsed = parse_probe_record(record)
    assert parsed.identity.tracing == tracing and parsed.identity.host_ref_ms == 412.3
    assert SECRET not in done.stdout + done.stderr
