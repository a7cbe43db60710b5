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
