"""A function deployed for a second runtime really runs under that runtime's interpreter, in the lab's
environment for it (awslambdaric and the boto3 pinned in lab/runtime/requirements/), and is told this host."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lab.runtime import LambdaService
from lab.runtime.interpreters import Interpreter, find_interpreter
from lab.runtime.lambda_errors import InterpreterNotFoundError
from lab.runtime.venvs import REQUIREMENTS_DIR

from .conftest import Deployer

# the 2022 run's runtime first; any other than the lab's default (python3.11) shows the same thing
SECOND_RUNTIMES = ("python3.9", "python3.12", "python3.13", "python3.10")

WHO_RUNS_ME = """
import os, sys
import awslambdaric, boto3
def handler(event, context):
    return {"version": list(sys.version_info[:3]), "sys_version": sys.version, "executable": sys.executable,
            "prefix": sys.prefix, "boto3": boto3.__version__, "boto3_file": boto3.__file__,
            "ric_file": awslambdaric.__file__, "execution_env": os.environ.get("AWS_EXECUTION_ENV"),
            "host_cpu": os.environ.get("OBSERVATORY_LAB_HOST_CPU"),
            "host_ref_ms": os.environ.get("OBSERVATORY_LAB_HOST_REF_MS")}
"""


def second_runtime() -> Interpreter:
    """The first of SECOND_RUNTIMES installed here; skip, saying how to install one, if none is."""
    missing: list[str] = []
    for runtime in SECOND_RUNTIMES:
        try:
            return find_interpreter(runtime)
        except InterpreterNotFoundError as exc:
            missing.append(str(exc))
    pytest.skip("no second Python runtime on this machine: " + "; ".join(missing))


def pinned(runtime: str, package: str) -> str:
    for line in (REQUIREMENTS_DIR / f"{runtime}.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip() == package:
            return version.strip()
    raise AssertionError(f"{package} is not pinned for {runtime}")


def test_a_function_runs_under_its_runtimes_interpreter(
    deployer: Deployer, make_service: Callable[..., LambdaService]
) -> None:
    base = second_runtime()
    name = deployer.function(WHO_RUNS_ME, runtime=base.runtime)
    default = deployer.function(WHO_RUNS_ME)  # python3.11, beside it in the same service
    service = make_service(host_cpu="Test CPU @ 1.00GHz", host_ref_ms=412.34)

    result = service.invoke(name, {})

    assert result.ok, result.payload
    got = result.payload
    assert tuple(got["version"]) == base.version  # the full version of the interpreter found here
    assert got["sys_version"].startswith(base.version_text)
    assert got["execution_env"] == f"AWS_Lambda_{base.runtime}"
    # the lab's environment of that runtime, made once under .lab/runtimes, holds awslambdaric and its boto3
    assert f"/runtimes/{base.runtime}/venv" in got["prefix"]
    assert got["ric_file"].startswith(got["prefix"]) and got["boto3_file"].startswith(got["prefix"])
    assert got["boto3"] == pinned(base.runtime, "boto3")
    assert (got["host_cpu"], got["host_ref_ms"]) == ("Test CPU @ 1.00GHz", "412.3")

    other = service.invoke(default, {})
    assert other.ok, other.payload
    assert other.payload["version"][:2] == [3, 11]
    assert "/runtimes/python3.11/venv" in other.payload["prefix"]
    log = result.log_path.read_text()
    assert f"INIT_START Runtime Version: {base.runtime} (lab: python {base.version_text}" in log
