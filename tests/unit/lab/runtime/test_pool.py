"""Unit tests of lab.runtime.pool: what the pool refuses before any process starts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.runtime.artifacts import ArtifactIndex
from lab.runtime.cgroups import CgroupManager
from lab.runtime.interpreters import Interpreter
from lab.runtime.lambda_errors import CodeMismatchError, InterpreterNotFoundError, LambdaServiceError
from lab.runtime.pool import EnvironmentPool
from lab.runtime.spec import EnvSettings, FunctionSpec

SPEC = FunctionSpec(
    name="f",
    arn="arn:aws:lambda:us-east-1:123456789012:function:f",
    handler="h.handler",
    runtime="python3.11",
    memory_mb=128,
    timeout_s=3.0,
    code_sha256="bm8gc3VjaCB6aXA=",
    last_modified="",
    environment={},
    layers=(),
    tracing_active=False,
)


def interpreter(runtime: str) -> Interpreter:
    if runtime != "python3.11":
        raise InterpreterNotFoundError(f"no {runtime} here")
    return Interpreter(runtime, "python3", (3, 11, 7))


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[EnvironmentPool]:
    cgroups = CgroupManager(mode="none", log=lambda _: None)
    settings = EnvSettings(None, None, None, interpreter, "python3")
    made = EnvironmentPool(
        ArtifactIndex(tmp_path / "build"), tmp_path / "work", cgroups, settings, str, 60.0, lambda _: None
    )
    try:
        yield made
    finally:
        made.close()
        cgroups.close()


def test_code_without_a_built_zip_is_refused_and_leaves_nothing(
    pool: EnvironmentPool, tmp_path: Path
) -> None:
    with pytest.raises(CodeMismatchError, match="refusing to run function f"):
        pool.acquire(SPEC, force_cold=False)
    assert pool.status() == [] and not (tmp_path / "work" / "envs").exists()


def test_a_runtime_without_an_interpreter_is_refused_before_anything_is_made(
    pool: EnvironmentPool, tmp_path: Path
) -> None:
    with pytest.raises(InterpreterNotFoundError, match=r"no python3\.9 here"):
        pool.acquire(FunctionSpec(**{**SPEC.__dict__, "runtime": "python3.9"}), force_cold=False)
    assert pool.status() == [] and not (tmp_path / "work" / "envs").exists()


def test_a_closed_pool_makes_no_environment(pool: EnvironmentPool) -> None:
    pool.close()
    with pytest.raises(LambdaServiceError, match="closed"):
        pool.acquire(SPEC, force_cold=False)
    assert pool.retire_all() == 0


def test_idle_timeout_must_be_positive(tmp_path: Path) -> None:
    cgroups = CgroupManager(mode="none", log=lambda _: None)
    settings = EnvSettings(None, None, None, interpreter, "python3")
    with pytest.raises(ValueError, match="idle_timeout_s"):
        EnvironmentPool(ArtifactIndex(tmp_path), tmp_path, cgroups, settings, str, 0.0, lambda _: None)


def test_a_warm_environment_serves_only_the_same_deployment() -> None:
    assert SPEC.same_code(SPEC)
    assert not SPEC.same_code(FunctionSpec(**{**SPEC.__dict__, "last_modified": "later"}))
