"""Unit tests of lab.runtime.environment's variables: the runtime's own site-packages path and interpreter,
and this host's speed when the lab knows it (no process is started)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.runtime.cgroups import CgroupManager
from lab.runtime.environment import ExecutionEnvironment
from lab.runtime.interpreters import Interpreter
from lab.runtime.spec import EnvSettings

from .test_pool import SPEC

PY39 = Interpreter("python3.9", "/lab/runtimes/python3.9/venv/bin/python", (3, 9, 18))


@pytest.fixture
def cgroups() -> Iterator[CgroupManager]:
    manager = CgroupManager(mode="none", log=lambda _: None)
    try:
        yield manager
    finally:
        manager.close()


def environment(tmp_path: Path, cgroups: CgroupManager, **settings: object) -> ExecutionEnvironment:
    spec = SPEC.__class__(**{**SPEC.__dict__, "runtime": "python3.9"})
    return ExecutionEnvironment(
        spec=spec, env_id="e1", directory=tmp_path / "env", log_path=tmp_path / "e1.log",
        group=cgroups.create("e1", spec.memory_mb), cold_cause="first_start",
        settings=EnvSettings(None, None, None, lambda runtime: PY39, "python3", **settings),  # type: ignore[arg-type]
        python=PY39,
    )


def test_the_runtimes_python_decides_the_layer_path_and_the_runtime_dir(
    tmp_path: Path, cgroups: CgroupManager
) -> None:
    env = environment(tmp_path, cgroups).process_env()
    assert env["PYTHONPATH"].split(":")[-1] == f"{tmp_path}/env/opt/python/lib/python3.9/site-packages"
    assert env["LAMBDA_RUNTIME_DIR"] == "/lab/runtimes/python3.9/venv/bin"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.9"
    assert "OBSERVATORY_LAB_HOST_CPU" not in env and "OBSERVATORY_LAB_HOST_REF_MS" not in env  # as on AWS


def test_every_environment_is_told_this_host(tmp_path: Path, cgroups: CgroupManager) -> None:
    env = environment(tmp_path, cgroups, host_cpu="Test CPU @ 2.90GHz", host_ref_ms=95.25).process_env()
    assert env["OBSERVATORY_LAB_HOST_CPU"] == "Test CPU @ 2.90GHz"
    assert env["OBSERVATORY_LAB_HOST_REF_MS"] == "95.2"


def test_functions_are_told_the_trace_store_and_adot_keeps_its_udp_path() -> None:
    from lab.runtime.variables import otlp_variables

    store = "http://127.0.0.1:4318/"
    assert otlp_variables({}, None) == {}
    # every function: the base endpoint (an SDK adds /v1/traces); ADOT, without the traces variable, keeps UDP
    assert otlp_variables({}, store) == {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}
    # a function that names a traces endpoint (an X-Ray OTLP URL on AWS) is pointed at the store instead
    configured = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://xray.us-east-1.amazonaws.com/v1/traces"}
    assert otlp_variables(configured, store) == {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces",
    }


def test_the_runtime_command_goes_through_the_wrapper_only_when_one_is_named(tmp_path: Path) -> None:
    from lab.runtime.launch import runtime_command

    task, opt, boot = tmp_path / "task", tmp_path / "opt", tmp_path / "runtime" / "bootstrap.py"
    assert runtime_command("/py", boot, {}, task, opt) == ["/py", str(boot)]
    assert runtime_command("/py", boot, {"AWS_LAMBDA_EXEC_WRAPPER": " "}, task, opt) == ["/py", str(boot)]
    wrapped = runtime_command("/py", boot, {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument"}, task, opt)
    assert wrapped == [str(opt / "otel-instrument"), "/py", str(boot)]
    in_task = runtime_command("/py", boot, {"AWS_LAMBDA_EXEC_WRAPPER": "/var/task/wrap"}, task, opt)
    assert in_task[0] == str(task / "wrap")
